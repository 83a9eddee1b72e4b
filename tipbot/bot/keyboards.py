"""Inline keyboards and the callback-data codes behind their buttons.

Telegram limits callback_data to 64 bytes; `data()` enforces it at the one place codes are made,
so an over-long code is a bug caught by tests, never a message Telegram rejects.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from tipbot.content.models import Bank, FoodGroup
from tipbot.content.render import FOOD_GROUP_NAMES
from tipbot.delivery.schedule import format_minute
from tipbot.i18n import ENGLISH, NATIVE_NAMES, Translator
from tipbot.telegram_html import MAX_CALLBACK_DATA_BYTES

DISCLAIMER = "disc"
FEEDBACK = "fb"
#: `pg:<page>:<answer key>` turns the pages of a long answer; `src:<answer key>` opens its
#: sources (see tipbot.content.screens for the keys).
PAGE = "pg"
SOURCES = "src"
#: `form:<form id>` opens one supplement form's details.
FORM = "form"
SEP = ":"

#: Times offered in the guided /subscribe flow (minutes after midnight).
COMMON_TIMES = (7 * 60, 8 * 60, 9 * 60, 12 * 60, 18 * 60, 20 * 60)
COMMON_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles")


def data(*parts: object) -> str:
    code = SEP.join(str(p) for p in parts)
    if len(code.encode()) > MAX_CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data {code!r} is over {MAX_CALLBACK_DATA_BYTES} bytes")
    return code


def button(text: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data(*parts))


def disclaimer_row(t: Translator = ENGLISH) -> list[InlineKeyboardButton]:
    return [button(t.gettext("⚕️ Disclaimer"), DISCLAIMER)]


def markup(
    rows: Sequence[Sequence[InlineKeyboardButton]], t: Translator = ENGLISH
) -> InlineKeyboardMarkup:
    """Every keyboard ends with the disclaimer: it is one tap away under every message."""
    return InlineKeyboardMarkup([*map(list, rows), disclaimer_row(t)])


def main_menu(t: Translator = ENGLISH) -> InlineKeyboardMarkup:
    _ = t.gettext
    return markup(
        [
            [button(_("🥜 Foods"), "menu", "foods"), button(_("💊 Forms"), "menu", "forms")],
            [button(_("⚠️ Interactions"), "menu", "ix"), button(_("💡 A tip"), "menu", "tip")],
            [button(_("📅 Daily tip"), "menu", "sub"), button(_("📚 Sources"), "menu", "sources")],
        ],
        t,
    )


def foods(selected: FoodGroup | None, t: Translator = ENGLISH) -> InlineKeyboardMarkup:
    return markup(foods_rows(selected, t), t)


def foods_rows(
    selected: FoodGroup | None, t: Translator = ENGLISH
) -> list[list[InlineKeyboardButton]]:
    rows: list[list[InlineKeyboardButton]] = []
    groups = [g for g in FoodGroup if g is not selected]
    for i in range(0, len(groups), 2):
        rows.append(
            [button(t.gettext(FOOD_GROUP_NAMES[g]), "foods", g.value) for g in groups[i : i + 2]]
        )
    last = [button(t.gettext("📋 All foods"), "foods", "every")]
    if selected is not None:
        last.insert(0, button(t.gettext("⬅️ Top foods"), "foods", "top"))
    rows.append(last)
    return rows


def interactions(bank: Bank, t: Translator = ENGLISH) -> InlineKeyboardMarkup:
    return markup(interactions_rows(bank), t)


def interactions_rows(bank: Bank) -> list[list[InlineKeyboardButton]]:
    return [[button(_short(c.name), "ix", c.id)] for c in bank.interactions.classes]


def forms_rows(bank: Bank) -> list[list[InlineKeyboardButton]]:
    """One button per supplement form, two to a row, each opening its details."""
    buttons = [button(_short(_form_label(f.name), 30), FORM, f.id) for f in bank.forms]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def _form_label(name: str) -> str:
    """ "Magnesium citrate" reads "Citrate" on a button: every form is magnesium."""
    short = name.removeprefix("Magnesium ").strip()
    return short[:1].upper() + short[1:] if short else name


def back_to(label: str, *parts: object) -> list[InlineKeyboardButton]:
    return [button(label, *parts)]


def screen(
    answer_key: str,
    page: int,
    pages: int,
    has_sources: bool,
    rows: Sequence[Sequence[InlineKeyboardButton]] = (),
    t: Translator = ENGLISH,
) -> InlineKeyboardMarkup:
    """Under one screen of a long answer: ◀️ / More ▶️ while there are other pages, 📚 Sources
    when they are not on the screen, then the answer's own buttons and the disclaimer."""
    top: list[list[InlineKeyboardButton]] = []
    turns = []
    if page > 0:
        turns.append(button(t.gettext("◀️ Back"), PAGE, page - 1, answer_key))
    if page < pages - 1:
        more = t.gettext("More ▶️ ({page}/{pages})").format(page=page + 1, pages=pages)
        turns.append(button(more, PAGE, page + 1, answer_key))
    if turns:
        top.append(turns)
    if has_sources:
        top.append([button(t.gettext("📚 Sources"), SOURCES, answer_key)])
    return markup([*top, *rows], t)


