"""The parts of "every reply in the user's language" that are more than a looked-up string:
dates and times written the language's way (Babel), input errors explained in the language,
the profile's dict constants extracted and translated, an announcement's heading per reader,
and the fallback counts /stats shows the admin."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

import pytest

from tests.conftest import ADMIN_ID, FakeClock, User
from tests.fakebot.server import FakeBotApi
from tipbot import catalogues, messages, subscriptions
from tipbot.bot.admin import fallbacks_text
from tipbot.companion.medicines import MedicineCatalogue
from tipbot.companion.profile import Profile as ProfileAnswers
from tipbot.companion.profile import ProfileInputError, parse_profile_command
from tipbot.content import render
from tipbot.content.models import Bank
from tipbot.i18n import FALLBACKS, Reason, Translator
from tipbot.runner import Runner

#: Monday 1 June 2026, 05:00 UTC (07:00 in Berlin): the next 07:30 Berlin tip is the same day.
MORNING = datetime(2026, 6, 1, 5, 0)
#: How Babel writes that tip's date and time in each language (CLDR's patterns).
NEXT_TIP = {
    "es": "lun, 1 jun, 7:30",
    "de": "Mo., 1. Juni, 07:30",
    "ru": "пн, 1 июн., 07:30",
}


@pytest.mark.parametrize("lang", sorted(NEXT_TIP))
async def test_next_tip_date_and_time_are_written_the_languages_way(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, lang: str
) -> None:
    clock.now = MORNING
    chat = 9300 + len(NEXT_TIP[lang])
    fake_api.set_language(chat, lang)
    user = User(fake_api, chat)
    [done] = await user.send("/subscribe 07:30 Europe/Berlin")
    assert NEXT_TIP[lang] in done.plain
    assert "Mon 1 Jun" not in done.plain and "AM" not in done.plain
    [status] = await user.send("/status")
    assert NEXT_TIP[lang] in status.plain
    await user.send("/pause")
    [resumed] = await user.send("/resume")
    assert NEXT_TIP[lang] in resumed.plain
    [mine] = await user.send("/mydata")
    standing = Translator(lang).gettext(messages.MYDATA_STANDING["active"])
    assert f"{standing}," in mine.plain and "active" not in mine.plain


def test_an_input_error_is_explained_in_the_readers_language() -> None:
    with pytest.raises(subscriptions.SubscribeInputError) as caught:
        subscriptions.parse_subscribe_args(["25:99", "Europe/Berlin"])
    error = caught.value
    assert str(error) == "25:99 is not a time of day: hours go to 23 and minutes to 59"
    assert Translator("de").reason(error) == (
        "25:99 ist keine Uhrzeit: Stunden gehen bis 23 und Minuten bis 59"
    )
    assert Translator("en").reason(error) == str(error)
    assert Translator("ru").reason(ValueError("not a Reason")) == "not a Reason"  # as it is


def test_a_reason_inside_a_reason_is_translated_too(bank: Bank) -> None:
    medicines = MedicineCatalogue(bank)
    with pytest.raises(ProfileInputError) as caught:
        parse_profile_command("set height 170", ProfileAnswers(), medicines)
    spanish = Translator("es").reason(caught.value)
    assert spanish.startswith("Puedo guardar estas respuestas: age, sex, region")
    assert "Escriba los comandos con sus palabras en inglés" in spanish  # the usage, translated
    assert "Write /profile" not in spanish


def test_a_reason_keeps_braces_of_a_plain_message() -> None:
    wrapped = Reason.of(ValueError("odd {text}"))
    assert str(wrapped) == "odd {text}"
    assert Translator("de").reason(wrapped) == "odd {text}"


def test_profile_questions_labels_and_answers_are_extracted_and_translated() -> None:
    """The dict constants are marked `N_`, so the extractor finds them and they are in every
    catalogue (catalogues check fails otherwise)."""
    extracted = {m.id for m in catalogues.extract()}
    texts = [
        *messages.PROFILE_ASK.values(),
        *messages.PROFILE_LABELS.values(),
        *(label for answers in messages.PROFILE_ANSWERS.values() for label in answers.values()),
        *messages.MYDATA_STANDING.values(),
    ]
    assert set(texts) <= extracted
    german = Translator("de")
    assert german.gettext(messages.PROFILE_ASK["kidney"]) == "Haben Sie eine Nierenerkrankung?"
    assert german.gettext(messages.PROFILE_ANSWERS["kidney"]["unsure"]) == "Nicht sicher"


async def test_the_profile_speaks_the_users_language(runner: Runner, fake_api: FakeBotApi) -> None:
    fake_api.set_language(9401, "ru")
    user = User(fake_api, 9401)
    [question] = await user.send("/profile")
    assert "Сколько вам лет?" in question.plain
    labels = [str(b["text"]) for b in question.buttons]
    assert "Пропустить ⏭" in labels
    [bad] = await user.send("/profile set age 300")
    assert "Возраст должен быть от" in bad.plain


def test_fallbacks_text_lists_each_language_with_misses() -> None:
    t = Translator("en")
    text = fallbacks_text(Counter({"de": 3}), Counter({"ru": 2}), t)
    assert text.startswith(messages.ADMIN_STATS_FALLBACKS)
    assert "\nDeutsch: 3, 0" in text and "\nРусский: 0, 2" in text and "Español" not in text
    assert fallbacks_text(Counter(), Counter(), t) == messages.ADMIN_STATS_NO_FALLBACKS


async def test_stats_shows_strings_and_tips_shown_in_english(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    Translator("ru").gettext("A message that no catalogue has")  # one string fallback
    runner.services.translations.fallbacks["de"] += 2  # two tips shown in English
    [reply] = await User(fake_api, ADMIN_ID).send("/stats")
    assert f"Русский: {FALLBACKS['ru']}, {runner.services.translations.fallbacks['ru']}" in (
        reply.plain
    )
    assert f"Deutsch: {FALLBACKS['de']}, 2" in reply.plain


async def test_an_announcement_has_its_heading_in_each_readers_language(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 0)
    for chat, code in ((9501, "es"), (9502, "en")):
        fake_api.set_language(chat, code)
        await User(fake_api, chat).send("/subscribe 23:00 UTC")
    fake_api.set_language(ADMIN_ID, "de")
    admin = User(fake_api, ADMIN_ID)
    intro, preview = await admin.send("/broadcast Hola a todos", replies=2)
    assert Translator("de").ngettext(messages.BROADCAST_PREVIEW, 2).format(count=2) == intro.text
    [send] = [b["callback_data"] for b in preview.buttons if b["text"] == "📣 An alle senden"]
    await admin.press(preview, str(send))
    for chat, heading in ((9501, "📣 Aviso"), (9502, "📣 Announcement")):
        await fake_api.wait_for(
            lambda chat=chat: len(fake_api.messages_for(chat)) == 2, what="the announcement"
        )
        announcement = fake_api.messages_for(chat)[-1]
        assert announcement.plain == f"{heading}\n\nHola a todos"
    deliverer = runner.services.deliverer
    assert deliverer is not None
    while deliverer.running:  # noqa: ASYNC110 - the sweep the confirmation started
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("lang", "word"), [("es", "Cancelar"), ("de", "abbrechen"), ("ru", "Отмена")]
)
async def test_a_flow_is_cancelled_with_the_languages_word(
    runner: Runner, fake_api: FakeBotApi, lang: str, word: str
) -> None:
    chat = 9600 + len(word)
    fake_api.set_language(chat, lang)
    user = User(fake_api, chat)
    await user.send("/subscribe")
    [cancelled] = await user.send(word)
    assert cancelled.plain == Translator(lang).gettext(messages.FLOW_CANCELLED)
    [pointer] = await user.send("08:00")  # the flow is closed: free text gets the pointer
    assert pointer.plain == Translator(lang).gettext(messages.UNKNOWN_TEXT)


async def test_the_error_notice_follows_the_chosen_language(
    runner: Runner, fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram says German, the user chose Russian: a failing handler's notice is Russian."""
    fake_api.set_language(9701, "de")
    user = User(fake_api, 9701)
    await user.send("/language ru")

    def broken(*_: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(render, "help_text", broken)
    [notice] = await user.send("/help")
    assert notice.plain == Translator("ru").gettext(messages.ERROR)
