"""`tipbot console`: the real handlers offline, input piped in, replies printed readably."""

from __future__ import annotations

import asyncio
import html
import io
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.bot.english import LABEL_TERMS, bank_texts, english_left
from tipbot import messages
from tipbot.config import Settings
from tipbot.console import USER, Console, parse_wait
from tipbot.content.models import Bank
from tipbot.i18n import Translator
from tipbot.storage import db
from tipbot.telegram_html import visible_text


async def chat(bank: Bank, text: str) -> tuple[str, int]:
    out = io.StringIO()
    console = Console(Settings(), bank, out)
    status = await console.run(io.StringIO(text), prompt=False)
    return out.getvalue(), status


async def test_piped_commands_are_answered_as_plain_text(bank: Bank) -> None:
    # /foods, then its first button (📚 Sources: the list is too long for one screen with them).
    out, status = await chat(bank, "/foods\n1\n/interactions Fosamax\n")
    assert status == 0
    assert "• Pumpkin seeds, roasted, 1 oz (28.35 g): 156 mg (37% DV)" in out
    assert "<b>" not in out and "&amp;" not in out
    assert "(https://ods.od.nih.gov/factsheets/Magnesium-HealthProfessional/)" in out
    assert "Fosamax (alendronate) belongs to: Oral bisphosphonates" in out


async def test_typing_a_buttons_number_presses_it(bank: Bank) -> None:
    out, _ = await chat(bank, "/foods\n3\n")
    assert "[3] Legumes and soy" in out
    assert "(edited) Foods rich in magnesium · Legumes and soy" in out


async def test_disclaimer_button_shows_the_popup(bank: Bank) -> None:
    out, _ = await chat(bank, "/help\n7\n")
    assert "[7] ⚕️ Disclaimer" in out
    assert "[popup] General information, not medical advice." in out


async def test_subscription_works_offline(bank: Bank) -> None:
    out, _ = await chat(bank, "/subscribe 07:30 Europe/Berlin\n/status\n")
    assert "Subscribed! You'll get one tip a day at 07:30 (Europe/Berlin)" in out
    assert "Daily tip at 07:30 (Europe/Berlin)" in out


