"""Inline mode end to end: a typed query is answered with shareable cards in the asker's
language, cached per user (a cached answer must not cross languages)."""

from __future__ import annotations

import pytest

from tests.fakebot.server import FakeBotApi, InlineAnswer
from tipbot import messages
from tipbot.bot.inline import CACHE_SECONDS
from tipbot.i18n import Translator
from tipbot.runner import Runner
from tipbot.telegram_html import parse_html

pytestmark = pytest.mark.usefixtures("runner")


async def ask(fake: FakeBotApi, query: str) -> InlineAnswer:
    fake.set_inline_mode()
    query_id = fake.push_inline_query(31337, query)["inline_query"]["id"]
    await fake.wait_for(
        lambda: any(a.inline_query_id == query_id for a in fake.inline_answers),
        what=f"an answer to inline query {query!r}",
    )
    return next(a for a in fake.inline_answers if a.inline_query_id == query_id)


@pytest.mark.parametrize(
    ("query", "card_id", "expected"),
    [
        ("almonds", "food:almonds-dry-roasted", "80 mg of magnesium in 1 oz (28.35 g)"),
        ("alendronate", "ix:bisphosphonates", "Timing:"),
        ("citrate", "form:citrate", "elemental magnesium"),
    ],
)
async def test_query_answers_with_a_card(
    fake_api: FakeBotApi, query: str, card_id: str, expected: str
) -> None:
    answer = await ask(fake_api, query)
    assert (answer.cache_time, answer.is_personal) == (CACHE_SECONDS, True)
    [result] = answer.results
    assert result["id"] == card_id and result["type"] == "article"
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML"
    shown = parse_html(content["message_text"]).text
    assert expected in shown
    assert messages.DISCLAIMER_SHORT in shown


async def test_empty_query_offers_cards(fake_api: FakeBotApi) -> None:
    answer = await ask(fake_api, "")
    assert len(answer.results) >= 3


async def test_no_match_is_an_empty_answer_not_an_error(
    fake_api: FakeBotApi, runner: Runner
) -> None:
    answer = await ask(fake_api, "zzz unknown thing")
    assert answer.results == []
    assert fake_api.messages == []  # no error notice sent anywhere


async def test_cards_in_the_askers_language(fake_api: FakeBotApi) -> None:
    fake_api.set_language(31337, "de-AT")
    answer = await ask(fake_api, "alendronate")
    [result] = answer.results
    shown = parse_html(result["input_message_content"]["message_text"]).text
    german = Translator("de")
    assert german.gettext(messages.DISCLAIMER_SHORT) in shown
    assert "Zeitlicher Abstand:" in shown and "Quellen" in shown
    assert "Timing:" not in shown
