"""The bot in the user's language, end to end through the fake Bot API: Telegram's
`language_code` picks the language, /language overrides it and survives a restart, the command
menu and descriptions are published per language, and tips fall back to English one by one."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.conftest import FakeClock, User, bot_settings
from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot import messages
from tipbot.bot import reference
from tipbot.content.models import Bank
from tipbot.content.translations import TipEntry, Translations, tip_hash
from tipbot.i18n import FALLBACKS, Translator
from tipbot.runner import Runner
from tipbot.storage.tables import deliveries

#: Telegram codes as real clients send them, regional ones included.
CODES = {"es": "es-MX", "de": "de", "ru": "ru"}
#: Words that only appear in English text (the translations never use them as words).
ENGLISH = re.compile(
    r"\b(the|and|your|you|with|what|is|not|for|of|to|send|tap|about|tip|foods)\b", re.I
)


def english_words(message: SentMessage) -> list[str]:
    """English words left in a reply, outside links (source titles stay in their language)."""
    text = re.sub(r"<a [^>]*>.*?</a>", "", message.text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"/\w+", "", text)  # commands are names, not words
    labels = " ".join(str(b.get("text", "")) for b in message.buttons)
    return ENGLISH.findall(f"{text} {labels}")


def speaker(fake_api: FakeBotApi, lang: str, chat_id: int = 5151) -> User:
    fake_api.set_language(chat_id, CODES[lang])
    return User(fake_api, chat_id)


@pytest.mark.parametrize("lang", ["es", "de", "ru"])
@pytest.mark.parametrize(
    ("command", "replies"),
    [("/start", 1), ("/help", 1), ("/about", 1), ("/intake", 1), ("/language", 1), ("/nope", 1)],
)
async def test_commands_answer_in_the_users_language(
    runner: Runner, fake_api: FakeBotApi, lang: str, command: str, replies: int
) -> None:
    user = speaker(fake_api, lang)
    answers = await user.send(command, replies=replies)
    for reply in answers:
        assert english_words(reply) == [], reply.text
    t = Translator(lang)
    expected = {
        "/help": t.gettext(messages.HELP_HEADER),
        "/about": t.gettext(messages.ABOUT).split("\n\n")[0],  # a long answer pages
        "/intake": t.gettext(messages.INTAKE_ASK_SEX),
        "/language": t.gettext(messages.LANGUAGE_ASK),
        "/nope": t.gettext(messages.UNKNOWN_COMMAND),
    }
    if command in expected:
        assert expected[command] in answers[0].text


@pytest.mark.parametrize("lang", ["es", "de", "ru"])
async def test_reference_screens_have_translated_labels(
    runner: Runner, fake_api: FakeBotApi, bank: Bank, lang: str
) -> None:
    """/foods, /forms, /interactions, /sources: the bot's own words are translated; the bank's
    tables are in the reader's language too (tests/bot/test_table_language.py)."""
    user = speaker(fake_api, lang)
    t = Translator(lang)
    [foods] = await user.send("/foods")
    assert t.gettext(messages.FOODS_FOOTER).format(dv=bank.foods.daily_value_mg) in foods.plain
    if "src:foods.top" in [b.get("callback_data") for b in foods.buttons]:
        [foods, *_] = await user.press(foods, "src:foods.top")  # too long with its sources
    assert t.gettext("Sources") in foods.plain
    [sources] = await user.send("/sources")
    assert t.gettext("Sources") in sources.plain
    [first] = await user.send("/interactions Fosamax")
    replies = [*await user.pages(first)]
    replies += await user.press(first, "src:ix.bisphosphonates")
    html = "\n".join(r.text for r in replies)
    assert f"<i>{t.gettext('Includes:')}</i>" in html
    assert f"<b>{t.gettext('Sources')}</b>" in html
    assert "<i>Includes:</i>" not in html and "<b>Sources</b>" not in html


async def test_unknown_language_code_gets_english(runner: Runner, fake_api: FakeBotApi) -> None:
    fake_api.set_language(6161, "pt-BR")
    [reply] = await User(fake_api, 6161).send("/help")
    assert messages.HELP_HEADER in reply.text
    fake_api.set_language(6262, None)  # Telegram did not say
    [reply] = await User(fake_api, 6262).send("/help")
    assert messages.HELP_HEADER in reply.text


async def test_language_choice_beats_language_code_and_survives_a_restart(
    runner: Runner, fake_api: FakeBotApi, sqlite_url: str, clock: FakeClock, bank: Bank
) -> None:
    user = speaker(fake_api, "es")  # Telegram says Spanish...
    [menu] = await user.send("/language")
    assert {"lang:en", "lang:es", "lang:de", "lang:ru"} <= {
        b.get("callback_data") for b in menu.buttons
    }
    [done] = await user.press(menu, "lang:de")  # ...but the user wants German
    assert done.plain == "Ab jetzt antworte ich auf Deutsch."
    [reply] = await user.send("/help")
    assert "<b>Was ich kann</b>" in reply.text

    await runner.stop()
    again = Runner(bot_settings(fake_api, sqlite_url), bank, clock=clock, schedule_sweeps=False)
    await again.start()
    try:
        [reply] = await user.send("/help")
        assert "<b>Was ich kann</b>" in reply.text
        [reply] = await user.send("/language en")
        assert reply.plain == "From now on I will answer in English."
        [reply] = await user.send("/help")
        assert messages.HELP_HEADER in reply.text
    finally:
        await again.stop()
        await runner.start()  # the fixture stops it again


