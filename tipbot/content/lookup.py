"""Medicine-name look-up for /interactions NAME.

People type what is on their pill box: a brand (`Fosamax`), a generic (`alendronate`), a short form
(`cipro`) or a near miss (`omeprazol`). The answer must never guess wildly, so fuzzy matches are
only accepted above a high similarity; below it we offer the closest names instead.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from tipbot.content.models import InteractionClass, InteractionTable

#: Similarity at which a typo is taken as the medicine (omeprazol -> omeprazole is 0.95).
ACCEPT_RATIO = 0.84
SUGGEST_RATIO = 0.6
MAX_QUERY_CHARS = 60


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
        close = difflib.get_close_matches(key, self._by_name, n=5, cutoff=SUGGEST_RATIO)
        if close and difflib.SequenceMatcher(None, key, close[0]).ratio() >= ACCEPT_RATIO:
            return LookupResult(tuple(self._by_name[close[0]]), ())
        suggestions = tuple(dict.fromkeys(self._by_name[c][0].name for c in close))
        return LookupResult((), suggestions[:3])
