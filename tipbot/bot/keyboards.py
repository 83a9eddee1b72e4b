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
from tipbot.telegram_html import MAX_CALLBACK_DATA_BYTES

DISCLAIMER = "disc"
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


def disclaimer_row() -> list[InlineKeyboardButton]:
    return [button("⚕️ Disclaimer", DISCLAIMER)]


def markup(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """Every keyboard ends with the disclaimer: it is one tap away under every message."""
    return InlineKeyboardMarkup([*map(list, rows), disclaimer_row()])


def main_menu() -> InlineKeyboardMarkup:
    return markup(
        [
            [button("🥜 Foods", "menu", "foods"), button("💊 Forms", "menu", "forms")],
            [button("⚠️ Interactions", "menu", "ix"), button("💡 A tip", "menu", "tip")],
            [button("📅 Daily tip", "menu", "sub"), button("📚 Sources", "menu", "sources")],
        ]
    )


def foods(selected: FoodGroup | None) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    groups = [g for g in FoodGroup if g is not selected]
    for i in range(0, len(groups), 2):
        rows.append([button(FOOD_GROUP_NAMES[g], "foods", g.value) for g in groups[i : i + 2]])
    last = [button("📋 All foods", "foods", "every")]
    if selected is not None:
        last.insert(0, button("⬅️ Top foods", "foods", "top"))
    rows.append(last)
    return markup(rows)


def interactions(bank: Bank) -> InlineKeyboardMarkup:
    classes = bank.interactions.classes
    rows = [[button(_short(c.name), "ix", c.id)] for c in classes]
    return markup(rows)


def interaction_back() -> InlineKeyboardMarkup:
    return markup([[button("⬅️ All interactions", "menu", "ix")]])


def another_tip() -> InlineKeyboardMarkup:
    return markup(
        [[button("💡 Another tip", "menu", "tip"), button("📅 Daily tip", "menu", "sub")]]
    )


def daily_tip() -> InlineKeyboardMarkup:
    return markup([[button("⚙️ Settings", "set", "show")]])


def plain() -> InlineKeyboardMarkup:
    return markup([])


def pick_time() -> InlineKeyboardMarkup:
    times = [button(format_minute(m), "sub", "t", m) for m in COMMON_TIMES]
    return markup([times[:3], times[3:], [button("⌨️ Another time (type it)", "sub", "type")]])


def pick_zone(minute: int, zones: Sequence[str] = COMMON_ZONES) -> InlineKeyboardMarkup:
    return markup([[button(z.replace("_", " "), "sub", "z", minute, z)] for z in zones])


def settings(active: bool, paused: bool) -> InlineKeyboardMarkup:
    rows = [[button("🕗 Change time", "set", "time"), button("🌍 Change time zone", "set", "zone")]]
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


def intake_sex() -> InlineKeyboardMarkup:
    options = [
        ("Woman", "female"),
        ("Man", "male"),
        ("Pregnant", "pregnant"),
        ("Breastfeeding", "lactating"),
    ]
    return markup([[button(label, "in", "s", value)] for label, value in options])


def intake_age(kind: str, bands: Sequence[tuple[str, int]]) -> InlineKeyboardMarkup:
    buttons = [button(label, "in", "a", kind, age) for label, age in bands]
    return markup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


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
