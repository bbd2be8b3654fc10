"""Sessions of one site that overlap (``cadence.md``, "Slots and wake numbers"), as pure
functions: one rule chooses which session owns each instant, and no window of a site is
ever owed twice."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st
from support.cadence_fakes import FakeSession

from snapwatch.schedule.plan import FORCE_NOT_OWNED, PlannedSlot, SitePlan, plan_force, plan_site
from snapwatch.schedule.sessions import (
    SessionState,
    SessionWindow,
    chosen_session,
    overlapping,
    precedence,
    sessions_still_owed,
)
from snapwatch.schedule.slots import Slot, Span

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
NONE = SessionState(None, None, 0, {})


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def window(
    start: float,
    end: float,
    sid: int,
    state: SessionState = NONE,
    closed_at: datetime | None = None,
) -> SessionWindow:
    """A session from ``start`` to ``end`` hours after DAY's midnight."""
    return SessionWindow(at(start), at(end), state, closed_at, session_id=UUID(int=sid))


def plan(
    sessions: list[SessionWindow], now: datetime, *, cadence: float = 1.0, max_slots: int = 96
) -> SitePlan:
    return plan_site(
        sessions=sessions,
        cadence_hours=cadence,
        now=now,
        settle_seconds=0,
        catch_up="all",
        max_slots=max_slots,
        late_grace_seconds=300,
    )


def windows(result: SitePlan) -> list[tuple[int, datetime, datetime]]:
    return [(i, p.slot.start, p.slot.end) for i, p in result.slots]


# --- the rule -------------------------------------------------------------------------


def test_the_session_that_started_last_wins_and_of_equal_starts_the_larger_id() -> None:
    early, late = window(0, 24, sid=9), window(10.5, 24, sid=1)
    assert precedence(late) > precedence(early)
    assert chosen_session([early, late], [0, 1]) == 1
    twin_small, twin_large = window(0, 24, sid=3), window(0, 24, sid=7)
    assert chosen_session([twin_large, twin_small], [0, 1]) == 0
    assert chosen_session([twin_small], []) is None


def test_overlapping_names_sessions_open_at_the_same_time_not_adjacent_ones() -> None:
    sessions = [window(-24, 0, 1), window(0, 24, 2), window(0, 24, 3), window(23, 26, 4)]
    assert overlapping(sessions, 0) == []  # ends where today's start: adjacent
    assert overlapping(sessions, 1) == [2, 3]
    locked = window(0, 24, 5, closed_at=at(0))  # locked at its start: never open
    assert overlapping([sessions[1], locked], 0) == []


# --- planning -------------------------------------------------------------------------


def test_two_sessions_over_the_same_day_owe_each_window_once_to_the_larger_id() -> None:
    result = plan([window(0, 24, sid=1), window(0, 24, sid=2)], at(5))
    assert windows(result) == [(1, at(k), at(k + 1)) for k in range(5)]
    assert [p.wake_number for _, p in result.slots] == [1, 2, 3, 4, 5]


def test_a_session_starting_inside_another_takes_over_and_hands_back_at_its_end() -> None:
    outer, inner = window(0, 24, sid=9), window(10.5, 12.25, sid=1)
    result = plan([outer, inner], at(14))
    assert windows(result) == [
        *[(0, at(k), at(k + 1)) for k in range(10)],
        (0, at(10), at(10.5)),  # the outer slot cut where the inner session starts
        (1, at(10.5), at(11.5)),
        (1, at(11.5), at(12.25)),  # the inner session's end clamps its last slot
        (0, at(12.25), at(13)),  # the outer one resumes inside its slot 13
        (0, at(13), at(14)),
    ]
    outer_wakes = [p.wake_number for i, p in result.slots if i == 0]
    assert outer_wakes == [*range(1, 12), 13, 14]  # its slot numbers: 12 lies in the gap


def test_no_owed_window_overlaps_another_and_together_they_cover_the_day() -> None:
    sessions = [window(0, 24, 4), window(0, 24, 2), window(6.2, 30, 3), window(-20, 2.5, 8)]
    result = plan(sessions, at(40), cadence=1.5)
    spans = sorted((p.slot.start, p.slot.end) for _, p in result.slots)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert (spans[0][0], spans[-1][1]) == (at(-20), at(30))


def test_the_previous_session_running_past_midnight_yields_from_todays_start() -> None:
    yesterday, today = window(-24, 2, sid=9), window(0, 24, sid=1)
    result = plan([yesterday, today], at(3))
    assert windows(result) == [
        *[(0, at(k), at(k + 1)) for k in range(-24, 0)],
        (1, at(0), at(1)),
        (1, at(1), at(2)),
        (1, at(2), at(3)),
    ]


