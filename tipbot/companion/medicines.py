"""Which bone medicine a person means, and which label rule belongs to it.

People type what is on the box: `Fosamax`, `alendronate`, `Atelvia`, `Actonel DR`, or a near miss.
A name resolves only to a product whose label rules are in the bank (tips/doses.yaml); anything else
gets "I have no label rule for it", because a reminder must never carry an invented rule. Fuzzy
matches use the same high bar as /interactions (content/lookup.py).

One generic can be sold in forms taken differently (risedronate: Actonel on an empty stomach,
Atelvia right after breakfast), so a generic name resolves to the plain product listed first in the
bank and the match names the other forms, for the caller to point out.
"""

from __future__ import annotations

from dataclasses import dataclass

from tipbot.content.lookup import (
    MAX_QUERY_CHARS,
    MAX_SUGGESTIONS,
    MIN_PREFIX,
    MedicineIndex,
    edit_distance,
    normalise,
    typos_allowed,
)
from tipbot.content.models import AudienceTag, Bank, DoseRule
from tipbot.i18n import N_, Reason

_ORAL = frozenset({AudienceTag.BISPHOSPHONATE})
#: Which audience tags each product (a tips/doses.yaml id) gives a profile. Oral bisphosphonates
#: share one tag because the timing tips (magnesium after the tablet) apply to all of them; the
#: delayed-release form taken after breakfast has a second tag, so that tips about the fasting
#: rule can be `not_for` it; the injections differ. A test checks every product has tags here.
MEDICINE_TAGS: dict[str, frozenset[AudienceTag]] = {
    "alendronate": _ORAL,
    "binosto": _ORAL,
    "risedronate": _ORAL,
    "atelvia": _ORAL | {AudienceTag.BISPHOSPHONATE_AFTER_BREAKFAST},
    "ibandronate": _ORAL,
    "denosumab": frozenset({AudienceTag.DENOSUMAB}),
    "zoledronic-acid": frozenset({AudienceTag.ZOLEDRONIC_ACID}),
}


class UnknownMedicine(Reason):
    """No label rule for this name: the message says so and names the closest known ones."""


@dataclass(frozen=True)
class MedicineMatch:
    rule: DoseRule
    #: Other products with the same generic but their own rules (e.g. Atelvia for risedronate).
    other_forms: tuple[str, ...] = ()


class MedicineCatalogue:
    """Every product name in tips/doses.yaml, folded for comparison, pointing at its rule."""

    def __init__(self, bank: Bank) -> None:
        self._rules = {rule.id: rule for rule in bank.doses}
        self._interactions = MedicineIndex(bank.interactions)
        self._by_name: dict[str, DoseRule] = {}
        for rule in bank.doses:  # brands first: `Actonel DR` must not fall back to `Actonel`
            for brand in rule.brands:
                self._by_name.setdefault(normalise(brand), rule)
        for rule in bank.doses:
            self._by_name.setdefault(normalise(rule.generic), rule)
            self._by_name.setdefault(normalise(rule.id), rule)

    def rule(self, rule_id: str) -> DoseRule | None:
        return self._rules.get(rule_id)

    def resolve(self, name: str) -> MedicineMatch:
        """The product meant by `name`; raise UnknownMedicine with a clear message otherwise."""
        key = normalise(name)[:MAX_QUERY_CHARS]
        if not key:
            raise UnknownMedicine(N_("write the name of the medicine, for example alendronate"))
        rule = self._by_name.get(key) or self._by_prefix(key)
        if rule is None:
            # The same bar as /interactions: a slip or two of the fingers is accepted, one more
            # is only suggested, anything further is not a name in the bank.
            distances = {known: edit_distance(key, known) for known in self._by_name}
            accepted = sorted(
                (d, known) for known, d in distances.items() if d <= typos_allowed(known)
            )
            if accepted:
                rule = self._by_name[accepted[0][1]]
            else:
                close = sorted(
                    (d, known)
                    for known, d in distances.items()
                    if d <= typos_allowed(known) + 1
                    or (len(key) >= MIN_PREFIX and known.startswith(key))
                )
                suggestions = [self._display(known) for _, known in close[:MAX_SUGGESTIONS]]
                raise self._unknown(name, suggestions)
        others = tuple(
            r.name for r in self._rules.values() if r.generic == rule.generic and r.id != rule.id
        )
        return MedicineMatch(rule, others)

    def _by_prefix(self, key: str) -> DoseRule | None:
        """`fosamax 70 mg` -> Fosamax: a known name, then extra words (as in /interactions).

        A generic followed by more words (`risedronate delayed release`, `alendronate fizzy`) may
        mean another form of it, taken differently, so it is refused with the forms to choose from.
        """
        words = key.split(" ")
        for end in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:end])
            rule = self._by_name.get(prefix)
            if rule is None:
                continue
            forms = [r for r in self._rules.values() if r.generic == rule.generic]
            if prefix == normalise(rule.generic) and len(forms) > 1:
                raise UnknownMedicine(
                    N_(
                        "Which {generic} is it: {choices}? They are taken differently, so "
                        "write the brand name from the box, or the generic alone for the first one."
                    ),
                    generic=rule.generic,
                    choices=" / ".join(r.name for r in forms),
                )
            return rule
        return None

    def _unknown(self, name: str, suggestions: list[str]) -> UnknownMedicine:
        """Say plainly when the name is a medicine the bank knows, but not a bone medicine."""
        shown = name.strip()[:MAX_QUERY_CHARS]
        known = self._interactions.lookup(name).matches
        if known:
            return UnknownMedicine(
                N_(
                    "I have no label rule for {name}; ask your pharmacist how to take it. "
                    "{known} is in /interactions, but it is not one of the bone medicines the "
                    "dose companion has label rules for."
                ),
                name=shown,
                known=known[0].name,
            )
        if suggestions:
            return UnknownMedicine(
                N_(
                    "I have no label rule for {name}; ask your pharmacist how to take it. "
                    "Did you mean {names}?"
                ),
                name=shown,
                names=" / ".join(dict.fromkeys(suggestions)),
            )
        return UnknownMedicine(
            N_("I have no label rule for {name}; ask your pharmacist how to take it."), name=shown
        )

    def _display(self, key: str) -> str:
        rule = self._by_name[key]
        for candidate in (*rule.brands, rule.generic):
            if normalise(candidate) == key:
                return candidate
        return rule.generic

    @property
    def names(self) -> list[str]:
        """Generic names, then brands, as a person would pick them from a list."""
        generics = dict.fromkeys(r.generic for r in self._rules.values())
        brands = [b for r in self._rules.values() for b in r.brands]
        return [*generics, *brands]
