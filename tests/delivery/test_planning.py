"""Planning decisions as plain functions: catch-up, one tip a local day, rotation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tipbot.companion.profile import Diet, Profile, Region, SexAnswer
from tipbot.companion.selection import Audience
from tipbot.content.models import AudienceTag
from tipbot.delivery.planning import DueSubscriber, plan
from tipbot.delivery.rotation import RotationState, next_tip

TIPS = ("a", "b", "c")
CATCHUP = timedelta(hours=6)


def due(
    at: datetime,
    *,
    tz: str = "UTC",
    minute: int = 8 * 60,
    last: date | None = None,
    sent: str = "",
) -> DueSubscriber:
    return DueSubscriber(1, minute, tz, at, RotationState.from_row(7, 0, sent), last)


def test_a_due_tip_is_planned_with_the_catchup_window_as_its_expiry() -> None:
    now = datetime(2026, 6, 1, 8, 0, 30)
    result = plan(due(datetime(2026, 6, 1, 8, 0)), now, TIPS, CATCHUP)
    assert result.tip is not None and not result.skipped
    assert (result.tip.local_date, result.tip.due_at, result.tip.expire_at) == (
        date(2026, 6, 1),
        now,
        datetime(2026, 6, 1, 14, 0),
    )
    assert result.next_due_at == datetime(2026, 6, 2, 8, 0)
    assert result.last_planned == date(2026, 6, 1)
    assert result.rotation.sent == {result.tip.tip_id}


def test_a_tip_planned_ahead_is_due_at_its_own_moment_not_when_it_was_planned() -> None:
    moment = datetime(2026, 6, 1, 8, 0)
    result = plan(due(moment), moment - timedelta(seconds=45), TIPS, CATCHUP)
    assert result.tip is not None and not result.skipped
    assert (result.tip.local_date, result.tip.due_at, result.tip.expire_at) == (
        date(2026, 6, 1),
        moment,
        datetime(2026, 6, 1, 14, 0),
    )
    assert result.next_due_at == datetime(2026, 6, 2, 8, 0)


def test_the_local_date_counts_not_the_utc_date() -> None:
    # 07:30 in Auckland (UTC+12 in June) is 19:30 UTC the day before.
    result = plan(
        due(datetime(2026, 5, 31, 19, 30), tz="Pacific/Auckland", minute=450),
        datetime(2026, 5, 31, 19, 30),
        TIPS,
        CATCHUP,
    )
    assert result.tip is not None and result.tip.local_date == date(2026, 6, 1)


def test_a_day_that_already_had_its_tip_gets_nothing_but_moves_on() -> None:
    at = datetime(2026, 6, 1, 9, 0)
    result = plan(due(at, minute=9 * 60, last=date(2026, 6, 1), sent="b"), at, TIPS, CATCHUP)
    assert result.tip is None and not result.skipped
    assert result.next_due_at == datetime(2026, 6, 2, 9, 0)
    assert result.rotation.sent == {"b"}  # no tip used up


def test_a_moment_missed_beyond_the_window_is_skipped_and_the_next_is_inside_it() -> None:
    now = datetime(2026, 6, 3, 10, 0)  # down since before 1 June 08:00
    first = plan(due(datetime(2026, 6, 1, 8, 0)), now, TIPS, CATCHUP)
    assert first.tip is None and first.skipped
    assert first.next_due_at == datetime(2026, 6, 3, 8, 0)  # today's, 2 h late: still sent
    second = plan(due(first.next_due_at), now, TIPS, CATCHUP)
    assert second.tip is not None and second.tip.local_date == date(2026, 6, 3)
    assert second.next_due_at == datetime(2026, 6, 4, 8, 0)


def test_exactly_at_the_edge_of_the_window_is_still_sent() -> None:
    at = datetime(2026, 6, 1, 8, 0)
    assert plan(due(at), at + CATCHUP, TIPS, CATCHUP).tip is not None
    late = plan(due(at), at + CATCHUP + timedelta(seconds=1), TIPS, CATCHUP)
    assert late.tip is None and late.skipped


def test_rotation_gives_every_tip_once_per_cycle() -> None:
    sub = due(datetime(2026, 6, 1, 8, 0))
    tips = []
    for _ in range(6):
        result = plan(sub, sub.next_due_at, TIPS, CATCHUP)
        assert result.tip is not None
        tips.append(result.tip.tip_id)
        sub = DueSubscriber(1, 480, "UTC", result.next_due_at, result.rotation, result.last_planned)
    assert sorted(tips[:3]) == sorted(tips[3:]) == list(TIPS)
    assert sub.rotation.cycle == 1


# --- issue 11: tips that fit a profile --------------------------------------------------------

TAGGED = tuple(f"t{n:02d}" for n in range(30))
#: t00-t04 are for vegans, t05-t09 never for pregnant people; the rest are for everyone.
AUDIENCES = {
    **{t: Audience(for_=frozenset({AudienceTag.VEGAN})) for t in TAGGED[:5]},
    **{t: Audience(not_for=frozenset({AudienceTag.PREGNANT})) for t in TAGGED[5:10]},
}


def days_of_plans(profile: Profile | None, days: int) -> list[str]:
    """Plan `days` consecutive daily tips for one subscriber, carrying the state over."""
    start = datetime(2026, 1, 1, 8, 0)
    rotation, last, sent = RotationState.from_row(11, 0, ""), None, []
    for day in range(days):
        at = start + timedelta(days=day)
        sub = DueSubscriber(1, 8 * 60, "UTC", at, rotation, last, profile)
        result = plan(sub, at, TAGGED, CATCHUP, AUDIENCES)
        assert result.tip is not None
        sent.append(result.tip.tip_id)
        rotation, last = result.rotation, result.last_planned
    return sent


def test_a_pregnant_profile_never_gets_a_tip_not_for_pregnancy_over_1000_days() -> None:
    sent = days_of_plans(Profile(sex=SexAnswer.PREGNANT), 1000)
    assert not set(sent) & set(TAGGED[5:10])
    assert set(sent) == set(TAGGED) - set(TAGGED[5:10])  # everything else still comes


def test_tips_that_fit_come_first_in_every_cycle() -> None:
    sent = days_of_plans(Profile(diet=Diet.VEGAN), 60)
    assert set(sent[:5]) == set(TAGGED[:5])  # the vegan tips open the first cycle
    assert set(sent[30:35]) == set(TAGGED[:5])  # and the second
    assert len(set(sent[:30])) == 30  # every tip once per cycle, the excluded ones too


def test_without_a_profile_the_plan_is_the_plain_rotation() -> None:
    for profile in (None, Profile(), Profile(region=Region.EU)):  # no tags: nothing changes
        assert days_of_plans(profile, 45) == plain_rotation(45)


def plain_rotation(days: int) -> list[str]:
    state, sent = RotationState.from_row(11, 0, ""), []
    for _ in range(days):
        tip_id, state = next_tip(TAGGED, state)
        sent.append(tip_id)
    return sent
