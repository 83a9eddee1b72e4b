"""Tips that fit a profile: the rotation of delivery/rotation.py, reordered and filtered by tags.

Rules (issue 11):
- Without a profile, or with answers that give no tags, the choice is exactly `rotation.next_tip`:
  nothing changes for anyone who never opens /profile.
- A tip marked `not_for` one of the profile's tags is never chosen for that profile.
- Within a cycle, the tips that fit (`for` shares a tag with the profile) come first, in the
  subscriber's own shuffled order; the others follow. No tip is withheld for lack of a profile:
  a tip `for: [vegan]` still reaches a subscriber who gave no diet, after the tips that fit.
- The state is the same `RotationState` (seed, cycle, ids sent), so a profile can be set, changed
  or cleared at any time without a migration or a reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tipbot.content.models import AudienceTag, Bank, Tip, Topic
from tipbot.delivery.rotation import RotationState, cycle_order, next_tip


@dataclass(frozen=True)
class Audience:
    """A tip's tags, as the selection needs them (built once per bank)."""

    for_: frozenset[AudienceTag] = frozenset()
    not_for: frozenset[AudienceTag] = frozenset()

    @classmethod
    def of(cls, tip: Tip) -> Audience:
        return cls(frozenset(tip.for_), frozenset(tip.not_for))


def audiences(tips: Iterable[Tip]) -> dict[str, Audience]:
    """Only tips with tags are listed; an untagged tip fits no one in particular and everyone."""
    return {t.id: Audience.of(t) for t in tips if t.for_ or t.not_for}


def excluded(audience: Audience | None, tags: frozenset[AudienceTag]) -> bool:
    return audience is not None and bool(audience.not_for & tags)


def fits(audience: Audience | None, tags: frozenset[AudienceTag]) -> bool:
    return audience is not None and bool(audience.for_ & tags)


def next_fitting_tip(
    tip_ids: tuple[str, ...],
    state: RotationState,
    tags: frozenset[AudienceTag],
    tip_audiences: Mapping[str, Audience],
) -> tuple[str, RotationState] | None:
    """The next tip for a subscriber with these profile tags, and the state after sending it.

    `tip_ids` must be sorted, as for `rotation.next_tip`. Returns None only when every tip in the
    bank is `not_for` this profile (a bank that the lead's review would never ship).
    """
    if not tags:
        return next_tip(tip_ids, state)
    allowed = [t for t in tip_ids if not excluded(tip_audiences.get(t), tags)]
    if not allowed:
        return None
    chosen = _first_unsent(tip_ids, state.seed, state.cycle, state.sent, tags, tip_audiences)
    if chosen is not None:
        return chosen, RotationState(state.seed, state.cycle, state.sent | {chosen})
    cycle = state.cycle + 1
    first = _first_unsent(tip_ids, state.seed, cycle, frozenset(), tags, tip_audiences)
    assert first is not None  # `allowed` is not empty, and nothing is sent in a new cycle
    return first, RotationState(state.seed, cycle, frozenset({first}))


def _first_unsent(
    tip_ids: tuple[str, ...],
    seed: int,
    cycle: int,
    sent: frozenset[str],
    tags: frozenset[AudienceTag],
    tip_audiences: Mapping[str, Audience],
) -> str | None:
    fallback: str | None = None
    for tip_id in cycle_order(tip_ids, seed, cycle):
        if tip_id in sent:
            continue
        audience = tip_audiences.get(tip_id)
        if excluded(audience, tags):
            continue
        if fits(audience, tags):
            return tip_id
        if fallback is None:
            fallback = tip_id
    return fallback


#: Tips on these topics are about supplements even when the word itself is not in the text.
_SUPPLEMENT_TOPICS = frozenset(
    {Topic.SUPPLEMENT_LABELS, Topic.SUPPLEMENT_FORMS, Topic.UPPER_LIMIT_SIDE_EFFECTS}
)
_SUPPLEMENT_WORDS = ("supplement", "antacid", "laxative", "epsom", "milk of magnesia")


def mentions_supplements(tip: Tip) -> bool:
    """Does this tip talk about taking magnesium as a product rather than in food?"""
    if tip.topic in _SUPPLEMENT_TOPICS:
        return True
    text = f"{tip.title} {tip.text}".casefold()
    return any(word in text for word in _SUPPLEMENT_WORDS)


def kidney_caution(bank: Bank, tip: Tip, tags: frozenset[AudienceTag]) -> str | None:
    """The caution to append to this tip for this profile, or None.

    With kidney disease (or "not sure"), every tip that mentions supplements, and every tip marked
    `caution_for: [kidney]`, carries the bank's kidney caution: weak kidneys cannot clear extra
    magnesium, and the tip alone might read as "take more".
    """
    if AudienceTag.KIDNEY not in tags:
        return None
    if AudienceTag.KIDNEY in tip.caution_for or mentions_supplements(tip):
        return bank.interactions.kidney_caution
    return None
