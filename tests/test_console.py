"""`tipbot console`: the real handlers offline, input piped in, replies printed readably."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime, timedelta

from tipbot.config import Settings
from tipbot.console import Console, parse_wait
from tipbot.content.models import Bank


async def chat(bank: Bank, text: str) -> tuple[str, int]:
    out = io.StringIO()
    console = Console(Settings(), bank, out)
    status = await console.run(io.StringIO(text), prompt=False)
    return out.getvalue(), status


async def test_piped_commands_are_answered_as_plain_text(bank: Bank) -> None:
    out, status = await chat(bank, "/foods\n/interactions Fosamax\n")
    assert status == 0
    assert "• Pumpkin seeds, roasted, 1 oz (28.35 g): 156 mg (37% DV)" in out
    assert "<b>" not in out and "&amp;" not in out
    assert "(https://ods.od.nih.gov/factsheets/Magnesium-HealthProfessional/)" in out
    assert "Fosamax (alendronate) belongs to: Oral bisphosphonates" in out


async def test_typing_a_buttons_number_presses_it(bank: Bank) -> None:
    out, _ = await chat(bank, "/foods\n2\n")
    assert "[2] Legumes and soy" in out
    assert "(edited) Foods rich in magnesium · Legumes and soy" in out


async def test_disclaimer_button_shows_the_popup(bank: Bank) -> None:
    out, _ = await chat(bank, "/help\n7\n")
    assert "[7] ⚕️ Disclaimer" in out
    assert "[popup] General information, not medical advice." in out


async def test_subscription_works_offline(bank: Bank) -> None:
    out, _ = await chat(bank, "/subscribe 07:30 Europe/Berlin\n/status\n")
    assert "Subscribed! You'll get one tip a day at 07:30 (Europe/Berlin)" in out
    assert "Daily tip at 07:30 (Europe/Berlin)" in out


def test_console_command_reads_stdin_until_its_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tipbot", "console"],
        input="/start\n/nonsense\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
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