def test_windows_written_for_another_session_are_not_owed_again() -> None:
    # The session with the larger id appears at 10:20, after the other wrote 00:00-10:00.
    written = SessionState(at(0), at(10), 10, {})
    result = plan([window(0, 24, 1, written), window(0, 24, 2)], at(12))
    assert windows(result) == [(1, at(10), at(11)), (1, at(11), at(12))]
    assert [p.wake_number for _, p in result.slots] == [11, 12]


def test_a_winner_locked_early_hands_its_unwritten_time_to_the_other() -> None:
    winner = window(0, 24, 2, SessionState(at(0), at(10), 10, {}), closed_at=at(10 + 1 / 3))
    result = plan([window(0, 24, 1), winner], at(12))
    assert windows(result) == [(0, at(10), at(11)), (0, at(11), at(12))]


def test_the_next_due_slot_is_the_owners() -> None:
    result = plan([window(0, 24, 1), window(10.5, 24, 2)], at(10.25))
    assert result.next_due_at == at(10.5)  # the first one's slot cut at the takeover


def test_the_catch_up_cap_takes_the_oldest_windows_across_overlapping_sessions() -> None:
    result = plan([window(0, 24, 9), window(2.5, 24, 1)], at(6), max_slots=4)
    assert windows(result) == [
        (0, at(0), at(1)),
        (0, at(1), at(2)),
        (0, at(2), at(2.5)),
        (1, at(2.5), at(3.5)),
    ]


# --- force ----------------------------------------------------------------------------


def test_force_writes_the_owners_slot_cut_like_its_regular_slot() -> None:
    # The winner appeared after the other session wrote up to 10:30 at a 1.5 h cadence.
    sessions = [window(0, 24, 1, SessionState(at(0), at(10.5), 7, {})), window(0, 24, 2)]
    forced = plan_force(sessions=sessions, index=1, cadence_hours=1.0, now=at(10.75))
    assert isinstance(forced, PlannedSlot)
    assert (forced.slot, forced.wake_number, forced.provisional) == (
        Slot(11, at(10.5), at(10.75)),
        11,
        True,
    )
    # When the slot completes the regular part starts at the same instant: it replaces it.
    sessions[1] = window(0, 24, 2, SessionState(None, None, 0, {at(10.5): 11}))
    (regular,) = plan(sessions, at(11)).slots
    assert regular == (1, PlannedSlot(Slot(11, at(10.5), at(11)), 11, "schedule", at(11), 0, False))


def test_force_of_a_session_whose_instant_another_one_owns_is_refused() -> None:
    sessions = [window(0, 24, 1), window(0, 24, 2)]  # the second one owns every instant
    assert plan_force(sessions=sessions, index=0, cadence_hours=1.0, now=at(5.5)) == (
        FORCE_NOT_OWNED
    )


# --- which sessions are still owed ------------------------------------------------------


def test_the_previous_session_is_still_owed_beside_two_overlapping_current_ones() -> None:
    sessions = [
        window(-48, -24, 1),  # the day before yesterday: history
        window(-24, 0, 2),
        window(0, 24, 3),
        window(0, 24, 4),
    ]
    now = at(0) + 2 * MINUTE
    assert sessions_still_owed(sessions, now) == [1, 2, 3]
    owed = [sessions[i] for i in sessions_still_owed(sessions, now)]
    result = plan_site(
        sessions=owed,
        cadence_hours=24.0,
        now=now,
        settle_seconds=120,
        catch_up="all",
        max_slots=48,
        late_grace_seconds=300,
    )
    assert windows(result) == [(0, at(-24), at(0))]  # yesterday's only slot


def test_a_session_that_starts_inside_the_current_one_keeps_the_previous_owed() -> None:
    sessions = [window(-24, 0, 1), window(0, 24, 2), window(10.5, 24, 3)]
    assert sessions_still_owed(sessions, at(11)) == [0, 1, 2]


def test_sessions_not_started_yet_are_not_owed() -> None:
    assert sessions_still_owed([window(0, 24, 1), window(24, 48, 2)], at(23)) == [0]


