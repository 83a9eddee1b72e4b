"""Translated tips: loaded with FILE:LINE for every mistake, and a translation that changes a
number, drops a "not" or a "may", breaks a placeholder, adds a URL or runs too long is rejected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tipbot import cli
from tipbot.content import translations as i18n
from tipbot.content.loader import BankError, bundled_bank_dir, load_bank
from tipbot.content.models import Bank
from tipbot.content.validate import validate_dir

KIDNEY_ES = (
    "Si tiene una enfermedad de los riñones, no empiece un suplemento de magnesio, un antiácido "
    "ni un laxante sin hablar con su médico. Los riñones son la vía principal por la que el "
    "cuerpo elimina el magnesio de más. Cuando están débiles, el magnesio puede acumularse en la "
    "sangre."
)
TETRA_ES = (
    "El magnesio se une a algunos antibióticos, como la doxiciclina y la minociclina. Así el "
    "cuerpo absorbe menos medicamento. Los NIH aconsejan tomar el antibiótico al menos 2 horas "
    "antes o de 4 a 6 horas después del magnesio. Otras fuentes dan otros intervalos. Siga el "
    "prospecto del antibiótico o pregunte a su farmacéutico."
)


def entry(bank: Bank, tip_id: str, title: str, text: str, source_hash: str | None = None) -> str:
    tip = bank.tip_index[tip_id]
    digest = source_hash or i18n.english_hash(tip.title, tip.text)
    return f'  - id: {tip_id}\n    from: "{digest}"\n    title: "{title}"\n    text: "{text}"\n'


def write_es(directory: Path, *entries: str, language: str = "es") -> Path:
    folder = directory / "locales" / "es"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tips.yaml"
    path.write_text(f"language: {language}\ntips:\n" + "".join(entries), encoding="utf-8")
    return path


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bank"
    shutil.copytree(bundled_bank_dir(), target, ignore=shutil.ignore_patterns("*.md", "locales"))
    return target


@pytest.fixture(scope="module")
def english() -> Bank:
    return load_bank().bank


def good_entries(bank: Bank, kidney: str = KIDNEY_ES, tetra: str = TETRA_ES) -> list[str]:
    return [
        entry(bank, "kidney-ask-first", "¿Enfermedad de los riñones? Pregunte antes", kidney),
        entry(bank, "tetracyclines-spacing", "Antibióticos de tipo tetraciclina y magnesio", tetra),
    ]


def problems(directory: Path) -> list[str]:
    _, found = validate_dir(directory)
    return [str(p) for p in found]


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def test_english_hash_is_the_documented_formula() -> None:
    import hashlib

    expected = hashlib.sha256(b"Title\nText").hexdigest()[:8]
    assert i18n.english_hash("Title", "Text") == expected


def test_a_good_translation_is_used_and_everything_else_falls_back(
    bank_copy: Path, english: Bank
) -> None:
    write_es(bank_copy, *good_entries(english))
    assert problems(bank_copy) == []
    translations = i18n.load_translations(bank_copy, english)
    kidney = english.tip_index["kidney-ask-first"]
    assert translations.tip("es", kidney).text == KIDNEY_ES
    assert translations.tip("es", kidney).sources == kidney.sources  # sources stay English
    other = english.tip_index["bone-reserve"]
    assert translations.tip("es", other) is other  # no translation: the English tip, whole
    assert translations.tip("de", kidney) is kidney
    assert translations.fallbacks == {"es": 1, "de": 1}


def test_changed_unit_two_hours_to_two_minutes_is_rejected(bank_copy: Path, english: Bank) -> None:
    bad = TETRA_ES.replace("al menos 2 horas", "al menos 2 minutos")
    path = write_es(bank_copy, *good_entries(english, tetra=bad))
    found = problems(bank_copy)
    prefix = f"{path}:{line_of(path, 'al menos 2 minutos')}: es tip 'tetracyclines-spacing' text: "
    assert found == [
        prefix + "the English says 2 hour; the translation does not",
        prefix + "the translation says 2 minute, but the English does not give 2 in minute",
    ]


def test_changed_number_is_rejected(bank_copy: Path, english: Bank) -> None:
    bad = TETRA_ES.replace("de 4 a 6 horas", "de 4 a 8 horas")
    write_es(bank_copy, *good_entries(english, tetra=bad))
    found = problems(bank_copy)
    assert any("the English says 6 hour" in p for p in found), found
    assert any("adds the number 8" in p for p in found), found


def test_dropped_not_is_rejected(bank_copy: Path, english: Bank) -> None:
    # "do not start ... without talking to your doctor" -> "start ... after talking to your doctor"
    bad = KIDNEY_ES.replace("no empiece", "empiece").replace(
        " ni un laxante sin", " o un laxante tras"
    )
    path = write_es(bank_copy, *good_entries(english, kidney=bad))
    [found] = problems(bank_copy)
    assert found.startswith(f"{path}:{line_of(path, 'empiece un suplemento')}:")
    assert "negation" in found and "'not', 'without'" in found


def test_dropped_hedge_is_rejected(bank_copy: Path, english: Bank) -> None:
    bad = KIDNEY_ES.replace("puede acumularse", "se acumula")
    write_es(bank_copy, *good_entries(english, kidney=bad))
    [found] = problems(bank_copy)
    assert "hedge" in found and "'can'" in found


def test_broken_placeholder_is_rejected(bank_copy: Path, english: Bank) -> None:
    write_es(bank_copy, *good_entries(english, tetra=TETRA_ES + " {nombre}"))
    [found] = problems(bank_copy)
    assert "placeholders differ from the English (missing: none; extra: {nombre})" in found
    # And a placeholder of the English renamed in the translation:
    issues = i18n.text_problems("Hello{name}!", "¡Hola{nombre}!", "es")
    assert issues == ["placeholders differ from the English (missing: {name}; extra: {nombre})"]


def test_extra_url_and_tag_are_rejected(bank_copy: Path, english: Bank) -> None:
    write_es(bank_copy, *good_entries(english, tetra=TETRA_ES + " Vea https://example.org/x."))
    [found] = problems(bank_copy)
    assert "URLs differ from the English (missing: none; extra: https://example.org/x.)" in found
    assert i18n.markup_problems("<b>no</b>", "<i>no</i>") == [
        "HTML tags differ from the English (missing: /b, b; extra: /i, i)"
    ]


def test_over_long_translation_is_rejected(bank_copy: Path, english: Bank) -> None:
    long_text = TETRA_ES + " Es importante." * 40
    write_es(bank_copy, *good_entries(english, tetra=long_text))
    [found] = problems(bank_copy)
    assert f"text is {len(long_text)} characters, over 750" in found


def test_stale_entry_is_a_warning_and_falls_back(bank_copy: Path, english: Bank) -> None:
    entries = good_entries(english)
    entries[1] = entry(english, "tetracyclines-spacing", "Viejo", TETRA_ES, "0badc0de")
    path = write_es(bank_copy, *entries)
    assert problems(bank_copy) == []  # stale is not a failure: the English stands in
    translations = i18n.load_translations(bank_copy, english)
    tetra = english.tip_index["tetracyclines-spacing"]
    assert translations.tip("es", tetra) is tetra
    [cov] = [c for c in i18n.coverage(translations) if c.language == "es"]
    assert (cov.translated, cov.stale) == (1, ["tetracyclines-spacing"])
    loaded = load_bank(bank_copy)
    stale = [str(w) for w in i18n.warnings(translations, loaded) if "warning: stale" in str(w)]
    assert stale == [
        f"{path}:{line_of(path, '0badc0de')}: warning: stale: the English of tip "
        f"'tetracyclines-spacing' changed since this was translated (from 0badc0de, now "
        f"{i18n.tip_hash(tetra)}); sent in English until updated"
    ]


def test_stale_translation_is_not_safety_checked(bank_copy: Path, english: Bank) -> None:
    """A stale entry is never sent, so its (old) numbers cannot fail the bank."""
    bad = TETRA_ES.replace("2 horas", "2 minutos")
    write_es(bank_copy, entry(english, "tetracyclines-spacing", "T", bad, "0badc0de"))
    assert problems(bank_copy) == []


@pytest.mark.parametrize(
    ("yaml_entry", "needle", "message"),
    [
        ("  - id: no-such-tip\n    from: x\n    title: T\n    text: X\n", "no-such-tip",
         "unknown tip id 'no-such-tip' (not in the English bank)"),
        ("  - id: bone-reserve\n    from: x\n    title: T\n", "bone-reserve",
         "missing field 'text'"),
        ("  - id: bone-reserve\n    from: x\n    title: T\n    text: X\n    titel: Y\n", "titel",
         "unknown field 'titel' (check the spelling)"),
        ("  - id: bone-reserve\n    from: x\n    title: [T\n", "title", "malformed YAML"),
    ],
)  # fmt: skip
def test_malformed_entries_name_file_and_line(
    bank_copy: Path, yaml_entry: str, needle: str, message: str
) -> None:
    path = write_es(bank_copy, yaml_entry)
    found = problems(bank_copy)
    assert len(found) == 1, found
    file, line, rest = found[0].split(":", 2)
    assert file == str(path)
    assert abs(int(line) - line_of(path, needle)) <= 1
    assert message in rest


def test_duplicate_id_and_wrong_language(bank_copy: Path, english: Bank) -> None:
    first = entry(english, "kidney-ask-first", "A", KIDNEY_ES)
    path = write_es(bank_copy, first, first, language="de")
    found = problems(bank_copy)
    assert f"{path}:1: language 'de' does not match its folder 'es'" in found
    assert f"{path}:7: duplicate id 'kidney-ask-first' (first at {path}:3)" in found


def test_a_broken_translation_stops_the_start(bank_copy: Path, english: Bank) -> None:
    write_es(bank_copy, "  - id: bone-reserve\n")
    with pytest.raises(BankError):
        i18n.load_translations(bank_copy, english)
    assert cli._checked_bank(bank_copy, cli.Rules(readability=False)) is None


@pytest.mark.parametrize(
    ("english_text", "translated", "lang"),
    [
        ("0.75 to 0.95 mmol/L", "de 0,75 a 0,95 mmol/L", "es"),
        ("2,245 men", "2.245 Männer", "de"),
        ("2,245 men", "2 245 мужчин", "ru"),
        ("at least 4 hours", "не менее 4 часов", "ru"),
        ("1,800 mg a day", "1800 mg al día", "es"),
        ("30 to 40% of people", "30 bis 40 % der Menschen", "de"),
        ("two hours", "zwei Stunden", "de"),  # words are not numbers
    ],
)
def test_locale_number_forms_are_accepted(english_text: str, translated: str, lang: str) -> None:
    assert i18n.number_problems(english_text, translated, lang) == []


@pytest.mark.parametrize(
    ("english_text", "translated", "lang"),
    [
        ("adults aged 70 to 79", "adultos de 70 a 79 años", "es"),
        ("A 2018 review", "Обзор 2018 года", "ru"),
        ("women 320 mg, men 420", "Frauen 320 mg, Männer 420 mg", "de"),
    ],
)
def test_a_unit_the_english_implies_may_be_written(
    english_text: str, translated: str, lang: str
) -> None:
    assert i18n.number_problems(english_text, translated, lang) == []


def test_a_number_cannot_gain_a_new_kind_of_unit() -> None:
    [problem] = i18n.number_problems("wait 2 hours, or 4 if unsure", "2 horas, o 4 minutos", "es")
    assert problem == "the translation says 4 minute, but the English does not give 4 in minute"


def test_numbers_keep_their_units() -> None:
    assert i18n.number_problems("350 mg", "350 g", "es") == [
        "the English says 350 mg; the translation does not",
        "the translation says 350 g, but the English does not give 350 in g",
    ]
    assert i18n.number_problems("two hours", "2 horas", "es") != []  # no number added


def test_cant_is_a_negation_not_a_hedge() -> None:
    assert i18n.word_problems("You can't take it", "No puede tomarlo", "es") == []
    dropped = i18n.word_problems("You can't take it", "Puede tomarlo", "es")
    assert len(dropped) == 1 and "negation" in dropped[0]


def test_validate_report_prints_coverage(
    bank_copy: Path, english: Bank, capsys: pytest.CaptureFixture[str]
) -> None:
    write_es(bank_copy, *good_entries(english))
    assert cli.main(["validate", "--report", str(bank_copy)]) == 0
    out = capsys.readouterr().out
    total = len(english.tips)
    assert f"es: 2/{total} ({100 * 2 / total:.0f}%), missing {total - 2}, stale 0" in out
    assert f"de: 0/{total} (0%), missing {total}, stale 0" in out


def test_folded_yaml_as_translators_write_it(bank_copy: Path, english: Bank) -> None:
    """The documented format: `from` unquoted, the text folded with `>-` over several lines."""
    tip = english.tip_index["tetracyclines-spacing"]
    folder = bank_copy / "locales" / "de"
    folder.mkdir(parents=True)
    (folder / "tips.yaml").write_text(
        "# tips/locales/de/tips.yaml\n"
        "language: de\n"
        "tips:\n"
        f"  - id: {tip.id}\n"
        f"    from: {i18n.tip_hash(tip)}\n"
        "    title: Tetrazyklin-Antibiotika und Magnesium\n"
        "    text: >-\n"
        "      Magnesium bindet manche Antibiotika, etwa Doxycyclin und Minocyclin. Dann kommt\n"
        "      weniger vom Medikament im Körper an. Das NIH rät, das Antibiotikum mindestens\n"
        "      2 Stunden vor oder 4 bis 6 Stunden nach Magnesium zu nehmen. Andere Quellen nennen\n"
        "      andere Abstände. Richten Sie sich nach dem Beipackzettel oder fragen Sie in der\n"
        "      Apotheke.\n",
        encoding="utf-8",
    )
    assert problems(bank_copy) == []
    translated = i18n.load_translations(bank_copy, english).tip("de", tip)
    assert translated.text.startswith("Magnesium bindet manche Antibiotika, etwa Doxycyclin")
    assert "\n" not in translated.text
