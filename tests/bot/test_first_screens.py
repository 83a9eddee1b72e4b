"""Issue 13, short screens: every reply's first screen holds at most `render.FIRST_SCREEN`
visible characters, in every language, and carries the disclaimer button; long answers page
("More") and keep their sources behind a "Sources" button."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import User
from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot import messages
from tipbot.content import render, screens
from tipbot.content.intake import Person, answer
from tipbot.content.loader import bundled_bank_dir
from tipbot.content.models import Bank, FoodGroup, LifeStage, Sex
from tipbot.content.translations import load_translations
from tipbot.i18n import LANGUAGES, Translator
from tipbot.telegram_html import visible_length

CODES = {"en": "en", "es": "es-ES", "de": "de-DE", "ru": "ru"}


def data(message: SentMessage) -> list[str]:
    return [b["callback_data"] for b in message.buttons if "callback_data" in b]


def check_screen(message: SentMessage, what: str) -> None:
    assert visible_length(message.text) <= render.FIRST_SCREEN, (what, len(message.plain))
    assert "disc" in data(message), what


def every_key(bank: Bank) -> list[str]:
    keys = ["about", "help", "sources", "forms", "ix", "foods.top", "foods.every"]
    keys += [f"foods.{g.value}" for g in FoodGroup]
    keys += [f"form.{f.id}" for f in bank.forms]
    keys += [f"ix.{c.id}" for c in bank.interactions.classes]
    for row in bank.intakes.rda:
        for sex in (Sex.FEMALE,) if row.stage is not LifeStage.GENERAL else tuple(Sex):
            person = Person(row.age_min, sex, row.stage)
            answer(bank.intakes, person)  # a person the table answers
            keys.append(screens.intake_key(person))
    return keys


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("region", [None, "eu", "uk"])
def test_every_screen_of_every_answer_fits(bank: Bank, lang: str, region: str | None) -> None:
    t = Translator(lang)
    for key in every_key(bank):
        reply = screens.reply_for(bank, key, t, region)
        assert reply is not None, key
        for screen in [*reply.screens, *screens.source_screens(bank, reply.sources, t)]:
            assert visible_length(screen) <= render.FIRST_SCREEN, (key, visible_length(screen))
    for tip in bank.tips:  # a tip is short and keeps its sources on its one screen
        assert visible_length(render.tip(bank, tip, t)) <= render.FIRST_SCREEN, tip.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_forms_kidney_warning_is_on_the_first_screen(bank: Bank, lang: str) -> None:
    t = Translator(lang)
    shown = load_translations(bundled_bank_dir(), bank).bank_for(lang)
    reply = screens.reply_for(shown, "forms", t)
    assert reply is not None
    assert render.esc(t.gettext(messages.FORMS_KIDNEY)) in reply.screens[0]
    for form in shown.forms:  # each line shows the form's evidence in the reader's language
        assert render.esc(form.in_brief) in "".join(reply.screens)
    if lang != "en":  # translated, not the English
        assert [f.in_brief for f in shown.forms] != [f.in_brief for f in bank.forms]


def test_a_long_answer_pages_and_moves_its_sources_behind_the_button(bank: Bank) -> None:
    paragraphs = [f"<b>{n}</b> " + "word " * 60 for n in range(20)]
    reply = screens.paged(bank, paragraphs, [bank.sources[0].id])
    assert len(reply.screens) > 1 and reply.sources == (bank.sources[0].id,)
    assert all(visible_length(s) <= render.FIRST_SCREEN for s in reply.screens)
    assert "\n\n".join(reply.screens) == "\n\n".join(paragraphs)
    short = screens.paged(bank, ["One line."], [bank.sources[0].id])
    assert short.sources == () and bank.sources[0].url in short.screens[0]


def test_an_unknown_key_gets_nothing(bank: Bank) -> None:
    for key in ("form.nope", "ix.nope", "in.x.female.general", "in.67.nobody.general", "zzz"):
        assert screens.reply_for(bank, key) is None, key


#: Chats served at the same time: enough that the per-chat pace does not add up, few enough
#: that their first bursts stay under the fake's 30 messages a second.
AT_ONCE = 8


@pytest.mark.usefixtures("runner")
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_every_reply_and_button_fits_on_a_first_screen(
    fake_api: FakeBotApi, bank: Bank, lang: str
) -> None:
    """Each command in a chat of its own, and each button in a fresh chat, several chats at a
    time: the bot paces a private chat at about one message a second, and a test need not wait
    for that."""
    chats = iter(range(71_000 + 1000 * LANGUAGES.index(lang), 10**9))
    at_once = asyncio.Semaphore(AT_ONCE)

    async def ask(command: str) -> tuple[User, SentMessage]:
        chat_id = next(chats)
        fake_api.set_language(chat_id, CODES[lang])
        user = User(fake_api, chat_id)
        [reply] = await user.send(command)
        check_screen(reply, f"{lang} {command}")
        return user, reply

    async def command_alone(command: str) -> None:
        async with at_once:
            await ask(command)

    async def every_screen_behind(command: str, button: str) -> None:
        async with at_once:
            user, first = await ask(command)
            [shown] = await user.press(first, button)
            check_screen(shown, f"{lang} {button}")
            for screen in await user.pages(shown):  # and every further screen, and its sources
                check_screen(screen, f"{lang} {button} page")
                for source_button in [d for d in data(screen) if d.startswith("src:")]:
                    for cited in await user.press(screen, source_button):
                        check_screen(cited, f"{lang} {source_button}")

    presses = [("/foods", f"foods:{g.value}") for g in FoodGroup] + [("/foods", "foods:every")]
    presses += [("/forms", f"form:{f.id}") for f in bank.forms]
    presses += [("/interactions", f"ix:{c.id}") for c in bank.interactions.classes]
    async with asyncio.TaskGroup() as group:
        for command in [
            "/start",
            "/help",
            "/about",
            "/tip",
            "/interactions fosamax",
            "/intake 67 female",
            "/intake 30 male",
            "/sources",
            "/status",
            "/settings",
            "/mydata",
        ]:
            group.create_task(command_alone(command))
        for command, button in presses:
            group.create_task(every_screen_behind(command, button))


@pytest.mark.usefixtures("runner")
async def test_a_button_for_something_gone_gets_a_short_notice(fake_api: FakeBotApi) -> None:
    user = User(fake_api, 7900)
    [forms] = await user.send("/forms")
    for data_ in ("form:nope", "pg:1:ix.nope", "src:form.nope"):
        answers = len(fake_api.callback_answers)
        fake_api.push_callback(7900, forms.message_id, data_)
        await fake_api.wait_for(lambda: len(fake_api.callback_answers) > answers)  # noqa: B023
        assert fake_api.callback_answers[-1].text == messages.SCREEN_GONE
    assert user.inbox == [forms]  # nothing else was sent, and no error
