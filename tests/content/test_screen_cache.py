"""The rendered-answer cache: the same answer as rendering afresh, rendered once per language
and region, never another bank's answer, and bounded."""

from __future__ import annotations

import pytest

from tipbot.content import screens
from tipbot.content.models import Bank
from tipbot.i18n import Translator


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str | None]]:
    """Each real rendering, as (key, language, region)."""
    seen: list[tuple[str, str, str | None]] = []
    real = screens._reply_for

    def counting(bank: Bank, key: str, t: Translator, region: str | None) -> screens.Reply | None:
        seen.append((key, t.language, region))
        return real(bank, key, t, region)

    monkeypatch.setattr(screens, "_reply_for", counting)
    return seen


def test_answers_match_a_fresh_rendering_and_are_rendered_once(
    bank: Bank, renders: list[tuple[str, str, str | None]]
) -> None:
    cache = screens.ScreenCache()
    german, english = Translator("de"), Translator("en")
    for _ in range(3):
        assert cache.reply_for(bank, "foods.top", german, "eu") is not None
        cache.reply_for(bank, "foods.top", english, None)
    assert renders == [("foods.top", "de", "eu"), ("foods.top", "en", None)]
    assert cache.reply_for(bank, "foods.top", german, "eu") == screens.reply_for(
        bank, "foods.top", german, "eu"
    )
    assert cache.reply_for(bank, "foods.top", german, "eu") != cache.reply_for(
        bank, "foods.top", english, None
    )


def test_an_unknown_key_is_remembered_as_no_answer(
    bank: Bank, renders: list[tuple[str, str, str | None]]
) -> None:
    cache = screens.ScreenCache()
    assert cache.reply_for(bank, "form.no-such-form") is None
    assert cache.reply_for(bank, "form.no-such-form") is None
    assert len(renders) == 1


def test_another_bank_gets_its_own_answer(bank: Bank) -> None:
    cache = screens.ScreenCache()
    renamed = bank.forms[0].model_copy(update={"name": "Renamed form"})
    edited = bank.model_copy(update={"forms": [renamed, *bank.forms[1:]]})
    key = f"form.{edited.forms[0].id}"
    assert "Renamed form" not in "".join(cache.reply_for(bank, key).screens)  # type: ignore[union-attr]
    assert "Renamed form" in "".join(cache.reply_for(edited, key).screens)  # type: ignore[union-attr]


def test_the_cache_is_bounded(bank: Bank, renders: list[tuple[str, str, str | None]]) -> None:
    cache = screens.ScreenCache(size=2)
    for key in ("foods.top", "forms", "about"):
        cache.reply_for(bank, key)
    cache.reply_for(bank, "foods.top")  # the oldest was dropped: rendered again
    assert [key for key, _, _ in renders] == ["foods.top", "forms", "about", "foods.top"]
