"""Every reply in the user's language: each command, the main buttons, the guided flows, the
error answers and the toasts, sent by a Spanish, a German and a Russian user through the fake
Bot API, with no English word left in what they read.

What may stay English, and why it is removed before the check:
- links (source titles are cited in their own language) and `<code>` (commands and examples
  typed as they are, such as `/intake 67 female`);
- command names (`/help`): they are names, not words;
- the bank's own English text (tips, foods, forms, interactions, quiz, source titles): it is
  translated as data (`tips/locales/`, issue 12's "tables" work), and an item without a
  translation is shown in English whole, on purpose, and counted in /stats. Those checks belong
  to the bank's translation tests; this one is about the bot's own words.

The checker is a short list of common English words that no Spanish, German or Russian sentence
uses (so "in", "no", "die", "was", "will", "man", "Start" or "Zone" are not on it). The first
tests show it catches an untranslated string, so a pass means something.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Iterable

import pytest

from tests.bot.english import LABEL_TERMS, bank_texts, english_left
from tests.conftest import ADMIN_ID
from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot import messages
from tipbot.content.models import Bank
from tipbot.i18n import LANGUAGES, Translator
from tipbot.runner import Runner

#: Telegram codes as real clients send them, regional ones included.
CODES = {"es": "es-MX", "de": "de-AT", "ru": "ru"}


def message_texts(message: SentMessage) -> list[str]:
    """The text and every button label of a message (labels are read too)."""
    return [message.text, *(html.escape(str(b.get("text", ""))) for b in message.buttons)]


# --- The checker can fail ----------------------------------------------------------------------


def test_the_checker_finds_english_and_passes_a_translation() -> None:
    assert english_left("¿Quiere recibir <b>un consejo</b> cada día?") == []
    assert english_left("Ab jetzt antworte ich auf Deutsch. Die Pause ist zu Ende.") == []
    assert english_left("Отправьте /help, чтобы увидеть <code>/intake 67 female</code>.") == []
    assert english_left("Send /help to see what I can do.") == ["Send", "to", "what", "can"]
    # Source titles in links, and exempt (bank) text, are not the bot's words.
    assert english_left('Fuente: <a href="https://x.org">Facts about the bones</a>') == []
    assert english_left("Consejo: Take it with food.", ["Take it with food."]) == []


def test_the_checker_catches_a_message_missing_from_the_catalogue() -> None:
    """A string nobody translated comes back in English from gettext, and is caught."""
    t = Translator("de")
    untranslated = t.gettext("Your daily tips are paused until you send /resume.")
    assert english_left(untranslated) == ["Your", "daily", "tips", "are", "paused", "you", "send"]
    assert english_left(t.gettext(messages.SUB_PAUSED)) == []  # the translated one passes


async def test_an_untranslated_reply_is_caught_end_to_end(
    runner: Runner, fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same route the sweep below takes catches a reply that lost its translation."""
    monkeypatch.setattr(messages, "SUB_NONE", "You have no daily tip yet: send /subscribe.")
    me = Conversation(fake_api, 8001, "de")
    [reply] = await me.send("/status")
    assert english_left(reply.text) == ["You", "have", "daily", "tip", "send"]
    assert len(me.problems([])) == 1  # the reply; its button ("📅 Abonnieren") is German


#: Shown by answerCallbackQuery (a toast, or the disclaimer's alert): Telegram takes 200
#: characters at most, and a longer one fails, so the button seems dead (it did, in Spanish and
#: German, before this test).
TOASTS = (
    messages.DISCLAIMER_SHORT,
    messages.CLINIC_ADMINS_ONLY,
    messages.FEEDBACK_THANKS,
    messages.FEEDBACK_CHANGED,
    messages.FEEDBACK_SAME,
    messages.FEEDBACK_UNKNOWN,
)
MAX_CALLBACK_ANSWER = 200


