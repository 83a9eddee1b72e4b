"""Which tip a subscriber gets next: every tip once per cycle, in the subscriber's own order.

A subscriber's state is (seed, cycle, ids sent this cycle). The order of a cycle is a shuffle
seeded by (seed, cycle), so each cycle starts over in a new order. Because the state holds tip ids
rather than positions, editing the bank is safe: a new tip takes a place in the current order and
is reached in this cycle, and a removed tip is simply skipped.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

#: Seeds come from a small space so that orders can be cached; 4096 orders are plenty of variety.
SEED_SPACE = 4096


@dataclass(frozen=True)
class RotationState:
    seed: int
    cycle: int
    sent: frozenset[str]

    @classmethod
    def from_row(cls, seed: int, cycle: int, cycle_sent: str) -> RotationState:
        return cls(seed, cycle, frozenset(cycle_sent.split()))

    def encode_sent(self) -> str:
        return " ".join(sorted(self.sent))


def new_seed() -> int:
    return random.randrange(SEED_SPACE)


@lru_cache(maxsize=SEED_SPACE)
def cycle_order(tip_ids: tuple[str, ...], seed: int, cycle: int) -> tuple[str, ...]:
    rng = random.Random(f"{seed}:{cycle}")  # str seeds hash with SHA-512: stable across runs
    order = list(tip_ids)
    rng.shuffle(order)
    return tuple(order)


def next_tip(tip_ids: tuple[str, ...], state: RotationState) -> tuple[str, RotationState]:
    """The next tip and the state after sending it. `tip_ids` must be non-empty and sorted."""
    for tip_id in cycle_order(tip_ids, state.seed, state.cycle):
        if tip_id not in state.sent:
            return tip_id, RotationState(state.seed, state.cycle, state.sent | {tip_id})
    cycle = state.cycle + 1
    first = cycle_order(tip_ids, state.seed, cycle)[0]
    return first, RotationState(state.seed, cycle, frozenset({first}))
