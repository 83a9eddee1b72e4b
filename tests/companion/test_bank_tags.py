"""Audience tags and dose rules in the bank are validated like every other field: FILE:LINE."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tipbot.content.loader import bundled_bank_dir
from tipbot.content.models import DoseKind, Timing
from tipbot.content.validate import Rules, validate_dir

RULES = Rules(readability=False)  # the reading-grade check is covered in tests/content


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bank"
    shutil.copytree(bundled_bank_dir(), target, ignore=shutil.ignore_patterns("*.md"))
    return target


def add_tags(path: Path, lines: str) -> int:
    """Put `lines` under the first tip; return the 1-based line of the first added line."""
    text = path.read_text()
    anchor = "    evidence:"
    start = text.index(anchor)
    end = text.index("\n", start) + 1
    path.write_text(text[:end] + lines + text[end:])
    return text[:end].count("\n") + 1


def first_tip_id(path: Path) -> str:
    """The id of the first tip in `path` (the merged bank may list other files' tips first)."""
    return path.read_text().split("  - id: ", 1)[1].split("\n", 1)[0]


def problems(directory: Path) -> list[str]:
    _, found = validate_dir(directory, RULES)
    return [str(p) for p in found]


def test_tags_load(bank_copy: Path) -> None:
    add_tags(bank_copy / "tips.yaml", "    for: [vegan]\n    not_for: [pregnant]\n")
    bank, found = validate_dir(bank_copy, RULES)
    assert found == [] and bank is not None
    first = next(t for t in bank.tips if t.id == first_tip_id(bank_copy / "tips.yaml"))
    assert [t.value for t in first.for_] == ["vegan"]
    assert [t.value for t in first.not_for] == ["pregnant"]


def test_unknown_tag_names_file_and_line(bank_copy: Path) -> None:
    line = add_tags(bank_copy / "tips.yaml", "    not_for: [pregnat]\n")
    [problem] = problems(bank_copy)
    assert problem.startswith(f"{bank_copy / 'tips.yaml'}:{line}: tips.0.not_for.0:")
    assert "'pregnant'" in problem  # the message lists the tags that exist


def test_misspelt_tag_key_names_file_and_line(bank_copy: Path) -> None:
    line = add_tags(bank_copy / "tips.yaml", "    notfor: [pregnant]\n")
    [problem] = problems(bank_copy)
    assert problem.startswith(f"{bank_copy / 'tips.yaml'}:")
    assert "unknown field 'tips.0.notfor'" in problem
    assert abs(int(problem.split(":")[1]) - line) <= 1


def test_for_and_not_for_the_same_tag_is_an_error(bank_copy: Path) -> None:
    line = add_tags(bank_copy / "tips.yaml", "    for: [vegan]\n    not_for: [vegan]\n")
    [problem] = problems(bank_copy)
    assert problem.startswith(f"{bank_copy / 'tips.yaml'}:{line + 1}:")
    assert "both for and not_for 'vegan'" in problem


def test_caution_without_a_caution_text_is_an_error(bank_copy: Path) -> None:
    line = add_tags(bank_copy / "tips.yaml", "    caution_for: [vegan]\n")
    [problem] = problems(bank_copy)
    assert problem.startswith(f"{bank_copy / 'tips.yaml'}:{line}:")
    assert "no caution text" in problem


def test_dose_rule_without_its_wait_names_file_and_line(bank_copy: Path) -> None:
    path = bank_copy / "doses.yaml"
    text = path.read_text()
    path.write_text(text.replace("    food_wait_minutes: 60\n", "", 1))
    [problem] = problems(bank_copy)
    assert problem.startswith(f"{path}:")
    assert "needs food_wait_minutes" in problem


def test_missed_rule_for_a_schedule_the_medicine_lacks(bank_copy: Path) -> None:
    path = bank_copy / "doses.yaml"
    text = path.read_text()
    old = "    schedules: [daily, weekly, monthly]\n"
    path.write_text(text.replace(old, "    schedules: [daily, weekly]\n", 1))
    [problem] = problems(bank_copy)
    assert "missed rule for 'monthly'" in problem


def test_dose_rule_citing_an_unknown_source(bank_copy: Path) -> None:
    path = bank_copy / "doses.yaml"
    text = path.read_text()
    path.write_text(text.replace("sources: [reclast_label]", "sources: [reclast_lable]", 1))
    [problem] = problems(bank_copy)
    assert problem.startswith(f"{path}:")
    assert "unknown source id 'reclast_lable'" in problem


def test_the_bundled_dose_rules(bank_copy: Path) -> None:
    bank, found = validate_dir(bank_copy, RULES)
    assert found == [] and bank is not None
    rules = {r.id: r for r in bank.doses}
    assert rules["alendronate"].food_wait_minutes == 30
    assert rules["ibandronate"].food_wait_minutes == 60
    assert rules["atelvia"].timing is Timing.AFTER_BREAKFAST
    assert rules["denosumab"].schedules == [DoseKind.EVERY_6_MONTHS]
    assert rules["zoledronic-acid"].schedules == [DoseKind.YEARLY, DoseKind.EVERY_2_YEARS]
    # Never invent a rule: the labels give no missed-dose rule for these.
    assert DoseKind.DAILY not in rules["alendronate"].missed
    assert DoseKind.DAILY not in rules["risedronate"].missed
    assert rules["zoledronic-acid"].missed == {}


def test_a_hard_to_read_dose_rule_names_file_and_line(bank_copy: Path) -> None:
    path = bank_copy / "doses.yaml"
    text = path.read_text()
    old = "There is no timing rule between this infusion and calcium, magnesium, iron or antacids"
    hard = (
        "Notwithstanding pharmacokinetic considerations, concomitant administration of multivalent "
        "cation-containing preparations necessitates individualised consideration by prescribers"
    )
    assert old in text
    line = text[: text.index(old)].count("\n")  # the `minerals: >-` line just above
    path.write_text(text.replace(old, hard))
    _, found = validate_dir(bank_copy, Rules())
    [problem] = [str(p) for p in found]
    assert problem.startswith(f"{path}:{line}: dose rule 'zoledronic-acid' minerals reads at grade")


def test_a_brand_under_two_products_names_file_and_line(bank_copy: Path) -> None:
    path = bank_copy / "doses.yaml"
    text = path.read_text()
    old = "    brands: [Binosto]\n"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, "    brands: [Binosto, FOSAMAX]\n"))
    [problem] = problems(bank_copy)
    assert problem == f"{path}:{line}: brand 'FOSAMAX' is already listed under 'alendronate'"
