"""Inline mode's answers: `@bot almonds` in any chat offers cards from the bank to share.

Inline queries arrive with every keystroke and Telegram waits only a few seconds, so every card is
rendered once when the index is built and a query only matches words in memory. The bank is public
content: nothing here depends on who asks, which is what lets the answer be cached by Telegram for
everyone (`is_personal=False`).

Matching is by word prefix (`almo` finds "Almonds", `citrate` finds "Magnesium citrate"), and a
medicine name also goes through the /interactions look-up, so brands (`Fosamax`) and small typos
(`alendronat`) find their class. A query that matches nothing gets no cards, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tipbot import messages
from tipbot.content import render
from tipbot.content.lookup import MedicineIndex, normalise
from tipbot.content.models import Bank, Food, Form, InteractionClass
from tipbot.i18n import ENGLISH, Translator

#: Telegram accepts at most 50 results; a phone shows a handful, so fewer is kinder.
MAX_RESULTS = 20
#: Shown while the query is still empty: the foods at the top of the list, the bisphosphonate
#: timing most readers need, and the two forms people ask about most.
FEATURED_FOODS = 3
FEATURED_FORMS = ("citrate", "oxide")

_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Card:
    """One inline result: `id` is unique and at most 64 bytes; `text` is Telegram HTML."""

    id: str
    title: str
    description: str
    text: str
    words: frozenset[str]


def words(text: str) -> list[str]:
    return _WORD_RE.findall(normalise(text))


def _with_disclaimer(paragraphs: list[str], t: Translator = ENGLISH) -> str:
    disclaimer = render.esc(t.gettext(messages.DISCLAIMER_SHORT))
    return "\n\n".join([*paragraphs, f"<i>{disclaimer}</i>"])


def _label(t: Translator, english: str) -> str:
    return f"<i>{render.esc(t.gettext(english))}</i>"


def food_card(bank: Bank, food: Food, t: Translator = ENGLISH) -> Card:
    table = bank.foods
    summary = t.gettext(messages.INLINE_FOOD).format(
        mg=t.format_number(food.mg), serving=food.serving, dv=food.pct_dv
    )
    paragraphs = [f"🥗 <b>{render.esc(food.name)}</b>\n{render.esc(summary)}"]
    if food.note:
        paragraphs.append(f"<i>{render.esc(food.note)}</i>")
    paragraphs.append(render.esc(t.gettext(messages.INLINE_DV).format(dv=table.daily_value_mg)))
    sources = list(dict.fromkeys([food.source, table.daily_value_source]))
    paragraphs.append(render.sources_block(bank, sources, t))
    return Card(
        # Named, not numbered: a result id must still mean the same food when the bank grows.
        "food:" + "-".join(words(food.name))[:58],
        food.name,
        summary,
        _with_disclaimer(paragraphs, t),
        frozenset(words(food.name)),
    )


def form_card(bank: Bank, form: Form, t: Translator = ENGLISH) -> Card:
    share = t.gettext(messages.INLINE_FORM).format(percent=t.format_number(form.elemental_percent))
    note = f" ({render.esc(form.elemental_note)})" if form.elemental_note else ""
    paragraphs = [
        f"💊 <b>{render.esc(form.name)}</b>\n{render.esc(share)}{note}",
        f"{_label(t, render.ABSORPTION)} {render.esc(form.absorption)}",
        f"{_label(t, render.USES)} {render.esc(form.uses_side_effects)}",
        render.sources_block(bank, form.sources, t),
    ]
    return Card(
        f"form:{form.id}",
        form.name,
        share,
        _with_disclaimer(paragraphs, t),
        frozenset(words(f"{form.name} {form.id}")),
    )


def interaction_card(bank: Bank, cls: InteractionClass, t: Translator = ENGLISH) -> Card:
    paragraphs = [
        f"⏰ <b>{render.esc(cls.name)}</b>",
        f"{_label(t, render.INCLUDES)} {render.esc(render.medicine_names(cls))}",
        f"{_label(t, render.TIMING)} {render.esc(cls.advice)}",
    ]
    if cls.sources_disagree:
        paragraphs.append(f"{_label(t, render.DISAGREE)} {render.esc(cls.sources_disagree)}")
    paragraphs.append(render.sources_block(bank, cls.sources, t))
    names = " ".join(f"{m.generic} {' '.join(m.brands)}" for m in cls.medicines)
    return Card(
        f"ix:{cls.id}",
        cls.name,
        t.gettext(messages.INLINE_TIMING).format(medicines=render.medicine_names(cls)),
        _with_disclaimer(paragraphs, t),
        frozenset(words(f"{cls.name} {cls.id} {names}")),
    )


class InlineIndex:
    """Every card rendered once, in the bank's order (foods richest first), ready to match.

    One index per language, built from the bank in that language (`Translations.bank_for`): the
    labels and the bank's text are the reader's; a medicine's English names still find its card.
    """

    def __init__(self, bank: Bank, t: Translator = ENGLISH, english: Bank | None = None) -> None:
        foods = sorted(bank.foods.items, key=lambda f: -f.mg)
        self._foods = [food_card(bank, f, t) for f in foods]
        self._forms = {f.id: form_card(bank, f, t) for f in bank.forms}
        self._classes = {c.id: interaction_card(bank, c, t) for c in bank.interactions.classes}
        self.cards: tuple[Card, ...] = (
            *self._foods,
            *self._forms.values(),
            *self._classes.values(),
        )
        # People type the names on their pill box, brands and English generics: the look-up
        # reads the English bank's names (`english`) even when the cards are translated.
        self._medicines = MedicineIndex((english or bank).interactions)
        featured = [
            *list(self._classes.values())[:1],
            *self._foods[:FEATURED_FOODS],
            *(self._forms[f] for f in FEATURED_FORMS if f in self._forms),
        ]
        self.featured: tuple[Card, ...] = tuple(featured)

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Card]:
        """Cards whose words start with every word of `query`; exact words rank first."""
        if not query.strip():
            return list(self.featured)[:limit]
        wanted = words(query)
        if not wanted:
            return []
        scored: list[tuple[int, int, Card]] = []
        for position, card in enumerate(self.cards):
            exact = 0
            for word in wanted:
                if word in card.words:
                    exact += 1
                elif not any(w.startswith(word) for w in card.words):
                    break
            else:
                scored.append((-exact, position, card))
        found = [card for _, _, card in sorted(scored, key=lambda s: (s[0], s[1]))]
        if not found:
            # A brand or a near miss of a medicine name: the /interactions look-up knows them.
            matches = self._medicines.lookup(query).matches
            found = [self._classes[m.interaction.id] for m in matches]
        return found[:limit]
