"""Medicine-name look-up for /interactions NAME.

People type what is on their pill box: a brand (`Fosamax`), a generic (`alendronate`), a short form
(`cipro`) or a near miss (`omeprazol`). The answer must never guess wildly: a wrong class is worse
than no answer, because the reader may act on timing advice meant for another medicine. So a typo
is accepted only within one or two letter edits of a name in the bank, and a failed look-up
suggests only names that are spelled almost the same, never a medicine that merely shares letters
(denosumab is not nivolumab, iron is not Cipro).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tipbot.content.models import InteractionClass, InteractionTable

MAX_QUERY_CHARS = 60
#: Names shorter than this tolerate one typo; longer names two (a missing and a doubled letter).
LONG_NAME = 8
#: A query this long that begins a bank name ("ciproflox", "zoledronic") is a truncated name.
MIN_PREFIX = 5
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Match:
    interaction: InteractionClass
    name: str  # the name as the bank spells it (brand or generic)
    generic: str


@dataclass(frozen=True)
class LookupResult:
    matches: tuple[Match, ...]
    suggestions: tuple[str, ...]


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[®™©]", "", text)
    return re.sub(r"\s+", " ", text).strip(" .,;:!?'\"")


def edit_distance(a: str, b: str) -> int:
    """Letters inserted, deleted, changed or swapped with a neighbour to turn `a` into `b`.

    Swaps count once because `doxycylcine` is one slip of the fingers, not two.
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def typos_allowed(name: str) -> int:
    return 1 if len(name) < LONG_NAME else 2


def _distance(key: str, name: str) -> int:
    """Edits from the query to the name, or to as many of its first words as the query has.

    `zolendronic` is one slip from `zoledronic`, the first word of `zoledronic acid`.
    """
    words = name.split(" ")
    width = len(key.split(" "))
    if width < len(words):
        return min(edit_distance(key, name), edit_distance(key, " ".join(words[:width])))
    return edit_distance(key, name)


class MedicineIndex:
    """Every generic and brand name, folded for comparison, pointing at its interaction class."""

    def __init__(self, table: InteractionTable) -> None:
        self._by_name: dict[str, list[Match]] = {}
        for cls in table.classes:
            for medicine in cls.medicines:
                for name in (medicine.generic, *medicine.brands):
                    match = Match(cls, name, medicine.generic)
                    entries = self._by_name.setdefault(normalise(name), [])
                    if all(m.interaction.id != cls.id for m in entries):
                        entries.append(match)

    @property
    def names(self) -> list[str]:
        return sorted({m.name for ms in self._by_name.values() for m in ms}, key=str.casefold)

    def lookup(self, query: str) -> LookupResult:
        key = normalise(query)[:MAX_QUERY_CHARS]
        if not key:
            return LookupResult((), ())
        if key in self._by_name:
            return LookupResult(tuple(self._by_name[key]), ())
        # "fosamax plus d" -> "fosamax", "cipro xr" -> "cipro": a known name, then extra words.
        words = key.split(" ")
        for end in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:end])
            if prefix in self._by_name:
                return LookupResult(tuple(self._by_name[prefix]), ())
        # "zoledronic" -> "zoledronic acid": the first words of exactly one name.
        starts = [name for name in self._by_name if name.startswith(key + " ")]
        if len(starts) == 1:
            return LookupResult(tuple(self._by_name[starts[0]]), ())
        distances = {name: _distance(key, name) for name in self._by_name}
        typos = [name for name, d in distances.items() if d <= typos_allowed(name)]
        if typos:
            closest = min(distances[name] for name in typos)
            best = [name for name in typos if distances[name] == closest]
            classes = {m.interaction.id for name in best for m in self._by_name[name]}
            if len(classes) == 1:  # "fosammax" is as close to Fosamax as to Fosamax Plus D
                return LookupResult(tuple(self._by_name[best[0]]), ())
        near = sorted(
            (
                name
                for name, d in distances.items()
                if d <= typos_allowed(name) + 1 or (len(key) >= MIN_PREFIX and name.startswith(key))
            ),
            key=lambda name: (distances[name], name),
        )
        suggestions = tuple(dict.fromkeys(self._by_name[name][0].name for name in near))
        return LookupResult((), suggestions[:MAX_SUGGESTIONS])
