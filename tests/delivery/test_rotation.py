"""Per-subscriber tip order: every tip once per cycle, a new order each cycle."""

from tipbot.delivery.rotation import RotationState, cycle_order, next_tip

TIPS = tuple(f"tip-{n:02d}" for n in range(20))


def run(tips: tuple[str, ...], state: RotationState, days: int) -> tuple[list[str], RotationState]:
    sent = []
    for _ in range(days):
        tip_id, state = next_tip(tips, state)
        sent.append(tip_id)
    return sent, state


def test_every_tip_once_before_any_repeats() -> None:
    sent, state = run(TIPS, RotationState(7, 0, frozenset()), len(TIPS))
    assert sorted(sent) == sorted(TIPS)
    assert state.cycle == 0


def test_next_cycle_starts_over_in_a_new_order() -> None:
    first, state = run(TIPS, RotationState(7, 0, frozenset()), len(TIPS))
    second, state = run(TIPS, state, len(TIPS))
    assert state.cycle == 1
    assert sorted(second) == sorted(TIPS)
    assert second != first


def test_subscribers_with_different_seeds_get_different_orders() -> None:
    assert cycle_order(TIPS, 1, 0) != cycle_order(TIPS, 2, 0)


def test_order_is_stable_across_calls() -> None:
    assert cycle_order(TIPS, 5, 3) == cycle_order(TIPS, 5, 3)


def test_tip_added_mid_cycle_is_reached_in_this_cycle_without_repeats() -> None:
    sent, state = run(TIPS, RotationState(3, 0, frozenset()), 10)
    bigger = tuple(sorted((*TIPS, "tip-new")))
    rest, state = run(bigger, state, len(bigger) - 10)
    assert "tip-new" in rest
    assert sorted(sent + rest) == sorted(bigger)
    assert state.cycle == 0


def test_removed_tip_is_skipped() -> None:
    sent, state = run(TIPS, RotationState(3, 0, frozenset()), 5)
    smaller = tuple(t for t in TIPS if t not in sent[:1] and t != "tip-19")
    rest, _ = run(smaller, state, len(smaller) - 4)
    assert "tip-19" not in rest
    assert len(set(sent + rest)) == len(sent + rest)


def test_state_round_trips_through_its_text_form() -> None:
    state = RotationState(9, 2, frozenset({"a", "b-c"}))
    assert RotationState.from_row(9, 2, state.encode_sent()) == state
