"""Long answers as phone-sized screens: the first screen of any reply stays under
`render.FIRST_SCREEN` visible characters, the rest pages behind "More", and the sources of a
long answer open behind a "Sources" button.

Every paged answer has a short key (`forms`, `form.oxide`, `foods.top`, `ix.ppis`,
`in.67.female.general`...) that fits in callback data, so a button press renders the same
answer again from the bank instead of keeping anything per chat: the bot stays stateless and
any replica can answer the press.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from tipbot import messages
from tipbot.content import intake as intake_domain
from tipbot.content import render
from tipbot.content.models import Bank, FoodGroup, LifeStage, Sex
from tipbot.i18n import ENGLISH, Translator
from tipbot.telegram_html import MAX_MESSAGE_LENGTH, visible_length

#: Separates a key's fields (`ix.ppis`); callback data already uses ":".
KEY_SEP = "."


@dataclass(frozen=True)
class Reply:
    """An answer as screens, and the sources kept behind its Sources button (empty when the
    sources are on the screen itself, or there are none)."""

    screens: tuple[str, ...]
    sources: tuple[str, ...] = ()


def fits(text: str) -> bool:
    return len(text) <= MAX_MESSAGE_LENGTH and visible_length(text) <= render.FIRST_SCREEN


def paged(
    bank: Bank, paragraphs: Sequence[str], cited: Sequence[str], t: Translator = ENGLISH
) -> Reply:
    """One screen with its sources when all of it fits; otherwise screens of whole paragraphs
    and the sources behind the button."""
    whole = "\n\n".join(
        [*paragraphs, render.sources_block(bank, cited, t)] if cited else paragraphs
    )
    if fits(whole):
        return Reply((whole,))
    screens = render.split_paragraphs(paragraphs, visible=render.FIRST_SCREEN)
    return Reply(tuple(screens), tuple(cited))


def source_screens(bank: Bank, cited: Sequence[str], t: Translator = ENGLISH) -> list[str]:
    """What the Sources button shows: the numbered citations, a screen at a time."""
    return render.split_paragraphs(
        [render.sources_block(bank, cited, t)], visible=render.FIRST_SCREEN
    )


def key(*parts: object) -> str:
    return KEY_SEP.join(str(p) for p in parts)


def intake_key(person: intake_domain.Person) -> str:
    return key("in", person.age, person.sex.value, person.stage.value)


def reply_for(
    bank: Bank,
    answer_key: str,
    t: Translator = ENGLISH,
    region: str | None = None,
    *,
    strict: bool = False,
) -> Reply | None:
    """The answer a key names, as the reader sees it now (their language and region); None for
    a key this bank cannot answer (an old button after a bank edit). `strict` (validation)
    raises instead, with the reason."""
    try:
        return _reply_for(bank, answer_key, t, region)
    except (StopIteration, ValueError, intake_domain.IntakeInputError):
        if strict:
            raise
        return None


class ScreenCache:
    """Answers already rendered, by (bank, key, language, region): an answer depends on nothing
    else, and rendering /foods takes a few milliseconds of CPU that a reply during a large
    delivery should not spend again for every user. Bounded, since keys come from button data
    that anyone can type; a key the bank cannot answer is remembered too (as None).

    A fallback to English is counted when an answer is first rendered, not on every view."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        #: The bank is kept in the entry, so its id cannot be reused by another bank meanwhile.
        self._entries: OrderedDict[tuple[int, str, str, str | None], tuple[Bank, Reply | None]]
        self._entries = OrderedDict()

    def reply_for(
        self, bank: Bank, answer_key: str, t: Translator = ENGLISH, region: str | None = None
    ) -> Reply | None:
        key = (id(bank), answer_key, t.language, region)
        found = self._entries.get(key)
        if found is not None and found[0] is bank:
            self._entries.move_to_end(key)
            return found[1]
        reply = reply_for(bank, answer_key, t, region)
        self._entries[key] = (bank, reply)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return reply


def _reply_for(bank: Bank, answer_key: str, t: Translator, region: str | None) -> Reply | None:
    kind, _, rest = answer_key.partition(KEY_SEP)
    if kind in ("about", "help"):  # fixed text: screens of whole paragraphs, no sources
        text = t.gettext(messages.ABOUT) if kind == "about" else render.help_text(t)
        pages = render.split_paragraphs(text.split("\n\n"), visible=render.FIRST_SCREEN)
        return Reply(tuple(pages))
    if kind == "sources":
        return Reply(tuple(render.sources(bank, t, visible=render.FIRST_SCREEN)))
    if kind == "foods":
        if rest == "every":
            return paged(bank, *render.foods_all_parts(bank, t, region), t)
        group = FoodGroup(rest) if rest in FoodGroup._value2member_map_ else None
        return paged(bank, *render.foods_parts(bank, group, t, region), t)
    if kind == "forms":
        return paged(bank, *render.forms_overview_parts(bank, t), t)
    if kind == "form":
        form = next(f for f in bank.forms if f.id == rest)
        return paged(bank, *render.form_parts(bank, form, t), t)
    if kind == "ix" and not rest:
        return paged(bank, *render.interactions_overview_parts(bank, t), t)
    if kind == "ix":
        cls = next(c for c in bank.interactions.classes if c.id == rest)
        return paged(bank, *render.interaction_parts(bank, cls, t=t), t)
    if kind == "in":
        age, sex, stage = rest.split(KEY_SEP)
        person = intake_domain.Person(int(age), Sex(sex), LifeStage(stage))
        result = intake_domain.answer(bank.intakes, person)
        return paged(bank, *render.intake_parts(bank, result, t, region), t)
    return None
