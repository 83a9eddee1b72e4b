"""The tables' fixed labels and figures in the reader's language (issue #12): the US/Canada
"(RDA)"/"(AI)" after an intake, "% DV"/"% NRV" after a food and the decimal point of "60.3%" in
/forms are the reader's own terms and notation in Spanish, German and Russian, with the same
digits as the English bank. Rendered straight from the bank (every region), without Telegram;
tests/bot/test_table_language.py shows the same through the fake Bot API."""

from __future__ import annotations

import re

import pytest

from tests.bot.english import english_decimals, english_labels
from tipbot.content import screens
from tipbot.content.loader import load_bank
from tipbot.content.models import Bank
from tipbot.content.translations import Translations, load_translations
from tipbot.i18n import Translator

#: /intake for an adult (RDA rows) and a baby (AI rows), /foods (top and every food), /forms.
KEYS = (
    "in.67.female.general",
    "in.0.female.general",
    "foods.top",
    "foods.every",
    "forms",
    "form.oxide",
)


@pytest.fixture(scope="module")
def translations() -> Translations:
    loaded = load_bank()
    return load_translations(loaded.directory, loaded.bank)


def _text(bank: Bank, key: str, lang: str, region: str | None) -> str:
    reply = screens.reply_for(bank, key, Translator(lang), region, strict=True)
    assert reply is not None
    return "\n\n".join(reply.screens)


@pytest.mark.parametrize("region", [None, "eu", "uk"])
@pytest.mark.parametrize("lang", ["es", "de", "ru"])
def test_no_english_labels_or_decimal_points(
    translations: Translations, lang: str, region: str | None
) -> None:
    bank = translations.bank_for(lang)
    for key in KEYS:
        text = _text(bank, key, lang, region)
        assert english_labels(text) == [], (key, text)
        assert english_decimals(text) == [], (key, text)


@pytest.mark.parametrize("region", [None, "eu"])
def test_the_checks_find_the_english_labels(
    translations: Translations, bank: Bank, region: str | None
) -> None:
    """The same checks on the English tables find the labels and points they look for, so an
    untranslated label or an English decimal in another language would fail the test above."""
    found = [
        found
        for key in KEYS
        for text in [_text(bank, key, "en", region)]
        for found in english_labels(text) + english_decimals(text)
    ]
    assert "(RDA)" in found and "(AI)" in found
    assert ("42% NRV" if region == "eu" else "37% DV") in found
    assert "0.3" in found  # 60.3% magnesium oxide


@pytest.mark.parametrize(
    ("lang", "rda", "ai"),
    [
        ("es", "(CDR)", "(ingesta adecuada)"),
        ("de", "(empfohlene Tagesmenge)", "(angemessene Zufuhr)"),
        ("ru", "(рекомендуемая норма)", "(адекватное потребление)"),
    ],
)
def test_intake_labels_in_the_readers_terms(
    translations: Translations, lang: str, rda: str, ai: str
) -> None:
    """The terms each language's own rda note and EU values use (tips/locales/<lang>/intakes)."""
    bank = translations.bank_for(lang)
    adult = _text(bank, "in.67.female.general", lang, None)
    baby = _text(bank, "in.0.female.general", lang, None)
    # Each row's amount and, ending the row, the reader's label for it.
    assert re.search(rf"<b>320 mg</b>[^\n]* {re.escape(rda)}$", adult, re.M), adult
    assert re.search(rf"<b>30 mg</b>[^\n]* {re.escape(ai)}$", baby, re.M), baby


@pytest.mark.parametrize(
    ("lang", "dv", "nrv"),
    [
        ("en", "(37% DV)", "(42% NRV)"),
        ("es", "(37% del VD)", "(42% del VRN)"),
        ("de", "(37% des Tageswerts)", "(42% der Referenzmenge)"),
        ("ru", "(37% СН)", "(42% нормы ЕС)"),
    ],
)
def test_food_shares_keep_their_numbers(
    translations: Translations, bank: Bank, lang: str, dv: str, nrv: str
) -> None:
    """Pumpkin seeds, 156 mg: 37% of the US Daily Value (420 mg), 42% of the EU NRV (375 mg)."""
    local = bank if lang == "en" else translations.bank_for(lang)
    assert f"<b>156 mg</b> {dv}" in _text(local, "foods.top", lang, None)
    assert f"<b>156 mg</b> {nrv}" in _text(local, "foods.top", lang, "eu")


@pytest.mark.parametrize(
    ("lang", "percent"), [("en", "60.3%"), ("es", "60,3%"), ("de", "60,3%"), ("ru", "60,3%")]
)
def test_forms_decimals_in_the_readers_notation(
    translations: Translations, bank: Bank, lang: str, percent: str
) -> None:
    local = bank if lang == "en" else translations.bank_for(lang)
    overview = _text(local, "forms", lang, None)
    oxide = _text(local, "form.oxide", lang, None)
    assert f"</b>: {percent} · " in overview
    assert percent in oxide
