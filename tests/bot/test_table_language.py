"""The bank's tables in the reader's language, end to end through the fake Bot API: a Spanish
reader's /foods, /forms, /interactions, /intake and /quiz show the Spanish text of
tips/locales/es/*.yaml, with the English bank's numbers."""

from __future__ import annotations

import re

import pytest

from tests.bot.english import english_decimals, english_labels
from tests.bot.test_language import english_words, speaker
from tests.conftest import User
from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot.content.models import Bank
from tipbot.runner import Runner

SPANISH = "es-MX"


@pytest.fixture
def spanish(runner: Runner, fake_api: FakeBotApi) -> User:
    fake_api.set_language(7373, SPANISH)
    return User(fake_api, 7373)


@pytest.fixture
def es_bank(runner: Runner) -> Bank:
    return runner.services.translations.bank_for("es")


async def test_spanish_foods(spanish: User, bank: Bank, es_bank: Bank) -> None:
    [foods] = await spanish.send("/foods")
    # The richest food, its Spanish name and serving, the English bank's mg.
    assert "Semillas de calabaza (pipas), tostadas, 1 onza (28,35 g): 156 mg" in foods.plain
    assert "Pumpkin seeds" not in foods.plain
    richest = max(bank.foods.items, key=lambda f: f.mg)
    assert [f.mg for f in es_bank.foods.items] == [f.mg for f in bank.foods.items]
    assert richest.name == "Pumpkin seeds, roasted"  # the English bank is unchanged


async def test_spanish_food_chart_caption(
    spanish: User, fake_api: FakeBotApi, runner: Runner
) -> None:
    await spanish.send("/foods")
    photos = fake_api.photos_for(7373)
    assert photos, "the chart was sent"
    assert "Semillas de calabaza (pipas), tostadas, 1 onza (28,35 g): 156 mg" in (
        photos[-1].plain_caption
    )


async def _screens(user: User, command: str) -> list[SentMessage]:
    """Every screen of the one answer `command` gets (its More button pressed through)."""
    [first] = await user.send(command)
    return await user.pages(first)


async def test_spanish_forms(spanish: User, es_bank: Bank) -> None:
    overview = await _screens(spanish, "/forms")
    oxide = next(f for f in es_bank.forms if f.name == "Óxido de magnesio")
    [details] = await spanish.press(overview[0], f"form:{oxide.id}")
    text = "\n".join(r.plain for r in [*overview, *await spanish.pages(details)])
    assert "Óxido de magnesio" in text
    assert "Se disuelve mal." in text
    assert "Si tiene una enfermedad de los riñones, no empiece a tomar suplementos" in text
    assert "Magnesium oxide" not in text and "It dissolves poorly" not in text


async def test_spanish_interactions_look_up_by_brand(spanish: User) -> None:
    replies = await _screens(spanish, "/interactions Fosamax")
    text = "\n".join(r.plain for r in replies)
    assert "Fosamax (alendronato)" in text  # found by its brand, named in Spanish
    assert "Bisfosfonatos orales (comprimidos para la osteoporosis)" in text
    assert "alendronato (Fosamax, Fosamax Plus D, Binosto)" in text  # brands as in the bank
    assert "Los NIH dicen que hay que separarlos al menos 2 horas." in text
    assert "Oral bisphosphonates" not in text


async def test_spanish_interactions_overview_buttons(spanish: User) -> None:
    replies = await _screens(spanish, "/interactions")
    labels = [str(b.get("text", "")) for r in replies for b in r.buttons]
    assert any(label.startswith("Bisfosfonatos orales") for label in labels), labels


async def test_spanish_intake(spanish: User) -> None:
    [reply] = await spanish.send("/intake 67 female")
    assert "Adultos de 51 a 70 años" in reply.plain
    assert "320 mg" in reply.plain
    assert "La CDR (cantidad diaria recomendada) de EE. UU. y Canadá" in reply.plain
    assert "Adults 51-70 years" not in reply.plain


async def test_spanish_quiz(spanish: User, fake_api: FakeBotApi, bank: Bank, es_bank: Bank) -> None:
    fake_api.push_message(7373, "/quiz")
    await fake_api.wait_for(lambda: fake_api.polls_for(7373), what="a quiz poll")
    poll = fake_api.polls_for(7373)[-1]
    [asked] = [q for q in es_bank.quiz if q.question == poll.question]
    english = next(q for q in bank.quiz if q.id == asked.id)
    assert asked.question != english.question  # Spanish, not the English question
    assert poll.options == tuple(asked.options)
    assert poll.correct_option_ids == (english.correct_index,)  # the same right answer
    assert poll.explanation == asked.explanation


async def test_spanish_interactions_look_up_by_english_generic(spanish: User) -> None:
    replies = await _screens(spanish, "/interactions levothyroxine")
    text = "\n".join(r.plain for r in replies)
    assert "Levotiroxina (hormona tiroidea)" in text
    assert "El prospecto de Synthroid pide tomar la levotiroxina al menos 4 horas antes" in text


@pytest.mark.parametrize("lang", ["es", "de", "ru"])
@pytest.mark.parametrize("command", ["/foods", "/forms", "/interactions", "/intake 67 female"])
async def test_no_english_left_in_table_screens(
    runner: Runner, fake_api: FakeBotApi, lang: str, command: str
) -> None:
    """The tables answer in each language: no English words but brand names and source titles.

    The italic line of an interaction class lists its medicines with the brands as the English
    bank spells them (some are English common names: "milk of magnesia"), so it is left out."""
    user = speaker(fake_api, lang)
    replies = await _screens(user, command)
    brands = re.compile(r"<i>[^<]*\([^<]*</i>")
    for reply in replies:
        without_brands = reply._replace(text=brands.sub("", reply.text))
        assert english_words(without_brands) == [], reply.text


@pytest.mark.parametrize(
    ("lang", "rda", "dv", "percent"),
    [
        ("es", "(CDR)", "(37% del VD)", "60,3%"),
        ("de", "(empfohlene Tagesmenge)", "(37% des Tageswerts)", "60,3%"),
        ("ru", "(рекомендуемая норма)", "(37% СН)", "60,3%"),
    ],
)
async def test_table_labels_and_decimals_in_the_readers_language(
    runner: Runner, fake_api: FakeBotApi, lang: str, rda: str, dv: str, percent: str
) -> None:
    """/intake, /foods and /forms as sent: no English "(RDA)", "% DV" or "% NRV" label and no
    English decimal point ("60.3%") in any screen; the reader's term and notation instead, with
    the English bank's figures (320 mg, 37%, 60.3%)."""
    user = speaker(fake_api, lang)
    sent = {
        command: "\n".join(r.text for r in await _screens(user, command))
        for command in ("/intake 67 female", "/foods", "/forms")
    }
    for command, text in sent.items():
        assert english_labels(text) == [], (command, text)
        assert english_decimals(text) == [], (command, text)
    # The row's amount and, ending the row, the reader's label for it.
    assert re.search(rf"<b>320 mg</b>[^\n]* {re.escape(rda)}$", sent["/intake 67 female"], re.M)
    assert f"<b>156 mg</b> {dv}" in sent["/foods"]
    assert f"{percent} · " in sent["/forms"]
