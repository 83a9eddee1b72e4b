"""Translated tables (foods, forms, interactions, intakes, quiz, doses): each text field passes
the same safety checks as a tip, a bad one names FILE:LINE and stops the bank, and a missing or
stale entry falls back to English for that entry alone."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot import cli
from tipbot.bot.composer import Composer
from tipbot.companion.profile import Kidney, Profile
from tipbot.content import render, table_texts
from tipbot.content import translations as i18n
from tipbot.content.inline_search import InlineIndex
from tipbot.content.loader import bundled_bank_dir, load_bank
from tipbot.content.models import AudienceTag, Bank, DoseKind
from tipbot.content.validate import validate_dir
from tipbot.i18n import Translator
from tipbot.storage.deliveries import ClaimedDelivery


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    """The bundled bank with its real translations, to break one entry at a time."""
    target = tmp_path / "bank"
    shutil.copytree(bundled_bank_dir(), target, ignore=shutil.ignore_patterns("*.md"))
    return target


@pytest.fixture(scope="module")
def english() -> Bank:
    return load_bank().bank


def problems(directory: Path) -> list[str]:
    _, found = validate_dir(directory)
    return [str(p) for p in found]


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (once) and return the line it was on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return line


def test_the_shipped_translations_pass(bank_copy: Path) -> None:
    assert problems(bank_copy) == []


def test_changed_number_in_a_food_serving_is_rejected(bank_copy: Path) -> None:
    path = bank_copy / "locales" / "es" / "foods.yaml"
    line = edit(path, "    serving: 3,5 onzas (99 g)\n", "    serving: 3,5 onzas (90 g)\n")
    found = problems(bank_copy)
    assert found == [
        f"{path}:{line}: es foods 'potato-baked-with-skin' serving: the English says 99 g; "
        "the translation does not",
        f"{path}:{line}: es foods 'potato-baked-with-skin' serving: the translation adds the "
        "number 90, not in the English",
    ]


def test_changed_unit_in_a_dose_rule_is_rejected(bank_copy: Path) -> None:
    path = bank_copy / "locales" / "es" / "doses.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("al menos 60 minutos antes de la", "al menos 60 horas antes de la"), "utf-8"
    )
    found = problems(bank_copy)
    assert found and all("es doses 'ibandronate' how_to_take" in p for p in found), found
    assert any(
        "the translation says 60 hour, but the English does not give 60 in hour" in p for p in found
    ), found


def test_dropped_not_in_the_kidney_caution_is_rejected(bank_copy: Path) -> None:
    path = bank_copy / "locales" / "es" / "interactions.yaml"
    # "do not start ... without your doctor" -> "start ... with your doctor"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: kidney-caution")
    end = text.index("  - id: bisphosphonates")
    entry = (
        text[start:end].replace("no empiece", "empiece").replace(" sin su médico", " con su médico")
    )
    path.write_text(text[:start] + entry + text[end:], encoding="utf-8")
    found = problems(bank_copy)
    assert len(found) == 1, found
    assert "es interactions 'kidney-caution' text: the English has 3 negation(s)" in found[0]
    assert "a dropped negation changes the advice" in found[0]


def test_broken_placeholder_and_added_link_are_rejected(bank_copy: Path) -> None:
    path = bank_copy / "locales" / "ru" / "forms.yaml"
    line = edit(path, "    name: Оксид магния\n", "    name: Оксид магния {name}\n")
    edit(path, "Плохо растворяется.", "Плохо растворяется, см. https://example.com.")
    found = problems(bank_copy)
    assert (
        f"{path}:{line}: ru forms 'oxide' name: placeholders differ from the English "
        "(missing: none; extra: {name})"
    ) in found
    assert any("ru forms 'oxide' absorption: URLs differ" in p for p in found), found


def test_quiz_option_over_telegrams_limit_is_rejected(bank_copy: Path) -> None:
    path = bank_copy / "locales" / "es" / "quiz.yaml"
    long_option = "Como un capricho " + "muy " * 30 + "pequeño"
    edit(
        path, "      - Como la mejor fuente de magnesio para cada día\n", f"      - {long_option}\n"
    )
    found = problems(bank_copy)
    assert any("es quiz 'dark-chocolate' options.1 is" in p and "over 100" in p for p in found), (
        found
    )


def test_a_missing_field_is_rejected_not_half_shown(bank_copy: Path) -> None:
    path = bank_copy / "locales" / "de" / "foods.yaml"
    note = (
        "    note: Reich an Oxalat, das Magnesium bindet, daher wird weniger davon aufgenommen.\n"
    )
    edit(path, note, "")
    found = problems(bank_copy)
    assert len(found) == 1 and "de foods 'spinach-boiled': missing field 'note'" in found[0]


def test_a_number_field_in_a_translation_is_rejected(bank_copy: Path) -> None:
    path = bank_copy / "locales" / "de" / "foods.yaml"
    line = edit(path, "    name: Chiasamen\n", "    name: Chiasamen\n    mg: 111\n") + 1
    assert problems(bank_copy) == [
        f"{path}:{line}: unknown field 'mg' for foods (text fields: name, serving, note; "
        "numbers, ids and sources stay in the English bank)"
    ]


def test_a_stale_entry_falls_back_for_that_entry_alone(bank_copy: Path, english: Bank) -> None:
    path = bank_copy / "locales" / "es" / "forms.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: citrate\n")
    digest = text[start:].split('from: "', 1)[1][:8]
    path.write_text(text.replace(f'from: "{digest}"', 'from: "0badc0de"', 1), encoding="utf-8")
    assert problems(bank_copy) == []  # stale is a warning: the English stands in
    translations = i18n.load_translations(bank_copy, english)
    forms = {f.id: f for f in translations.bank_for("es").forms}
    assert forms["citrate"] == next(f for f in english.forms if f.id == "citrate")
    assert forms["oxide"].name == "Óxido de magnesio"
    assert translations.fallbacks["es"] == 1  # one entry shown in English
    [cov] = [c for c in i18n.coverage(translations, "forms") if c.language == "es"]
    assert (cov.stale, cov.translated) == (["citrate"], len(english.forms) - 1)
    warnings = [str(w) for w in i18n.table_warnings(translations, load_bank(bank_copy))]
    assert any("0badc0de" in w and "forms entry 'citrate'" in w for w in warnings), warnings


def test_translated_bank_keeps_every_number_id_and_source(english: Bank) -> None:
    translations = i18n.load_translations(bundled_bank_dir(), english)
    for lang in i18n.LANGUAGES:
        bank = translations.bank_for(lang)
        assert [(f.mg, f.pct_dv, f.source) for f in bank.foods.items] == [
            (f.mg, f.pct_dv, f.source) for f in english.foods.items
        ]
        assert [(f.id, f.elemental_percent, f.sources) for f in bank.forms] == [
            (f.id, f.elemental_percent, f.sources) for f in english.forms
        ]
        assert [r.female for r in bank.intakes.rda] == [r.female for r in english.intakes.rda]
        assert [q.correct_index for q in bank.quiz] == [q.correct_index for q in english.quiz]
        assert [(d.food_wait_minutes, d.schedules) for d in bank.doses] == [
            (d.food_wait_minutes, d.schedules) for d in english.doses
        ]


def test_dose_rule_text_in_the_readers_language(english: Bank) -> None:
    translations = i18n.load_translations(bundled_bank_dir(), english)
    rule = next(d for d in english.doses if d.id == "alendronate")
    spanish = translations.dose_rule_text(rule, "es")
    assert spanish.how_to_take.startswith("Tómelo al levantarse")
    assert spanish.food_wait_minutes == rule.food_wait_minutes
    missed = translations.missed_rule(rule, DoseKind.WEEKLY, "es")
    assert missed is not None and missed.startswith("Si olvida su comprimido semanal")
    assert translations.dose_rule_text(rule, "en") is rule
    assert translations.missed_rule(rule, DoseKind.DAILY, "es") is None  # the label gives none


def test_every_table_unit_has_a_unique_id(english: Bank) -> None:
    for kind in table_texts.TABLE_KINDS:
        ids = [u.id for u in table_texts.units(english, kind)]
        assert len(ids) == len(set(ids)), kind


def test_report_lists_every_kind_and_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--report"]) == 0
    out = capsys.readouterr().out
    for kind in ("tips", *table_texts.TABLE_KINDS):
        for lang in i18n.LANGUAGES:
            assert any(line.split()[:2] == [kind, f"{lang}:"] for line in out.splitlines()), (
                kind,
                lang,
            )


def test_inline_cards_in_spanish_found_by_english_names(english: Bank) -> None:
    translations = i18n.load_translations(bundled_bank_dir(), english)
    index = InlineIndex(translations.bank_for("es"), Translator("es"), english)
    [card, *_] = index.search("chía")
    assert card.title == "Semillas de chía"
    assert "Semillas de chía" in card.text and "111 mg" in card.text
    [fosamax] = index.search("Fosamax")  # a brand: the English names still find the card
    assert fosamax.title == "Bisfosfonatos orales (comprimidos para la osteoporosis)"
    assert "alendronato (Fosamax" in fosamax.text


async def test_daily_tip_kidney_caution_in_the_subscribers_language(english: Bank) -> None:
    """A Spanish subscriber with kidney disease gets the bank's kidney caution in Spanish."""
    translations = i18n.load_translations(bundled_bank_dir(), english)
    tip = next(t for t in english.tips if AudienceTag.KIDNEY in t.caution_for)
    composer = Composer(english, cast(AsyncEngine, None), translations)
    job = ClaimedDelivery(
        1,
        1,
        tip.id,
        None,
        None,
        0,
        datetime(2026, 6, 1),
        profile=Profile(kidney=Kidney.YES),
        language="es",
    )
    message = await composer(job)
    assert message is not None
    spanish = translations.bank_for("es").interactions.kidney_caution
    assert render.esc(spanish) in message[0]
    assert render.esc(english.interactions.kidney_caution) not in message[0]
