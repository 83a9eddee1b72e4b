"""`tipbot validate`: each kind of broken bank is reported as FILE:LINE: message, never a trace."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tipbot import cli
from tipbot.content import render, validate
from tipbot.content.loader import bundled_bank_dir
from tipbot.content.validate import validate_dir


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bank"
    shutil.copytree(bundled_bank_dir(), target, ignore=shutil.ignore_patterns("*.md"))
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace `old` (which must occur) and return the 1-based line where it was."""
    text = path.read_text()
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count))
    return line


def problems_in(directory: Path) -> list[str]:
    _, problems = validate_dir(directory)
    return [str(p) for p in problems]


def test_the_bundled_bank_is_valid() -> None:
    bank, problems = validate_dir(None)
    assert problems == []
    assert bank is not None and len(bank.tips) >= 90


def test_malformed_yaml_names_file_and_line(bank_copy: Path) -> None:
    line = edit(bank_copy / "tips.yaml", "    topic: magnesium_in_body\n", "    topic: [unclosed\n")
    [problem] = problems_in(bank_copy)
    assert problem.startswith(f"{bank_copy / 'tips.yaml'}:")
    assert "malformed YAML" in problem
    reported = int(problem.split(":")[1])
    assert line <= reported <= line + 2


def test_unknown_source_id(bank_copy: Path) -> None:
    line = edit(
        bank_copy / "tips.yaml", "    sources: [iom_1997]\n", "    sources: [nobody_2099]\n"
    )
    [problem] = problems_in(bank_copy)
    assert (
        problem
        == f"{bank_copy / 'tips.yaml'}:{line}: unknown source id 'nobody_2099' (not in sources)"
    )


def test_duplicate_id(bank_copy: Path) -> None:
    line = edit(bank_copy / "tips.yaml", "  - id: bone-reserve\n", "  - id: bone-store-half\n")
    [problem] = problems_in(bank_copy)
    assert problem == f"{bank_copy / 'tips.yaml'}:{line}: duplicate id 'bone-store-half' in tips"


def test_missing_url(bank_copy: Path) -> None:
    path = bank_copy / "sources.yaml"
    edit(path, "    url: https://ods.od.nih.gov/factsheets/Magnesium-HealthProfessional/\n", "")
    [problem] = problems_in(bank_copy)
    assert problem.startswith(f"{path}:7: ")
    assert "missing field 'sources.0.url'" in problem


def test_url_must_be_https(bank_copy: Path) -> None:
    line = edit(
        bank_copy / "sources.yaml",
        "https://ods.od.nih.gov/factsheets/Magnesium-HealthProfessional/",
        "http://ods.od.nih.gov/factsheets/Magnesium-HealthProfessional/",
    )
    [problem] = problems_in(bank_copy)
    assert problem.startswith(f"{bank_copy / 'sources.yaml'}:{line}: ")
    assert "https://" in problem


def test_unknown_field_is_a_typo_not_ignored(bank_copy: Path) -> None:
    line = edit(
        bank_copy / "tips.yaml",
        "    evidence: reference_value\n",
        "    evidense: reference_value\n",
    )
    problems = problems_in(bank_copy)
    assert any(p.startswith(f"{bank_copy / 'tips.yaml'}:{line}: unknown field") for p in problems)


def test_over_long_tip(bank_copy: Path) -> None:
    line = edit(
        bank_copy / "tips.yaml",
        "      keep it steady.\n",
        "      keep it steady." + " More." * 120 + "\n",
    )
    problems = problems_in(bank_copy)
    assert any(":" in p and "at most 600 characters" in p for p in problems), problems
    assert any(p.startswith(f"{bank_copy / 'tips.yaml'}:{line - 3}:") for p in problems), (
        line,
        problems,
    )


def test_over_long_message_is_reported(bank_copy: Path) -> None:
    path = bank_copy / "forms.yaml"
    line = edit(path, "    name: Magnesium oxide\n", "    name: Magnesium " + "oxide " * 900 + "\n")
    problems = problems_in(bank_copy)
    assert f"{path}:{line - 1}: cannot render this entry: one line is" in "\n".join(problems)
    assert any("over 4096" in p for p in problems), problems


def test_a_line_longer_than_a_screen_is_reported(bank_copy: Path) -> None:
    """Within Telegram's limit, but a phone screen cannot hold it: its answer could not page."""
    path = bank_copy / "forms.yaml"
    long = "It dissolves poorly. " * 80  # about 1,700 characters, one line
    start = "      It dissolves poorly. In one small test"
    line = edit(path, start, f"      {long}In one small test")
    problems = "\n".join(problems_in(bank_copy))
    assert f"{path}:{line - 5}: cannot render this entry: one line is" in problems
    assert "a screen holds 1500" in problems
    assert "over 4096" not in problems


