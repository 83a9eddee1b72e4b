"""tipbot reads its environment itself (not with pydantic-settings) and parses the database URL
without SQLAlchemy: both must read what the libraries they replace read."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tipbot.config import Settings, environment, parse_database_url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("TIPBOT_", "TELEGRAM_")):
            monkeypatch.delenv(name)


def test_the_token_has_two_names_and_telegram_s_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIPBOT_TOKEN", "1:second")
    assert environment()["token"] == "1:second"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:first")
    settings = Settings()
    assert settings.token is not None and settings.token.get_secret_value() == "1:first"


def test_arguments_come_before_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIPBOT_MAX_RATE", "5")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:env")
    settings = Settings(max_rate=7.0, token="1:arg")
    assert settings.max_rate == 7.0
    assert settings.token is not None and settings.token.get_secret_value() == "1:arg"
    assert Settings().max_rate == 5.0


def test_names_match_in_any_case_and_others_are_ignored() -> None:
    found = environment({"tipbot_max_rate": "3", "TIPBOT_NO_SUCH": "x", "HOME": "/root"})
    assert found == {"max_rate": "3"}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://tipbot:db-pass@db:5432/tipbot",
        "postgresql+asyncpg://u:p%40ss@h/db",
        "postgresql+asyncpg://u:p@ss@h/db",
        "postgresql+asyncpg://u:p/w@h/db",
        "postgresql+asyncpg://u:@h/db",
        "postgresql+asyncpg://u:p@[::1]:5432/db?ssl=require",
        "postgresql+asyncpg://h:abc/db",
        "postgresql+asyncpg://u:p@h:/db",
        "postgresql://tipbot@db/tipbot",
        "sqlite+aiosqlite:///relative.sqlite3",
        "sqlite+aiosqlite:////abs/path.sqlite3",
        "sqlite+aiosqlite://",
        "tipbot.sqlite3",
        "a b://c",
        "",
    ],
)
def test_database_urls_are_read_as_sqlalchemy_reads_them(url: str) -> None:
    try:
        parsed = make_url(url)
        expected = (parsed.drivername, parsed.get_backend_name(), parsed.password)
    except (ArgumentError, ValueError):
        expected = None
    mine = parse_database_url(url)
    assert (mine and (mine.drivername, mine.backend, mine.password)) == expected


def test_reading_settings_imports_neither_sqlalchemy_nor_pydantic_settings() -> None:
    code = "import sys, tipbot.config as c; c.load_settings(); print(sorted(sys.modules))"
    modules = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "'pydantic'" in modules  # the check can see a module that is imported
    assert "sqlalchemy" not in modules and "pydantic_settings" not in modules