@pytest.mark.parametrize("lang", LANGUAGES)
def test_toasts_fit_in_a_callback_answer(lang: str) -> None:
    t = Translator(lang)
    too_long = {
        m[:40]: len(t.gettext(m)) for m in TOASTS if len(t.gettext(m)) > MAX_CALLBACK_ANSWER
    }
    assert too_long == {}


# --- Every reply, in each language ------------------------------------------------------------


class Conversation:
    """A user (or the admin) talking to the bot; everything they are shown is kept to check.

    Replies to one chat are paced like Telegram's per-chat limit (about one a second), so a long
    answer takes seconds: the waits here allow for that."""

    WAIT = 60.0

    def __init__(self, fake: FakeBotApi, chat_id: int, code: str) -> None:
        fake.set_language(chat_id, code)
        self.fake = fake
        self.chat_id = chat_id
        self.shown: list[tuple[str, str]] = []  # (what was done, text or label shown)

    def _keep(self, action: str, replies: Iterable[SentMessage]) -> list[SentMessage]:
        replies = list(replies)
        for reply in replies:
            self.shown += [(action, text) for text in message_texts(reply)]
        return replies

    def _outputs(self) -> int:
        return len(self.fake.messages_for(self.chat_id)) + len(self.fake.edits_for(self.chat_id))

    async def _new(self, action: str, replies: int) -> list[SentMessage]:
        messages_before = len(self.fake.messages_for(self.chat_id))
        edits_before = len(self.fake.edits_for(self.chat_id))
        wanted = messages_before + edits_before + replies
        await self.fake.wait_for(
            lambda: self._outputs() >= wanted, self.WAIT, f"{replies} answer(s) to {action}"
        )
        new = self.fake.messages_for(self.chat_id)[messages_before:]
        new += self.fake.edits_for(self.chat_id)[edits_before:]
        return self._keep(action, new)

    async def send(self, text: str, replies: int = 1) -> list[SentMessage]:
        waiting = asyncio.ensure_future(self._new(text, replies))
        await asyncio.sleep(0)  # counted before the message goes out
        self.fake.push_message(self.chat_id, text, first_name="Ana")
        return await waiting

    async def press(self, message: SentMessage, data: str, replies: int = 1) -> list[SentMessage]:
        assert data in button_data(message, ""), (data, message.buttons)
        waiting = asyncio.ensure_future(self._new(f"[{data}]", replies))
        await asyncio.sleep(0)
        self.fake.push_callback(self.chat_id, message.message_id, data)
        return await waiting

    async def toast(self, message: SentMessage, data: str) -> None:
        """A button answered with a toast or alert only (no message)."""
        mine = [a for a in self.fake.callback_answers if a.text is not None]
        before = len(self.fake.callback_answers)
        self.fake.push_callback(self.chat_id, message.message_id, data)
        await self.fake.wait_for(
            lambda: any(a.text for a in self.fake.callback_answers[before:] if a not in mine),
            self.WAIT,
            f"the toast answering {data}",
        )
        for answer in self.fake.callback_answers[before:]:
            if answer.text:
                self.shown.append((f"[{data}] toast", html.escape(answer.text)))

    def problems(self, exempt: list[str]) -> list[str]:
        found = []
        for action, text in self.shown:
            words = english_left(text, exempt)
            if words:
                found.append(f"{action}: {words} in {text[:300]!r}")
        return found


def button_data(message: SentMessage, prefix: str) -> list[str]:
    data = [str(b.get("callback_data", "")) for b in message.buttons]
    return [d for d in data if d.startswith(prefix)]


async def main_menu(me: Conversation) -> None:
    """/start, /help, /about, the disclaimer and the main menu's buttons."""
    [start] = await me.send("/start")
    await me.send("/help")
    await me.send("/about")
    await me.toast(start, "disc")
    await me.press(start, "menu:tip")
    [tip] = await me.send("/tip")
    await me.press(tip, "menu:tip")
    for menu in ("menu:forms", "menu:sources", "menu:ix"):
        await me.press(start, menu)