def test_invalid_html_from_a_renderer_bug_is_caught(
    bank_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken: Callable[..., str] = lambda bank, tip: f"<b>{tip.title}"  # noqa: E731 - an unclosed tag
    monkeypatch.setattr(render, "tip", broken)
    problems = problems_in(bank_copy)
    assert problems
    # The English tips and every translation of them (tips/locales/<lang>/tips.yaml).
    tip_files = {
        str(path) for path in bank_copy.rglob("*.yaml") if "\ntips:" in "\n" + path.read_text()
    }
    assert all("would be rejected by Telegram" in p for p in problems)
    assert {p.split(":")[0] for p in problems} == tip_files, "every file holding tips is checked"


def test_too_few_tips_and_topic_spread(bank_copy: Path) -> None:
    rules = validate.Rules(min_tips=200, max_topic_share=0.05)
    _, problems = validate.validate_dir(bank_copy, rules)
    text = "\n".join(str(p) for p in problems)
    assert "at least 200 needed" in text
    assert "more than" in text


def test_hard_to_read_tip(bank_copy: Path) -> None:
    hard = (
        "Pharmacokinetic interactions characterising divalent cation chelation substantially "
        "compromise bisphosphonate bioavailability, necessitating meticulous administration "
        "scheduling considerations."
    )
    edit(bank_copy / "tips.yaml", "      keep it steady.\n", "      keep it steady. " + hard + "\n")
    problems = problems_in(bank_copy)
    assert any("reads at grade" in p for p in problems), problems


def test_cli_validate_prints_problems_and_exits_1(
    bank_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit(
        bank_copy / "tips.yaml", "    sources: [iom_1997]\n", "    sources: [nobody_2099]\n"
    )
    assert cli.main(["validate", str(bank_copy)]) == 1
    err = capsys.readouterr().err
    assert f"tips.yaml:{line}: unknown source id 'nobody_2099'" in err
    assert "Traceback" not in err


def test_cli_validate_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--report"]) == 0
    out = capsys.readouterr().out
    for heading in (
        "Tips per topic",
        "Tips per evidence level",
        "Readability",
        "Sources never cited",
    ):
        assert heading in out


def test_run_refuses_a_broken_bank(
    bank_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(bank_copy / "tips.yaml", "    sources: [iom_1997]\n", "    sources: [nobody_2099]\n")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:ABC")
    monkeypatch.setenv("TIPBOT_TIPS_DIR", str(bank_copy))
    assert cli.main(["run"]) == 1
    err = capsys.readouterr().err
    assert "unknown source id 'nobody_2099'" in err and "refusing to start" in err


def test_cli_export_resolves_sources(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert cli.main(["export"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tips"][0]["sources"][0]["url"].startswith("https://")
    assert {"foods", "forms", "interactions", "intakes", "sources"} <= set(data)


def test_run_skips_only_the_reading_grade(bank_copy: Path) -> None:
    hard = "Pharmacokinetic interactions necessitate meticulous administration considerations."
    edit(bank_copy / "tips.yaml", "      keep it steady.\n", "      keep it steady. " + hard + "\n")
    _, quick = validate.validate_dir(bank_copy, validate.Rules(readability=False))
    assert quick == []
    edit(bank_copy / "tips.yaml", "    sources: [iom_1997]\n", "    sources: [nobody_2099]\n")
    _, quick = validate.validate_dir(bank_copy, validate.Rules(readability=False))
    assert any("unknown source id" in str(p) for p in quick)


# --- source kinds (issue 10) ----------------------------------------------------------------------

COMMERCIAL_GABAPENTIN = """
  - id: goodrx_gabapentin
    title: Magnesium and gabapentin
    publisher: GoodRx
    url: https://www.goodrx.com/gabapentin/magnesium-and-gabapentin
    kind: commercial
    medicine: {medicine}
"""


def test_a_commercial_source_fails_where_the_bank_has_the_official_label(bank_copy: Path) -> None:
    path = bank_copy / "sources.yaml"
    text = path.read_text()
    path.write_text(text + COMMERCIAL_GABAPENTIN.format(medicine="Gabapentin"))
    kind_line = (text + COMMERCIAL_GABAPENTIN).count("\n") - 1
    [problem] = problems_in(bank_copy)
    assert problem == (
        f"{path}:{kind_line}: source 'goodrx_gabapentin' is a commercial page about Gabapentin, "
        "but the bank has the official source 'neurontin_label' for it: cite that instead"
    )


def test_a_commercial_source_is_allowed_while_no_official_one_exists(bank_copy: Path) -> None:
    path = bank_copy / "sources.yaml"
    path.write_text(path.read_text() + COMMERCIAL_GABAPENTIN.format(medicine="warfarin"))
    assert problems_in(bank_copy) == []


def test_every_source_must_say_what_kind_it_is(bank_copy: Path) -> None:
    path = bank_copy / "sources.yaml"
    line = edit(path, "    kind: regulator\n", "")
    [problem] = problems_in(bank_copy)
    assert problem.startswith(f"{path}:{line - 4}: ")
    assert "missing field 'sources.0.kind'" in problem


def test_report_lists_sources_by_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--report"]) == 0
    out = capsys.readouterr().out
    # The section ends at the blank line before the translations' coverage.
    section = out[out.index("Sources by kind:") :].split("\n\n")[0].splitlines()
    rows = {line.split()[0]: line for line in section[1:] if line.strip()}
    assert list(rows) == ["label", "regulator", "review", "trial", "study", "commercial"]
    assert "atelvia_label" in rows["label"] and "ods_hp" in rows["regulator"]
    assert "dai_2018" in rows["trial"] and "castiglioni_2013" in rows["review"]
    assert rows["commercial"].split()[1] == "0:"