# --- properties -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A session of the simulation: minutes after DAY, when the planner first sees it."""

    start: int
    length: int
    sid: int
    seen_from: int
    locked_at: int | None

    def window(self, state: SessionState) -> SessionWindow:
        start = DAY + self.start * MINUTE
        end = start + self.length * MINUTE
        closed = None if self.locked_at is None else start + self.locked_at * MINUTE
        return SessionWindow(start, end, state, closed, session_id=UUID(int=self.sid))

    def open_at(self, now: datetime) -> bool:
        w = self.window(NONE)
        return self.locked_at is None and w.start <= now < w.end


specs = st.builds(
    Spec,
    start=st.sampled_from([0, 0, 0, 30, 90, 600, 630, 1440]) | st.integers(0, 1800),
    length=st.sampled_from([1440, 1440, 120]) | st.integers(15, 1800),
    sid=st.integers(1, 6),
    seen_from=st.sampled_from([0, 0]) | st.integers(0, 2400),
    locked_at=st.none() | st.none() | st.integers(0, 1440),
).filter(lambda s: s.locked_at is None or s.locked_at < s.length)
cadences = st.sampled_from([0.25, 0.5, 1.0, 1.5, 3.0, 5.0, 24.0])
ticks = st.lists(
    st.tuples(st.integers(1, 300), st.booleans(), st.integers(1, 4)), min_size=1, max_size=40
)


def merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def claim(spec: Spec, cadence: float) -> Span:
    """Written out independently: the session, or its slots that ended by its lock."""
    w = spec.window(NONE)
    if spec.locked_at is None:
        return w.start, w.end
    step = timedelta(hours=cadence)
    done = (spec.locked_at * MINUTE) // step
    return w.start, w.start + done * step


def finals(site: dict[int, FakeSession]) -> list[Span]:
    return [(s.start, s.end) for f in site.values() for s, prov in f.rows.values() if not prov]


def tick(
    specs_: list[Spec], site: dict[int, FakeSession], now: datetime, cadence: float, **kw: int
) -> int:
    """Plan and write what the sessions seen at ``now`` owe; how many were written."""
    seen = [i for i, s in enumerate(specs_) if DAY + s.seen_from * MINUTE <= now]
    seen = [i for i in seen if specs_[i].window(NONE).start <= now]
    result = plan_site(
        sessions=[specs_[i].window(site[i].state()) for i in seen],
        cadence_hours=cadence,
        now=now,
        settle_seconds=kw.get("settle", 0),
        catch_up="all",
        max_slots=kw.get("max_slots", 500),
        late_grace_seconds=300,
    )
    for index, p in result.slots:
        site[seen[index]].write(p)
    return len(result.slots)


def force(specs_: list[Spec], site: dict[int, FakeSession], now: datetime, cadence: float) -> None:
    seen = [
        i
        for i, s in enumerate(specs_)
        if DAY + s.seen_from * MINUTE <= now and s.window(NONE).start <= now
    ]
    sessions = [specs_[i].window(site[i].state()) for i in seen]
    chosen = chosen_session(sessions, [j for j, i in enumerate(seen) if specs_[i].open_at(now)])
    if chosen is None:
        return
    forced = plan_force(sessions=sessions, index=chosen, cadence_hours=cadence, now=now)
    if isinstance(forced, PlannedSlot):
        site[seen[chosen]].write(forced)


@settings(max_examples=300, deadline=None)
@given(
    specs_=st.lists(specs, min_size=1, max_size=4, unique_by=lambda s: s.sid),
    cadence=cadences,
    steps=ticks,
    settle=st.sampled_from([0, 120]),
)
def test_no_two_written_windows_of_a_site_overlap_and_every_instant_is_written_once(
    specs_: list[Spec], cadence: float, steps: list[tuple[int, bool, int]], settle: int
) -> None:
    site = {i: FakeSession() for i in range(len(specs_))}
    now = DAY
    for minutes, do_force, max_slots in steps:
        now += minutes * MINUTE
        if do_force:
            force(specs_, site, now, cadence)
        tick(specs_, site, now, cadence, settle=settle, max_slots=max_slots)
        written = finals(site)
        assert sum((e - s for s, e in written), timedelta()) == sum(
            (e - s for s, e in merged(written)), timedelta()
        ), "two written windows overlap"
    # Long after every session ended and every one was seen, all is caught up.
    last = DAY + max(max(s.start + s.length, s.seen_from) for s in specs_) * MINUTE
    while tick(specs_, site, last + H, cadence, settle=settle):
        pass
    written = finals(site)
    assert sum((e - s for s, e in written), timedelta()) == sum(
        (e - s for s, e in merged(written)), timedelta()
    )
    expected = merged([c for s in specs_ if (c := claim(s, cadence))[0] < c[1]])
    assert merged(written) == expected
