"""The bank's tables in the reader's language, end to end through the fake Bot API: a Spanish
reader's /foods, /forms, /interactions, /intake and /quiz show the Spanish text of
tips/locales/es/*.yaml, with the English bank's numbers."""

from __future__ import annotations

import re

import pytest

from tests.bot.test_language import english_words, speaker
from tests.conftest import User
from tests.fakebot.server import FakeBotApi
from tipbot.content import render, table_texts
from tipbot.content.models import Bank
from tipbot.i18n import Translator
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


async def test_spanish_forms(spanish: User, es_bank: Bank) -> None:
    pages = render.forms(es_bank, Translator("es"))
    replies = await spanish.send("/forms", replies=len(pages))
    text = "\n".join(r.plain for r in replies)
    assert "Óxido de magnesio" in text
    assert "Se disuelve mal." in text
    assert "Si tiene una enfermedad de los riñones, no empiece a tomar suplementos" in text
    assert "Magnesium oxide" not in text and "It dissolves poorly" not in text


async def test_spanish_interactions_look_up_by_brand(
    spanish: User, runner: Runner, es_bank: Bank
) -> None:
    result = table_texts.lookup_in(es_bank, runner.services.medicines.lookup("Fosamax"))
    pages = render.interaction_lookup(es_bank, "Fosamax", result, Translator("es"))
    replies = await spanish.send("/interactions Fosamax", replies=len(pages))
    text = "\n".join(r.plain for r in replies)
    assert "Fosamax (alendronato)" in text  # found by its brand, named in Spanish
    assert "Bisfosfonatos orales (comprimidos para la osteoporosis)" in text
    assert "alendronato (Fosamax, Fosamax Plus D, Binosto)" in text  # brands as in the bank
    assert "Los NIH dicen que hay que separarlos al menos 2 horas." in text
    assert "Oral bisphosphonates" not in text


async def test_spanish_interactions_overview_buttons(spanish: User, es_bank: Bank) -> None:
    pages = render.interactions_overview(es_bank, Translator("es"))
    replies = await spanish.send("/interactions", replies=len(pages))
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


async def test_spanish_interactions_look_up_by_english_generic(
    spanish: User, runner: Runner, es_bank: Bank
) -> None:
    result = table_texts.lookup_in(es_bank, runner.services.medicines.lookup("levothyroxine"))
    pages = render.interaction_lookup(es_bank, "levothyroxine", result, Translator("es"))
    replies = await spanish.send("/interactions levothyroxine", replies=len(pages))
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
    bank = runner.services.translations.bank_for(lang)
    t = Translator(lang)
    pages = {
        "/forms": len(render.forms(bank, t)),
        "/interactions": len(render.interactions_overview(bank, t)),
    }
    user = speaker(fake_api, lang)
    replies = await user.send(command, replies=pages.get(command, 1))
    brands = re.compile(r"<i>[^<]*\([^<]*</i>")
    for reply in replies:
        without_brands = reply._replace(text=brands.sub("", reply.text))
        assert english_words(without_brands) == [], reply.text
