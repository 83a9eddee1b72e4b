"""Inline cards: found by the words people type, valid Telegram HTML, each with the disclaimer."""

from __future__ import annotations

import pytest

from tipbot import messages
from tipbot.content.inline_search import MAX_RESULTS, InlineIndex
from tipbot.content.models import Bank
from tipbot.telegram_html import MAX_MESSAGE_LENGTH, check_html, visible_text


@pytest.fixture(scope="module")
def index(bank: Bank) -> InlineIndex:
    return InlineIndex(bank)


def test_every_card_is_valid_short_unique_and_carries_the_disclaimer(
    index: InlineIndex, bank: Bank
) -> None:
    expected = len(bank.foods.items) + len(bank.forms) + len(bank.interactions.classes)
    assert len(index.cards) == expected
    assert len({c.id for c in index.cards}) == expected
    for card in index.cards:
        assert 1 <= len(card.id.encode()) <= 64
        assert check_html(card.text) == [], card.id
        assert len(visible_text(card.text)) <= MAX_MESSAGE_LENGTH
        assert messages.DISCLAIMER_SHORT in visible_text(card.text), card.id
        assert "<b>Sources</b>" in card.text


def test_a_food_card_gives_magnesium_per_serving(index: InlineIndex) -> None:
    [card] = index.search("almonds")
    assert card.title == "Almonds, dry roasted"
    assert "80 mg of magnesium in 1 oz (28.35 g) (19% of the Daily Value)" in visible_text(
        card.text
    )


def test_a_form_card_gives_its_summary(index: InlineIndex) -> None:
    [card] = index.search("citrate")
    assert card.id == "form:citrate"
    text = visible_text(card.text)
    assert "About 11.3% of the compound is magnesium itself" in text
    assert "Absorption:" in text


@pytest.mark.parametrize("query", ["alendronate", "Fosamax", "ALENDRONATE ", "alendronat"])
def test_a_medicine_finds_its_class_timing(index: InlineIndex, query: str) -> None:
    [card] = index.search(query)
    assert card.id == "ix:bisphosphonates"
    assert "Timing:" in visible_text(card.text)


def test_prefixes_and_several_words_narrow_the_match(index: InlineIndex) -> None:
    assert [c.title for c in index.search("pumpkin se")] == ["Pumpkin seeds, roasted"]
    seeds = [c.title for c in index.search("seeds")]
    assert seeds[:3] == ["Pumpkin seeds, roasted", "Chia seeds", "Sunflower seeds, hulled, dried"]
    assert len(seeds) >= 4 and all("seed" in title.lower() for title in seeds)


def test_empty_query_offers_a_few_useful_cards(index: InlineIndex) -> None:
    featured = index.search("   ")
    assert 3 <= len(featured) <= 8
    assert [c.id for c in featured][:2] == ["ix:bisphosphonates", "food:pumpkin-seeds-roasted"]


@pytest.mark.parametrize("query", ["xyzzy", "!!!", "<zq>", "q" * 300, "🙂"])
def test_no_match_is_an_empty_list(index: InlineIndex, query: str) -> None:
    assert index.search(query) == []


def test_results_stay_within_the_limit(index: InlineIndex) -> None:
    assert len(index.search("magnesium")) <= MAX_RESULTS
    assert len(index.search("magnesium", limit=3)) == 3