def interaction_back(t: Translator = ENGLISH) -> InlineKeyboardMarkup:
    return markup([[button(t.gettext("⬅️ All interactions"), "menu", "ix")]], t)


def another_tip(t: Translator = ENGLISH) -> InlineKeyboardMarkup:
    _ = t.gettext
    return markup(
        [[button(_("💡 Another tip"), "menu", "tip"), button(_("📅 Daily tip"), "menu", "sub")]],
        t,
    )


def daily_tip(t: Translator = ENGLISH, tip_id: str | None = None) -> InlineKeyboardMarkup:
    """Under a daily tip: 👍 / 👎 (`fb:+:<tip id>`, `fb:-:<tip id>`) when it has an id, then
    the settings."""
    rows = [[button(t.gettext("⚙️ Settings"), "set", "show")]]
    if tip_id is not None:
        rows.insert(0, [button("👍", FEEDBACK, "+", tip_id), button("👎", FEEDBACK, "-", tip_id)])
    return markup(rows, t)


def plain(t: Translator = ENGLISH) -> InlineKeyboardMarkup:
    return markup([], t)


def pick_time() -> InlineKeyboardMarkup:
    times = [button(format_minute(m), "sub", "t", m) for m in COMMON_TIMES]
    return markup([times[:3], times[3:], [button("⌨️ Another time (type it)", "sub", "type")]])


def pick_zone(minute: int, zones: Sequence[str] = COMMON_ZONES) -> InlineKeyboardMarkup:
    return markup([[button(z.replace("_", " "), "sub", "z", minute, z)] for z in zones])


def settings(
    active: bool,
    paused: bool,
    *,
    quiet: bool = False,
    weekly_quiz: bool | None = None,
    t: Translator = ENGLISH,
) -> InlineKeyboardMarkup:
    """`weekly_quiz`: whether the chat gets the weekly quiz (None: not offered, e.g. in a group,
    where a non-anonymous quiz would show each member's answer)."""
    rows = [[button("🕗 Change time", "set", "time"), button("🌍 Change time zone", "set", "zone")]]
    rows.append(
        [button("🔔 Tips with sound", "set", "quiet", "off")]
        if quiet
        else [button("🔕 Quiet tips (no sound)", "set", "quiet", "on")]
    )
    if weekly_quiz is not None:
        rows.append(
            [button(t.gettext("🧠 Stop the weekly quiz"), "set", "quiz", "off")]
            if weekly_quiz
            else [button(t.gettext("🧠 A quiz question every week"), "set", "quiz", "on")]
        )
    if paused:
        rows.append([button("▶️ Resume", "set", "resume"), button("🛑 Unsubscribe", "set", "unsub")])
    elif active:
        rows.append([button("⏸ Pause", "set", "pause"), button("🛑 Unsubscribe", "set", "unsub")])
    return markup(rows)


