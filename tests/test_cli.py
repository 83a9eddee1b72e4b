"""The command line: help, the no-token message, bad settings, and the bank inside the wheel."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import bot_settings
from tests.fakebot.server import FakeBotApi
from tipbot import cli
from tipbot.content.models import Bank
from tipbot.runner import Runner

ROOT = Path(__file__).resolve().parents[1]


def tipbot(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TIPBOT_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "tipbot", *args],
        env={**clean, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_the_subcommands() -> None:
    result = tipbot("--help")
    assert result.returncode == 0
    for word in ("run", "console", "validate", "export"):
        assert word in result.stdout


@pytest.mark.parametrize("sub", ["run", "console", "validate", "export"])
def test_each_subcommand_has_help(sub: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([sub, "--help"])
    assert exit_info.value.code == 0
    assert len(capsys.readouterr().out) > 100


def test_run_without_a_token_explains_and_exits_2() -> None:
    result = tipbot("run")
    assert result.returncode == 2
    assert "@BotFather" in result.stderr and "tipbot console" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_is_named_without_a_traceback() -> None:
    result = tipbot("run", env={"TELEGRAM_BOT_TOKEN": "1:x", "TIPBOT_MAX_RATE": "fast"})
    assert result.returncode == 2
    assert "TIPBOT_MAX_RATE" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_api_is_a_clear_error_and_the_token_stays_secret() -> None:
    token = "123456789:AAHsecretsecretsecretsecretsecret12"
    result = tipbot(
        "run", env={"TELEGRAM_BOT_TOKEN": token, "TIPBOT_API_URL": "http://127.0.0.1:9"}
    )
    assert result.returncode == 1
    assert "cannot reach the Bot API at http://127.0.0.1:9" in result.stderr
    assert token not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_the_wheel_carries_the_tip_bank_and_finds_it_from_any_directory(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("tipbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "tipbot/bank/tips.yaml" in names and "tipbot/bank/sources.yaml" in names
        archive.extractall(tmp_path / "site")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "tipbot", "validate"],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = subprocess.run(
        [sys.executable, "-c", "import tipbot.content.loader as l; print(l.bundled_bank_dir())"],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout.strip() == str(tmp_path / "site" / "tipbot" / "bank")


def test_only_run_keeps_the_collector_paused_and_its_runner_resumes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`python -m tipbot` pauses the cyclic collector for start-up; every command but `run`
    turns it back on at once (`run` does after Runner.start, see test_runner_resumes_...)."""
    monkeypatch.setenv("TIPBOT_MAX_RATE", "0")  # invalid: main returns right after the gc step
    try:
        gc.disable()
        assert cli.main(["console"]) == 2
        assert gc.isenabled()
        assert cli.main(["run"]) == 2
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_runner_resumes_the_collector_once_started(
    fake_api: FakeBotApi, sqlite_url: str, bank: Bank
) -> None:
    run = Runner(bot_settings(fake_api, sqlite_url), bank, schedule_sweeps=False)
    try:
        gc.disable()
        await run.start()
        assert gc.isenabled()
    finally:
        gc.enable()
        await run.stop()


async def test_a_polling_start_deletes_the_webhook_once_before_its_first_getupdates(
    fake_api: FakeBotApi, sqlite_url: str, bank: Bank
) -> None:
    """PTB's start_polling deletes the webhook itself; tipbot's own call was a second round
    trip before the first update."""
    fake_api.push_message(777_000_002, "/help")  # so the first getUpdates is answered at once
    run = Runner(bot_settings(fake_api, sqlite_url), bank, schedule_sweeps=False)
    try:
        await run.start()
        for _ in range(200):
            if fake_api.method_counts["getUpdates"]:
                break
            await asyncio.sleep(0.01)
        assert fake_api.method_counts["getUpdates"] >= 1
        assert fake_api.method_counts["deleteWebhook"] == 1
    finally:
        await run.stop()
