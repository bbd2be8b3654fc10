"""Plans made once for the sites whose inputs are the same (schedule.plan.Plans)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from snapwatch.schedule.plan import Pause, Plans, SitePlan, plan_site
from snapwatch.schedule.sessions import SessionState, SessionWindow

DAY = datetime(2026, 6, 10, tzinfo=UTC)
NONE = SessionState(None, None, 0, {})


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def window(start: float, end: float, sid: int, state: SessionState = NONE) -> SessionWindow:
    return SessionWindow(at(start), at(end), state, session_id=UUID(int=sid))


def written(until: float, wake: int) -> SessionState:
    return SessionState(at(0), at(until), wake, {})


def args(
    sessions: Sequence[SessionWindow], now: datetime, paused: Sequence[Pause] = ()
) -> dict[str, Any]:
    return {
        "sessions": sessions,
        "cadence_hours": 1.0,
        "now": now,
        "settle_seconds": 60,
        "catch_up": "all",
        "max_slots": 96,
        "late_grace_seconds": 300,
        "paused": paused,
    }


def both(plans: Plans, sessions: Sequence[SessionWindow], now: datetime) -> SitePlan:
    """The shared plan, checked against the site's own."""
    shared = plans.plan(**args(sessions, now))
    assert shared == plan_site(**args(sessions, now))
    return shared


def test_sites_with_the_same_sessions_and_snapshots_share_one_plan() -> None:
    plans = Plans()
    one = both(plans, [window(0, 24, sid=1, state=written(5, 5))], at(6.5))
    other = both(plans, [window(0, 24, sid=2, state=written(5, 5))], at(6.5))
    assert other is one
    assert one.waiting_for is not None and one.waiting_for.wake_number == 6


def test_a_site_whose_snapshots_differ_gets_its_own_plan() -> None:
    plans = Plans()
    behind = both(plans, [window(0, 24, sid=1, state=written(2, 2))], at(6.5))
    caught_up = both(plans, [window(0, 24, sid=2, state=written(6, 6))], at(6.5))
    assert behind is not caught_up
    assert behind.waiting_for is not None and behind.waiting_for.wake_number == 3
    assert caught_up.waiting_for is None


def test_another_instant_or_pause_is_another_plan() -> None:
    plans = Plans()
    sessions = [window(0, 24, sid=1, state=written(5, 5))]
    early = both(plans, sessions, at(5.5))
    late = both(plans, sessions, at(7.5))
    assert early.waiting_for is None
    assert late.waiting_for is not None
    paused = plans.plan(**args(sessions, at(7.5), paused=[(at(7), None)]))
    assert paused == plan_site(**args(sessions, at(7.5), paused=[(at(7), None)]))
    assert paused.slots == [] and late.slots != []


def test_twin_sessions_whose_ids_rank_the_other_way_are_planned_apart() -> None:
    # Of two sessions that start together the larger id owns the day: the same spans with
    # the ids the other way round owe their slots to the other session.
    plans = Plans()
    first = both(plans, [window(0, 24, sid=1), window(0, 24, sid=2)], at(3))
    swapped = both(plans, [window(0, 24, sid=4), window(0, 24, sid=3)], at(3))
    assert {i for i, _ in first.slots} == {1}
    assert {i for i, _ in swapped.slots} == {0}
    same_order = both(plans, [window(0, 24, sid=5), window(0, 24, sid=6)], at(3))
    assert same_order is first