def set_time() -> InlineKeyboardMarkup:
    times = [button(format_minute(m), "set", "t", m) for m in COMMON_TIMES]
    return markup([times[:3], times[3:]])


def set_zone(zones: Sequence[str]) -> InlineKeyboardMarkup:
    return markup([[button(z.replace("_", " "), "set", "z", z)] for z in zones])


def subscribe_prompt() -> InlineKeyboardMarkup:
    return markup([[button("📅 Subscribe", "menu", "sub")]])


def forget_confirm() -> InlineKeyboardMarkup:
    return markup(
        [[button("🗑 Yes, delete my data", "forget", "yes"), button("Cancel", "forget", "no")]]
    )


def intake_sex(t: Translator = ENGLISH) -> InlineKeyboardMarkup:
    _ = t.gettext
    options = [
        (_("Woman"), "female"),
        (_("Man"), "male"),
        (_("Pregnant"), "pregnant"),
        (_("Breastfeeding"), "lactating"),
    ]
    return markup([[button(label, "in", "s", value)] for label, value in options], t)


def intake_age(
    kind: str, bands: Sequence[tuple[str, int]], t: Translator = ENGLISH
) -> InlineKeyboardMarkup:
    """Age bands ("19–30", "Over 70"): an "Over" band is translated, numbers stay."""
    over = t.gettext("Over {age}")

    def shown(label: str) -> str:
        return over.format(age=label[5:]) if label.startswith("Over ") else label

    buttons = [button(shown(label), "in", "a", kind, age) for label, age in bands]
    return markup([buttons[i : i + 3] for i in range(0, len(buttons), 3)], t)


def languages(current: str, t: Translator = ENGLISH) -> InlineKeyboardMarkup:
    """One button per language, each named in itself; the current one is ticked."""
    rows = [
        [button(("✓ " if code == current else "") + name, "lang", code)]
        for code, name in NATIVE_NAMES.items()
    ]
    return markup(rows, t)


def broadcast_confirm(draft_id: str) -> InlineKeyboardMarkup:
    return markup(
        [[button("📣 Send to all", "bc", "yes", draft_id), button("Cancel", "bc", "no", draft_id)]]
    )


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: The profile's buttons (`pf:...`), handled by bot/profile.py's conversation.
PROFILE = "pf"


def profile_question(
    question: str, options: Sequence[tuple[str, str]], *, guided: bool, stored: bool
) -> InlineKeyboardMarkup:
    """One question's answers (`pf:s:<question>:<value>`, `:g` while going through all of them),
    then Skip in the guided flow, or Clear and Back when one answer is being changed."""
    mode = ("g",) if guided else ()
    answers = [button(label, PROFILE, "s", question, value, *mode) for label, value in options]
    rows = [answers[i : i + 2] for i in range(0, len(answers), 2)]
    if guided:
        rows.append([button("Skip ⏭", PROFILE, "k", question, "g")])
    else:
        last = [button("⬅️ Back", PROFILE, "show")]
        if stored:
            last.insert(0, button("🧹 Clear this answer", PROFILE, "c", question))
        rows.append(last)
    return markup(rows)


def profile_overview(
    questions: Sequence[tuple[str, str]], has_profile: bool
) -> InlineKeyboardMarkup:
    """`pf:q:<question>` changes one answer, `pf:g` goes through all, `pf:x` clears them all."""
    changes = [button(f"✏️ {label}", PROFILE, "q", question) for question, label in questions]
    rows = [changes[i : i + 2] for i in range(0, len(changes), 2)]
    last = [button("▶️ Answer all questions", PROFILE, "g")]
    if has_profile:
        last.append(button("🗑 Clear all", PROFILE, "x"))
    rows.append(last)
    return markup(rows)
