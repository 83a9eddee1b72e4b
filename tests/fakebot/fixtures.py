"""Pytest fixtures for the fake Bot API; tests/conftest.py imports them for the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.fakebot.server import FakeBotApi


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A started FakeBotApi on a free loopback port, with Telegram's default limits.

    Rate limits are on (30/s overall, 1/s per chat after a burst of 3), as on Telegram; a test
    that needs otherwise calls ``fake_api.configure(per_chat_rate=None)``.
    """
    async with FakeBotApi() as api:
        yield api
