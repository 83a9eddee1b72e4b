"""Logs never show the bot token (at any level) nor what users wrote; JSON logs are one object
per line."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import User, bot_settings
from tests.fakebot.server import FakeBotApi
from tipbot.content.models import Bank
from tipbot.observe import MASK, RedactingFilter, setup_logging
from tipbot.runner import Runner

TOKEN = "987654321:AAHfakefakefakefakefakefakefakefake12"


def test_filter_masks_the_token_in_message_args_and_traceback() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "url %s", (f"/bot{TOKEN}/getMe",), None
    )
    try:
        raise RuntimeError(f"failed https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage()
    assert record.exc_text is not None and TOKEN not in record.exc_text
    assert MASK in record.getMessage() and MASK in record.exc_text


def test_filter_masks_any_token_shaped_string() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "other 111111:" + "A" * 35, None, None
    )
    RedactingFilter([]).filter(record)
    assert record.getMessage() == f"other {MASK}"


@pytest.fixture(autouse=True)
def restore_logging():  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_no_token_and_no_user_text_in_debug_json_logs(
    sqlite_url: str, bank: Bank, capfd: pytest.CaptureFixture[str]
) -> None:
    setup_logging("DEBUG", "json", [TOKEN])
    async with FakeBotApi(token=TOKEN, per_chat_rate=None) as fake:
        runner = Runner(bot_settings(fake, sqlite_url), bank)
        await runner.start()
        try:
            user = User(fake, 31337)
            await user.send("/interactions secret-medicine-xyz")
            await user.send("my private words")
            logging.getLogger("tipbot.test").error("a failure at https://x/bot%s/getMe", TOKEN)
        finally:
            await runner.stop()
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "expected DEBUG logs"
    records = [json.loads(line) for line in lines]
    assert TOKEN not in err
    assert "secret-medicine-xyz" not in err and "my private words" not in err
    assert any(r.get("command") == "interactions" for r in records)
    assert any(MASK in r["message"] for r in records)


async def test_text_logs_are_redacted_too(
    sqlite_url: str, bank: Bank, capfd: pytest.CaptureFixture[str]
) -> None:
    setup_logging("DEBUG", "text", [TOKEN])
    async with FakeBotApi(token=TOKEN, per_chat_rate=None) as fake:
        runner = Runner(bot_settings(fake, sqlite_url), bank)
        await runner.start()
        await User(fake, 1).send("/start")
        await runner.stop()
    err = capfd.readouterr().err
    assert "tipbot" in err
    assert TOKEN not in err
