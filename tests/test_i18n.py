"""Fixed strings in the user's language: language_code mapping, catalogues complete and safe,
plural forms, and dates in the language's own form."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from tipbot import catalogues, messages
from tipbot.i18n import FALLBACKS, LANGUAGES, Translator, language_for


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("de_AT", "de"),
        ("de-CH", "de"),
        ("RU", "ru"),
        ("en-GB", "en"),
        ("pt-br", "en"),
        ("xx", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_for_maps_regional_codes_and_defaults_to_english(
    code: str | None, language: str
) -> None:
    assert language_for(code) == language


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_catalogue_is_complete_and_safe(language: str) -> None:
    """Every message translated, compiled, and keeping placeholders, tags, numbers, negations."""
    assert catalogues.check(language) == []


def test_every_message_reaches_the_user_translated() -> None:
    german = Translator("de")
    assert german.gettext(messages.HELP_HEADER) == "<b>Was ich kann</b>"
    assert german.gettext(messages.COMMANDS[0].description) != messages.COMMANDS[0].description
    for language in LANGUAGES[1:]:
        t = Translator(language)
        assert t.gettext(messages.BOT_DESCRIPTION) != messages.BOT_DESCRIPTION
        assert len(t.gettext(messages.BOT_DESCRIPTION)) <= 512
        assert len(t.gettext(messages.BOT_SHORT_DESCRIPTION)) <= 120


def test_a_missing_message_falls_back_to_english_and_is_counted() -> None:
    before = FALLBACKS["es"]
    assert Translator("es").gettext("A sentence nobody translated.") == (
        "A sentence nobody translated."
    )
    assert FALLBACKS["es"] == before + 1


def test_russian_plural_forms() -> None:
    t = Translator("ru")
    forms = {n: t.ngettext(messages.FOODS_TOP_HEADER, n).format(count=n) for n in (1, 3, 10)}
    assert "1 продукт," in forms[1]
    assert "3 продукта," in forms[3]
    assert "10 продуктов," in forms[10]
    english = Translator("en")
    assert "The {count} food richest" in english.ngettext(messages.FOODS_TOP_HEADER, 1)
    assert "The {count} foods richest" in english.ngettext(messages.FOODS_TOP_HEADER, 10)


def test_dates_and_times_in_the_language() -> None:
    day = date(2026, 6, 2)
    assert "Juni" in Translator("de").format_date(day)
    assert "jun" in Translator("es").format_date(day)
    assert "июн" in Translator("ru").format_date(day)
    assert "Jun" in Translator("en").format_date(day)
    moment = datetime(2026, 6, 2, 19, 30)
    assert Translator("de").format_time(moment) == "19:30"
    assert Translator("en").format_time(moment) == "7:30\u202fPM"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("24 h", "48 h"), "the English says 24 hour"),  # a changed number
        (("Tagestipps pausieren", "Tagestipps pausieren {extra}"), "placeholders differ"),
        (("ist nicht vollständig", "ist vollständig"), "negation"),
        (("Magnesium kann mit Medikamenten", "Magnesium wird mit Medikamenten"), "hedge"),
    ],
)
def test_a_bad_catalogue_entry_is_rejected(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    source = catalogues.po_path("de")
    copy = tmp_path / "tipbot.po"
    with source.open("rb") as f:
        catalog = read_po(f, locale="de")
    old, new = change
    edited = [m for m in catalog if isinstance(m.string, str) and old in m.string]
    assert edited, old
    for message in edited:
        message.string = message.string.replace(old, new)
    with copy.open("wb") as f:
        write_po(f, catalog, width=100)
    shutil.copy(source.with_suffix(".mo"), copy.with_suffix(".mo"))
    problems = catalogues.check("de", copy)
    assert any(expected in p for p in problems), problems


def test_an_untranslated_message_is_reported(tmp_path: Path) -> None:
    with catalogues.po_path("ru").open("rb") as f:
        catalog = read_po(f, locale="ru")
    catalog[messages.FLOW_CANCELLED].string = ""
    copy = tmp_path / "tipbot.po"
    with copy.open("wb") as f:
        write_po(f, catalog, width=100)
    shutil.copy(catalogues.po_path("ru").with_suffix(".mo"), copy.with_suffix(".mo"))
    assert any(p.endswith(": untranslated") for p in catalogues.check("ru", copy))


@pytest.mark.parametrize(
    ("language", "value", "written"),
    [
        ("en", 60.3, "60.3"),
        ("es", 60.3, "60,3"),
        ("de", 60.3, "60,3"),
        ("ru", 5.9, "5,9"),
        ("de", 156.0, "156"),  # a whole figure gets no ",0"
        ("ru", 1234.5, "1234,5"),  # no thousands separator: the digits stay the bank's
        ("es", 100, "100"),
        ("de", 0.25, "0,25"),  # never rounded
    ],
)
def test_figures_in_the_languages_notation(language: str, value: float, written: str) -> None:
    assert Translator(language).format_number(value) == written