async def reference_answer(me: Conversation, command: str, detail: str) -> None:
    """A reference answer with its first detail button and its "More" and "Sources" buttons
    (each screen is one message; paging edits it in place)."""
    [screen] = await me.send(command)
    for prefix in (detail, "pg:", "src:"):
        pressed = button_data(screen, prefix) if prefix else []
        if pressed:
            await me.press(screen, pressed[0])


async def interaction_searches(me: Conversation) -> None:
    for query in ("Fosamax", "zzzzqq"):
        await me.send(f"/interactions {query}")


async def foods_intake_quiz(me: Conversation, bank: Bank, t: Translator) -> None:
    [foods] = await me.send("/foods")
    me.shown += [("/foods photo", p.caption or "") for p in me.fake.photos_for(me.chat_id)]
    group = button_data(foods, "foods:")[0]
    [shown_group] = await me.press(foods, group)
    await me.press(shown_group, "foods:every")
    [ask_sex] = await me.send("/intake")
    [ask_age] = await me.press(ask_sex, "in:s:female")
    await me.press(ask_age, button_data(ask_age, "in:a:")[-1])
    await me.send("/intake 67 female")
    await me.send("/intake 300 female")
    await me.send("/quiz", replies=0)
    await me.fake.wait_for(lambda: bool(me.fake.polls_for(me.chat_id)), me.WAIT, "a quiz")


#: The daily tip's parts each run in a chat of their own. A part that follows another begins
#: with one message putting its chat where the earlier part left its own (that reply is checked
#: too), so every reply below is the one a single chat going through them all would get.


async def subscribe_guided(me: Conversation) -> None:
    """The guided flow by buttons, then by typing, with an error and a cancel."""
    [start] = await me.send("/start")
    [ask_time] = await me.send("/subscribe")
    [ask_zone] = await me.press(ask_time, "sub:t:420")
    await me.press(ask_zone, "sub:z:420:Europe/Berlin")
    [ask_time] = await me.press(start, "menu:sub")
    await me.press(ask_time, "sub:type")
    await me.send("25:99")
    await me.send("cancel")


async def subscribe_in_one_message(me: Conversation) -> None:
    """The one-message forms and their errors (subscribed at 07:00, as the guided flow left it)."""
    await me.send("/subscribe 07:00 Europe/Berlin")
    await me.send("/subscribe 25:99 Europe/Berlin")
    await me.send("/subscribe 07:30 UTC+5:20")
    await me.send("/subscribe 07:30 Atlantisstadt")
    await me.send("cancel")
    await me.send("/subscribe 07:30")


async def every_setting(me: Conversation) -> None:
    """/settings: time, zone, quiet hours (subscribed at 07:30 UTC, as the one-message forms
    left it: the last one names no zone)."""
    await me.send("/subscribe 07:30 UTC")
    [settings] = await me.send("/settings")
    [pick] = await me.press(settings, "set:time")
    await me.press(pick, "set:t:480")
    [settings] = await me.send("/settings")
    [zones] = await me.press(settings, "set:zone")
    await me.press(zones, "set:z:Europe/Berlin")
    [settings] = await me.send("/settings")
    [quiet] = await me.press(settings, "set:quiet:on")
    await me.press(quiet, "set:quiet:off")


async def pause_resume_unsubscribe(me: Conversation) -> None:
    """Each state's /status, twice each way (subscribed at 08:00 in Berlin, as the settings
    left it)."""
    await me.send("/subscribe 08:00 Europe/Berlin")
    for command in ("/status", "/pause", "/status", "/pause", "/resume", "/resume"):
        await me.send(command)
    for command in ("/unsubscribe", "/status", "/unsubscribe", "/settings", "/mydata"):
        await me.send(command)


async def profile_and_data(me: Conversation) -> None:
    """The optional profile by buttons and typed, /mydata, and clearing it."""
    [question] = await me.send("/profile")
    for _ in range(6):
        answers = [d for d in button_data(question, "pf:s:") if not d.endswith(":none:g")]
        [question] = await me.press(question, answers[0])
    [overview] = await me.send("/profile")
    [ask] = await me.press(overview, "pf:q:kidney")
    await me.press(ask, "pf:show")
    await me.send("/profile set age 300")
    await me.send("/profile set height 170")
    await me.send("/profile set region mars")
    await me.send("/profile set medicine aspirin")
    await me.send("/profile set medicine fosamx")
    await me.send("/profile set age 71")
    await me.send("/intake")  # from the profile now
    await me.send("/mydata")
    await me.send("/profile clear")
    await me.send("/profile clear")