def run_console(typed: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """`tipbot console` as a person runs it, `typed` on its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "tipbot", "console", *flags],
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_console_command_reads_stdin_until_its_end() -> None:
    result = run_console("/start\n/nonsense\n")
    assert result.returncode == 0, result.stderr
    assert "Hello, You!" in result.stdout
    assert "Sorry, I don't know that command" in result.stdout
    assert "Traceback" not in result.stderr


async def test_the_food_chart_and_a_quiz_show_as_text(bank: Bank) -> None:
    out, status = await chat(bank, "/foods\n/quiz\n")
    assert status == 0
    assert "[picture] Chart: magnesium in one serving of the 10 richest foods." in out
    assert out.index("[picture]") < out.index("The 10 foods richest in magnesium")
    [quiz] = [block for block in out.split("\n\n") if block.startswith("[quiz] ")]
    question = quiz.splitlines()[0].removeprefix("[quiz] ")
    [asked] = [q for q in bank.quiz if q.question == question]
    assert f"  1. {asked.options[0]}" in quiz


async def test_console_in_german(bank: Bank) -> None:
    """`tipbot console --lang de`: the same handlers, answering a German Telegram user."""
    out = io.StringIO()
    console = Console(Settings(), bank, out, language="de")
    assert await console.run(io.StringIO("/help\n/intake\n"), prompt=False) == 0
    text = out.getvalue()
    assert "Was ich kann" in text and "/language — Die Sprache meiner Antworten wählen" in text
    assert "Empfohlene Magnesiummenge am Tag: Für wen?" in text
    assert "What I can do" not in text


#: Every command of the menu, with arguments where the bare command only asks a question. In
#: four parts, each typed into a console of its own, at the same time: the console answers like
#: Telegram's one chat, about a message a second. A part after the first begins with /quiz, so
#: /status and /mydata show a quiz sent, as they do to a chat that types everything in this order.
EVERY_COMMAND = [
    ["/start", "/tip", "/quiz", "/foods", "/forms", "/interactions", "/intake"],
    ["/quiz", "/subscribe", "/settings", "/status", "/pause", "/resume", "/unsubscribe"],
    [
        "/quiz",
        "/sources",
        "/about",
        "/profile",
        "/dose",
        "/history",
        "/mydata",
        "/forget",
        "/language",
        "/help",
    ],
    [
        "/quiz",
        "/interactions Fosamax",
        "/intake 67 female",
        "/subscribe 07:30 Europe/Berlin",
        "/status",
        "/profile set age 71",
        "/language xx",
        "/subscribe 25:99",
        "/nonsense",
    ],
]


def test_the_console_sweep_types_every_command_of_the_menu() -> None:
    """A command added to the menu is added to the sweep too."""
    typed = [line for part in EVERY_COMMAND for line in part]
    assert {f"/{c.name}" for c in messages.COMMANDS} <= set(typed)


async def test_console_answers_every_command_in_german(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tipbot console --lang de`: every command is answered, as Telegram would accept it, and
    with no English left but the bank's own text (see tests/bot/english.py; every language is
    checked through the fake Bot API in tests/bot/test_every_reply_translated.py)."""
    lang = "de"
    # Each console migrates a database of its own as it starts; Alembic's context is one per
    # process, so they take turns (a process of tipbot only ever has one database).
    one_at_a_time, migrate = asyncio.Lock(), db.migrate

    async def migrate_in_turn(engine: AsyncEngine) -> str:
        async with one_at_a_time:
            return await migrate(engine)

    monkeypatch.setattr(db, "migrate", migrate_in_turn)

    async def typed(lines: list[str]) -> str:
        out = io.StringIO()
        console = Console(Settings(), bank, out, language=lang)
        status = await console.run(io.StringIO("\n".join(lines) + "\n"), prompt=False)
        assert status == 0, console.request.problems
        banner, text = out.getvalue().split("\n", 1)  # the console's own line is not the bot's
        assert banner.startswith("tipbot console:")
        return text

    text = "\n".join(await asyncio.gather(*(typed(part) for part in EVERY_COMMAND)))
    t = Translator(lang)
    for expected in (messages.HELP_HEADER, messages.SUB_STATUS, messages.ABOUT):
        assert visible_text(t.gettext(expected).split("{")[0].split("\n")[0]) in text
    # The console's own words (a quiz is answered in Telegram) and the user's name are not the
    # bot's replies.
    own = ["(answer it in Telegram)", str(USER["first_name"])]
    assert english_left(html.escape(text), [*bank_texts(bank), *LABEL_TERMS, *own]) == []


def test_console_lang_flag_picks_the_language() -> None:
    result = run_console("/status\n/mydata\n", "--lang", "de")
    assert result.returncode == 0, result.stderr
    assert "Sie haben keine Tagestipps abonniert" in result.stdout
    assert "Was der Bot über Sie speichert" in result.stdout


async def test_the_console_clock_runs_a_week_of_dose_reminders(bank: Bank) -> None:
    out = io.StringIO()
    console = Console(Settings(), bank, out, start=datetime(2026, 5, 31, 18, 0))
    script = (
        "/dose alendronate weekly mon 07:00 Europe/Berlin\n"
        ":wait 11h\n1\n:wait 1h\n:wait 7d\n/history\n:wait soon\n"
    )
    assert await console.run(io.StringIO(script), prompt=False) == 0
    text = out.getvalue()
    assert "[clock] Mon 2026-06-01 05:00 UTC\n💊 Time for your Alendronate" in text
    assert "Noted: taken at 7:00" in text  # (Babel puts a narrow space before AM)
    assert "[clock] Mon 2026-06-01 05:30 UTC\n🍳 The 30-minute wait" in text
    assert text.count("💊 Time for your Alendronate") == 2  # this Monday and the next
    assert "[clock] Mon 2026-06-08 06:00 UTC\n💊 A gentle reminder" in text  # no answer
    assert "Taken: 1 of 2 doses (50%)" in text
    assert "Type :wait 30m" in text  # a duration it cannot read is explained


def test_wait_durations() -> None:
    assert parse_wait("1d2h30m") == timedelta(days=1, hours=2, minutes=30)
    assert parse_wait("45m") == timedelta(minutes=45)
    assert parse_wait("") is None and parse_wait("soon") is None and parse_wait("2x") is None
