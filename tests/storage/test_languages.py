"""The /language choice store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.storage import languages


async def test_choose_replaces_and_forget_deletes(engine: AsyncEngine) -> None:
    now = datetime(2026, 6, 1, 5, 0)
    assert await languages.get(engine, 7) is None
    await languages.choose(engine, 7, "de", now)
    await languages.choose(engine, 8, "es", now)
    await languages.choose(engine, 7, "ru", now)  # a second choice replaces the first
    assert await languages.get(engine, 7) == "ru"
    assert await languages.get(engine, 8) == "es"
    assert await languages.forget(engine, 7) == 1
    assert await languages.get(engine, 7) is None
    assert await languages.get(engine, 8) == "es"


async def test_telegrams_language_is_remembered_but_never_replaces_a_choice(
    engine: AsyncEngine,
) -> None:
    now = datetime(2026, 6, 1, 5, 0)
    await languages.remember(engine, 9, "es", now)
    assert await languages.get(engine, 9) == "es"  # for daily tips
    assert await languages.get(engine, 9, chosen_only=True) is None  # replies follow Telegram
    await languages.remember(engine, 9, "ru", now)  # the app's language changed
    assert await languages.get(engine, 9) == "ru"
    await languages.choose(engine, 9, "de", now)
    await languages.remember(engine, 9, "es", now)  # a choice wins over Telegram
    assert await languages.get(engine, 9) == "de"
    assert await languages.get(engine, 9, chosen_only=True) == "de"
