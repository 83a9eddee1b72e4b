"""Logs never show the bot token (at any level) nor what users wrote; JSON logs are one object
per line."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import User, bot_settings
from tests.fakebot.server import FakeBotApi
from tipbot.content.models import Bank
from tipbot.observe import MASK, Redactor, setup_logging
from tipbot.runner import Runner

TOKEN = "987654321:AAHfakefakefakefakefakefakefakefake12"


LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]


def test_redactor_masks_secrets_their_escapes_and_any_token_shape() -> None:
    redact = Redactor([TOKEN, None, "", 'we"b/hook'])
    assert redact(f"url /bot{TOKEN}/getMe") == f"url /bot{MASK}/getMe"
    assert redact("path /bot" + quote(TOKEN, safe="") + "/x") == f"path /bot{MASK}/x"
    assert redact('{"s": "we\\"b/hook"}') == '{"s": "' + MASK + '"}'
    assert redact("other 111111:" + "A" * 35) == f"other {MASK}"
    assert redact("nothing secret 12:34") == "nothing secret 12:34"


def _fail_with_the_token() -> None:
    try:
        raise ConnectionError(f"refused https://api.telegram.org/bot{TOKEN}/getUpdates")
    except ConnectionError as exc:
        raise RuntimeError(f"while calling /bot{TOKEN}/sendMessage") from exc


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_tracebacks_holding_the_token_are_masked_at_every_level(
    fmt: str, capfd: pytest.CaptureFixture[str]
) -> None:
    setup_logging("DEBUG", fmt, [TOKEN])
    log = logging.getLogger("tipbot.test")
    for level in LEVELS:
        try:
            _fail_with_the_token()
        except RuntimeError:
            log.log(level, "failed at level %d", level, exc_info=True, stack_info=True)
    try:
        _fail_with_the_token()
    except RuntimeError as exc:
        log.exception("handled %s", exc)
    err = capfd.readouterr().err
    assert TOKEN not in err
    # Both the chained exception and the outer one were printed, masked.
    assert err.count("ConnectionError") >= len(LEVELS) + 1
    assert err.count(MASK) >= 2 * (len(LEVELS) + 1) + 1
    if fmt == "json":
        records = [json.loads(line) for line in err.splitlines()]
        assert len(records) == len(LEVELS) + 1
        assert all(MASK in r["exception"] and "stack" in r for r in records[:-1])
        assert MASK in records[-1]["message"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_an_httpx_style_url_and_extra_fields_are_masked(
    fmt: str, capfd: pytest.CaptureFixture[str]
) -> None:
    setup_logging("INFO", fmt, [TOKEN])
    url = httpx.URL(f"https://api.telegram.org/bot{TOKEN}/sendMessage")
    # The shape of httpx's own request log line, with the URL object as an argument.
    logging.getLogger("httpx").warning(
        'HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 502, "Bad Gateway"
    )
    logging.getLogger("tipbot.test").info(
        "with extras", extra={"endpoint": str(url), "command": TOKEN, "attempt": 2}
    )
    err = capfd.readouterr().err
    assert TOKEN not in err
    assert f"POST https://api.telegram.org/bot{MASK}/sendMessage" in err
    if fmt == "json":
        extras = json.loads(err.splitlines()[-1])
        assert extras["endpoint"] == f"https://api.telegram.org/bot{MASK}/sendMessage"
        assert extras["command"] == MASK and extras["attempt"] == 2


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


async def test_no_profile_answer_in_debug_logs_or_metrics(
    sqlite_url: str, bank: Bank, capfd: pytest.CaptureFixture[str]
) -> None:
    """The profile is health data (issue 11): setting, showing and using it logs none of it."""
    from prometheus_client import generate_latest

    setup_logging("DEBUG", "text", [TOKEN])
    async with FakeBotApi(token=TOKEN, per_chat_rate=None) as fake:
        runner = Runner(bot_settings(fake, sqlite_url), bank)
        await runner.start()
        try:
            user = User(fake, 31338)
            [age] = await user.send("/profile")
            [sex] = await user.press(age, "pf:s:age:71:g")
            await user.press(sex, "pf:s:sex:breastfeeding:g")
            await user.send("/profile set medicine ibandronate")
            await user.send("/profile set kidney unsure")
            await user.send("/profile set diet vegan")
            await user.send("/profile set region uk")
            await user.send("/mydata")
            await user.send("/intake")
            metrics = generate_latest(runner.services.metrics.registry).decode()
        finally:
            await runner.stop()
    err = capfd.readouterr().err
    assert "profile" in err  # the command's name is logged, so logging was on
    for answer in ("breastfeeding", "ibandronate", "unsure", "vegan", "71+", "'uk'"):
        assert answer not in err.casefold(), answer
        assert answer not in metrics.casefold(), answer


async def test_no_dose_plan_or_log_in_debug_logs_or_metrics(
    sqlite_url: str, bank: Bank, capfd: pytest.CaptureFixture[str]
) -> None:
    """The dose plan and log are health data (issue 11): setting them up, showing and stopping
    them logs none of it."""
    from prometheus_client import generate_latest

    setup_logging("DEBUG", "text", [TOKEN])
    async with FakeBotApi(token=TOKEN, per_chat_rate=None) as fake:
        runner = Runner(bot_settings(fake, sqlite_url), bank)
        await runner.start()
        try:
            user = User(fake, 31339)
            await user.send("/dose risedronate monthly 15 08:00 Europe/Madrid")
            await user.send("/dose")
            await user.send("/mydata")
            await user.send("/history")
            await user.send("/dose off")
            metrics = generate_latest(runner.services.metrics.registry).decode()
        finally:
            await runner.stop()
    err = capfd.readouterr().err
    assert "dose" in err  # the command's name is logged, so logging was on
    for secret in ("risedronate", "actonel", "monthly", "europe/madrid"):
        assert secret not in err.casefold(), secret
        assert secret not in metrics.casefold(), secret
