"""The quiz bank: Telegram's poll limits, questions tied to their tips, FILE:LINE problems."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from tipbot.content.loader import bundled_bank_dir
from tipbot.content.models import Bank, QuizQuestion
from tipbot.content.quiz import as_poll, choose
from tipbot.content.validate import Rules, numbers, validate_dir


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bank"
    shutil.copytree(bundled_bank_dir(), target, ignore=shutil.ignore_patterns("*.md"))
    return target


def replace(path: Path, old: str, new: str) -> int:
    """Replace the first `old` (which must occur); return its 1-based line."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def problems_in(directory: Path) -> list[str]:
    _, problems = validate_dir(directory, Rules(readability=False))
    return [str(p) for p in problems]


def test_the_bank_has_thirty_questions_each_from_a_tip_and_its_sources(bank: Bank) -> None:
    assert len(bank.quiz) >= 30
    assert len({q.id for q in bank.quiz}) == len(bank.quiz)
    for question in bank.quiz:
        tip = bank.tip(question.tip)
        assert tip is not None, question.id
        assert question.source in tip.sources
        for text in (question.question, question.answer, question.explanation):
            assert numbers(text) <= numbers(tip.text), (question.id, text)


def test_numbers_ignore_thousands_commas() -> None:
    assert numbers("73,684 women; 0.75 to 0.95 mmol/L; 1800 mg") == {
        "73684",
        "0.75",
        "0.95",
        "1800",
    }


def test_poll_fields_are_escaped_and_point_at_the_answer() -> None:
    question = QuizQuestion(
        id="q",
        tip="t",
        question="Which is <more>?",
        options=["A & B", "C"],
        answer="C",
        explanation="C has 5 mg & more.",
        source="s",
    )
    poll = as_poll(question)
    assert poll.question == "Which is &lt;more&gt;?"
    assert poll.options == ("A &amp; B", "C")
    assert poll.correct_option_id == 1
    assert poll.explanation == "C has 5 mg &amp; more."


def test_choose_avoids_the_last_question(bank: Bank) -> None:
    rng = random.Random(7)
    last = bank.quiz[0].id
    assert all(choose(bank.quiz, rng, last).id != last for _ in range(200))
    [only] = bank.quiz[:1]
    assert choose([only], rng, only.id) is only


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    tip: chia-seeds\n", "    tip: chia-seedz\n", "unknown tip id 'chia-seedz'"),
        ("    source: iom_2006_guide\n", "    source: ods_hp\n", "is not one of tip 'rda-how-set'"),
        (
            "      One ounce of chia seeds has 111 mg of magnesium",
            "      One ounce of chia seeds has 112 mg of magnesium",
            "explanation has 112, which tip 'chia-seeds' does not say",
        ),
        ("    answer: 111 mg\n", "    answer: 112 mg\n", "is not one of the options"),
        ("    options: [11 mg, 111 mg, 311 mg]\n", "    options: [111 mg]\n", "at least 2"),
        (
            "    options: [11 mg, 111 mg, 311 mg]\n",
            "    options: [11 mg, 111 mg, " + "x" * 101 + "]\n",
            "1 to 100 characters",
        ),
        (
            "    question: How much magnesium is in one ounce of chia seeds?\n",
            "    question: " + "Why? " * 61 + "\n",
            "at most 300 characters",
        ),
        (
            "      One ounce of chia seeds has 111 mg of magnesium, about 26%",
            "      One ounce of chia seeds has 111 mg." + " Really." * 25 + " 26%",
            "at most 200 characters",
        ),
    ],
)
def test_a_broken_question_is_reported_at_its_line(
    bank_copy: Path, old: str, new: str, message: str
) -> None:
    path = bank_copy / "quiz.yaml"
    line = replace(path, old, new)
    problems = problems_in(bank_copy)
    assert problems, "the broken question was accepted"
    assert all(p.startswith(f"{path}:") for p in problems), problems
    [problem] = [p for p in problems if message in p]
    reported = int(problem.split(":")[1])
    assert line - 12 <= reported <= line, (line, problem)


def test_too_few_questions(bank_copy: Path) -> None:
    path = bank_copy / "quiz.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("  - id: rda-women\n")])  # three questions left
    problems = problems_in(bank_copy)
    [problem] = [p for p in problems if "/locales/" not in p]
    assert problem.endswith("the quiz has 3 questions; at least 30 needed")
    # The removed questions' translations are now extra entries, each an error at its line.
    extra = [p for p in problems if "/locales/" in p]
    assert len(extra) == 3 * 35 and all("unknown quiz id" in p for p in extra), extra[:3]


def test_duplicate_question_id(bank_copy: Path) -> None:
    path = bank_copy / "quiz.yaml"
    replace(path, "  - id: chia\n", "  - id: almonds\n")
    lines = path.read_text().splitlines()
    line = [n for n, text in enumerate(lines, start=1) if text == "  - id: almonds"][1]
    [problem] = problems_in(bank_copy)
    assert problem == f"{bank_copy / 'quiz.yaml'}:{line}: duplicate id 'almonds' in quiz"