async def language_forget_and_chatter(me: Conversation, lang: str) -> None:
    """/language, /forget, and what is not a command (no profile, as the part above leaves it)."""
    [menu] = await me.send("/language")
    await me.press(menu, f"lang:{lang}")
    await me.send("/language xx")
    [ask] = await me.send("/forget")
    await me.press(ask, "forget:no")
    await me.send("/nope")
    await me.send("hello")


async def dose_companion(me: Conversation) -> None:
    """/dose's guided setup, its refusals (the one-line form's words stay as typed), the plan,
    the "already logged" reply and /history."""
    [menu] = await me.send("/dose")
    [how_often] = await me.press(menu, "dz:m:alendronate")
    [days] = await me.press(how_often, "dz:r:alendronate:weekly")
    [times] = await me.press(days, "dz:d:alendronate:weekly:wed")
    await me.press(times, button_data(times, "dz:h:")[0])
    for bad in (
        "/dose alendronate weekly xyz 07:00 UTC",
        "/dose risedronate monthly 30 08:00 UTC",
        "/dose risedronate monthly zero 08:00 UTC",
        "/dose denosumab appointment 2027-02-30 09:00 UTC",
        "/dose alendronate daily 25:00 UTC",
        "/dose alendronate daily 07:00 Atlantisstadt",
        "/dose omeprazole weekly mon 07:00 UTC",
    ):
        await me.send(bad)
    await me.send("/dose alendronate weekly mon 07:00 Europe/Berlin")
    await me.send("/dose denosumab appointment 2027-03-01 09:00 Europe/Berlin")
    await me.send("/dose")
    await me.send("/history")


async def admin_commands(admin: Conversation) -> None:
    await admin.send("/stats")
    await admin.send("/broadcast")
    await admin.send("/broadcast " + "x" * 3600)
    _, draft = await admin.send("/broadcast Hola", replies=2)
    await admin.press(draft, button_data(draft, "bc:no:")[0])


@pytest.mark.parametrize("lang", ["es", "de", "ru"])
async def test_every_command_and_button_answers_without_english(
    runner: Runner, fake_api: FakeBotApi, bank: Bank, lang: str
) -> None:
    """Each part in its own chat, at the same time (each chat is paced on its own)."""
    t = Translator(lang)
    parts = [
        main_menu,
        lambda me: reference_answer(me, "/forms", "form:"),
        lambda me: reference_answer(me, "/interactions", "ix:"),
        lambda me: reference_answer(me, "/sources", ""),
        interaction_searches,
        lambda me: foods_intake_quiz(me, bank, t),
        subscribe_guided,
        subscribe_in_one_message,
        every_setting,
        pause_resume_unsubscribe,
        profile_and_data,
        lambda me: language_forget_and_chatter(me, lang),
        dose_companion,
    ]
    chats = [Conversation(fake_api, 8100 + n, CODES[lang]) for n in range(len(parts))]
    admin = Conversation(fake_api, ADMIN_ID, CODES[lang])
    await asyncio.gather(
        *(part(chat) for part, chat in zip(parts, chats, strict=True)), admin_commands(admin)
    )
    for chat in [*chats, admin]:  # anything that came after the answer it was counted for
        chat.shown += [
            ("(any)", text)
            for sent in [*fake_api.messages_for(chat.chat_id), *fake_api.edits_for(chat.chat_id)]
            for text in message_texts(sent)
        ]
    assert all(chat.shown for chat in [*chats, admin])
    exempt = [*bank_texts(bank), *LABEL_TERMS]
    problems = [p for chat in [*chats, admin] for p in chat.problems(exempt)]
    assert problems == [], "\n".join(problems)
