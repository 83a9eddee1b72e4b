"""`tipbot console`: the real handlers offline, input piped in, replies printed readably."""

from __future__ import annotations

import io
import subprocess
import sys

from tipbot.config import Settings
from tipbot.console import Console
from tipbot.content.models import Bank


async def chat(bank: Bank, text: str) -> tuple[str, int]:
    out = io.StringIO()
    console = Console(Settings(), bank, out)
    status = await console.run(io.StringIO(text), prompt=False)
    return out.getvalue(), status


async def test_piped_commands_are_answered_as_plain_text(bank: Bank) -> None:
    # /foods, then its first button (📚 Sources: the list is too long for one screen with them).
    out, status = await chat(bank, "/foods\n1\n/interactions Fosamax\n")
    assert status == 0
    assert "• Pumpkin seeds, roasted, 1 oz: 156 mg (37% DV)" in out
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
