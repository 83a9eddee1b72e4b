"""Rendering: every dynamic string escaped, long output split at paragraph boundaries."""

import pytest

from tipbot.content import render
from tipbot.content.models import Bank
from tipbot.telegram_html import MAX_MESSAGE_LENGTH, check_html


def test_split_keeps_paragraphs_whole_and_under_the_limit() -> None:
    paragraphs = [f"<b>{n}</b> " + "word " * 150 for n in range(30)]
    pages = render.split_paragraphs(paragraphs)
    assert len(pages) > 1
    assert all(len(p) <= MAX_MESSAGE_LENGTH and check_html(p) == [] for p in pages)
    assert "\n\n".join(pages) == "\n\n".join(paragraphs)


def test_split_cuts_a_too_long_paragraph_between_lines() -> None:
    paragraph = "\n".join(f"• line {n} " + "x" * 80 for n in range(100))
    pages = render.split_paragraphs(["head", paragraph])
    assert len(pages) > 1
    assert all(len(p) <= MAX_MESSAGE_LENGTH for p in pages)


def test_a_single_line_over_the_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="over 4096"):
        render.split_paragraphs(["x" * 5000])


def test_dynamic_text_is_escaped() -> None:
    assert render.esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert "&lt;script&gt;" in render.welcome("<script>")


def test_every_tip_renders_to_valid_html_with_numbered_sources(bank: Bank) -> None:
    for tip in bank.tips:
        html = render.tip(bank, tip)
        assert check_html(html) == [], tip.id
        assert '1. <a href="https://' in html
        assert render.EVIDENCE_WORDS[tip.evidence] in html


def test_every_reference_page_is_valid(bank: Bank) -> None:
    pages = [render.foods(bank), *render.forms(bank), *render.interactions_overview(bank)]
    pages += render.sources(bank)
    assert all(check_html(p) == [] for p in pages)