async def test_language_with_an_unsupported_code_lists_the_languages(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    user = speaker(fake_api, "ru")
    [reply] = await user.send("/language xx")
    assert reply.plain.startswith("Я не могу отвечать на языке xx.")
    for name in ("English", "Español", "Deutsch", "Русский"):
        assert name in reply.plain
    [reply] = await user.send("/language Español")
    assert reply.plain == "A partir de ahora le responderé en español."


async def test_forget_deletes_the_language_choice(runner: Runner, fake_api: FakeBotApi) -> None:
    user = speaker(fake_api, "de")
    await user.send("/language ru")
    [ask] = await user.send("/forget")
    await user.press(ask, "forget:yes")
    [reply] = await user.send("/help")
    assert "<b>Was ich kann</b>" in reply.text  # back to Telegram's language_code


async def test_menu_and_descriptions_are_published_per_language(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    scope = '{"type":"default"}'
    english = fake_api.commands[(scope, "")]
    assert [c["command"] for c in english] == [c.name for c in messages.COMMANDS]
    assert english[0]["description"] == messages.COMMANDS[0].description
    assert fake_api.descriptions[""] == messages.BOT_DESCRIPTION
    for lang in ("es", "de", "ru"):
        t = Translator(lang)
        published = fake_api.commands[(scope, lang)]
        assert [c["command"] for c in published] == [c.name for c in messages.COMMANDS]
        assert published[0]["description"] == t.gettext(messages.COMMANDS[0].description)
        assert published[0]["description"] != messages.COMMANDS[0].description
        assert fake_api.descriptions[lang] == t.gettext(messages.BOT_DESCRIPTION)
        assert fake_api.short_descriptions[lang] == t.gettext(messages.BOT_SHORT_DESCRIPTION)


async def test_tip_in_spanish_and_english_fallback_for_an_untranslated_tip(
    runner: Runner, fake_api: FakeBotApi, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    kidney = bank.tip_index["kidney-ask-first"]
    text = (
        "Si tiene una enfermedad de los riñones, no empiece un suplemento de magnesio, un "
        "antiácido ni un laxante sin hablar con su médico. Cuando los riñones están débiles, el "
        "magnesio puede acumularse en la sangre."
    )
    entry = TipEntry(kidney.id, tip_hash(kidney), "¿Riñones? Pregunte antes", text, "x.yaml", 1)
    translations = Translations(bank, tips={"es": {kidney.id: entry}})
    runner.services.translations = translations
    user = speaker(fake_api, "es")

    monkeypatch.setattr(reference.random, "choice", lambda tips: kidney)
    [reply] = await user.send("/tip")
    assert "¿Riñones? Pregunte antes" in reply.plain and text in reply.plain
    assert "Pruebas: " in reply.plain
    assert english_words(reply) == []

    other = bank.tip_index["bone-reserve"]
    before = translations.fallbacks["es"]
    monkeypatch.setattr(reference.random, "choice", lambda tips: other)
    [reply] = await user.send("/tip")
    assert other.text in reply.plain  # the English tip, whole: never half-translated
    assert "Pruebas:" in reply.plain  # the bot's own words stay Spanish
    assert translations.fallbacks["es"] == before + 1
    assert FALLBACKS is not translations.fallbacks


async def test_food_chart_is_drawn_and_captioned_per_language(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    russian, german = speaker(fake_api, "ru", 7171), speaker(fake_api, "de", 7272)
    await russian.send("/foods")
    await german.send("/foods")
    [ru_photo] = fake_api.photos_for(7171)
    [de_photo] = fake_api.photos_for(7272)
    assert ru_photo.plain_caption.startswith("Диаграмма: магний в одной порции")
    assert "суточная норма" in ru_photo.plain_caption
    assert de_photo.plain_caption.startswith("Diagramm: Magnesium in einer Portion")
    assert ru_photo.file_id != de_photo.file_id  # two pictures, one per language


async def test_daily_tips_arrive_in_each_subscribers_language(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, bank: Bank
) -> None:
    """Telegram's language is remembered at /subscribe; a /language choice beats it; the tip
    itself is the translation of the planned tip, whole, or the English one."""
    translations = runner.services.translations
    clock.now = datetime(2026, 6, 1, 7, 0)
    for chat, code in ((7101, "es-MX"), (7102, "en"), (7103, "es")):
        fake_api.set_language(chat, code)
        await User(fake_api, chat).send("/subscribe 08:00 UTC")
    await User(fake_api, 7103).send("/language de")
    clock.now = datetime(2026, 6, 1, 8, 0)
    deliverer = runner.services.deliverer
    assert deliverer is not None
    await deliverer.sweep()
    for chat, language in ((7101, "es"), (7102, "en"), (7103, "de")):
        [tip_message] = [m for m in fake_api.messages_for(chat) if m.text.startswith("💡")]
        async with runner.engine.connect() as conn:
            tip_id = await conn.scalar(
                select(deliveries.c.tip_id).where(deliveries.c.chat_id == chat)
            )
        tip = bank.tip(str(tip_id))
        assert tip is not None
        shown = translations.tip(language, tip)
        assert shown.title in tip_message.plain and shown.text in tip_message.plain
        assert (shown.text == tip.text) == (language == "en"), language
