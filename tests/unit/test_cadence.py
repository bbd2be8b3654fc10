"""Cadence, eligibility, the slot grid and due-ness (``cadence.md``), as pure functions."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.cadence_fakes import FakeSession

from snapwatch.schedule.cadence import Reason, choose_cadence, eligibility, session_is_open
from snapwatch.schedule.plan import FORCE_ON_BOUNDARY, PlannedSlot, plan_force, plan_site
from snapwatch.schedule.sessions import SessionState, SessionWindow
from snapwatch.schedule.slots import Slot, slot_at, slot_grid

DAY = datetime(2026, 5, 4, tzinfo=UTC)
END = DAY + timedelta(days=1)
US = timedelta(microseconds=1)


def at(hours: float, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hours)


SESSION = UUID(int=1)


def state(
    covered_until: datetime | None = None,
    last_wake_number: int = 0,
    provisional: Mapping[datetime, int] | None = None,
    covered_from: datetime = DAY,
) -> SessionState:
    """A session's snapshots written from ``covered_from`` (the session start) on."""
    return SessionState(
        covered_from=None if covered_until is None else covered_from,
        covered_until=covered_until,
        last_wake_number=last_wake_number,
        provisional=dict(provisional or {}),
    )


@dataclass(frozen=True)
class DuePlan:
    """One session's share of a site plan, as the tests of a single session read it."""

    slots: list[PlannedSlot]
    skipped: int
    next_due_at: datetime | None


def plan(
    now: datetime,
    st_: SessionState,
    *,
    cadence: float = 1.0,
    settle: float = 0.0,
    catch_up: str = "all",
    max_slots: int = 48,
    grace: float = 300.0,
    paused: tuple[tuple[datetime, datetime | None], ...] = (),
    start: datetime = DAY,
    end: datetime = END,
) -> DuePlan:
    assert catch_up in ("all", "latest")
    result = plan_site(
        sessions=[SessionWindow(start, end, st_, session_id=SESSION)],
        cadence_hours=cadence,
        now=now,
        settle_seconds=settle,
        catch_up="all" if catch_up == "all" else "latest",
        max_slots=max_slots,
        late_grace_seconds=grace,
        paused=paused,
    )
    assert all(index == 0 for index, _ in result.slots)
    return DuePlan(
        [slot for _, slot in result.slots],
        result.skipped,
        result.next_due_at,
    )


# --- cadence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "per_day", "expected"),
    [
        (3, None, 3.0),  # integer column on the platform
        (Decimal("0.250"), None, 0.25),  # numeric(6,3) column of snapwatch's own schema
        (Decimal("1.5"), 4, 1.5),  # hours win over a per_day of 24 or less
        (0.5, None, 0.5),
        (24, None, 24.0),
        (None, 96, 0.25),
        (None, 48, 0.5),
        (None, 3, 8.0),
        (None, 1, 24.0),
        (None, 24, 1.0),
        (None, None, None),
        (1e-9, None, None),  # shorter than a second is not a schedule
        (Decimal("0.001"), None, 0.001),  # numeric(6,3) minimum: 3.6 s
    ],
)
def test_cadence_from_hours_or_per_day(
    hours: Decimal | int | float | None, per_day: int | None, expected: float | None
) -> None:
    assert choose_cadence(hours, per_day).hours == expected


@pytest.mark.parametrize(
    ("hours", "per_day", "expected", "column"),
    [
        (1, 96, 0.25, "snapshot_cadence_per_day"),  # the live sites: every 15 minutes
        (3, 3, 3.0, "snapshot_cadence_hours"),
        (24, 3, 24.0, "snapshot_cadence_hours"),
        (None, 6, 4.0, "snapshot_cadence_per_day"),
        (1, 48, 0.5, "snapshot_cadence_per_day"),
        (0, 96, 0.25, "snapshot_cadence_per_day"),
    ],
)
def test_cadence_as_the_platform_means_it(
    hours: int | None, per_day: int, expected: float, column: str
) -> None:
    cadence = choose_cadence(hours, per_day)
    assert (cadence.hours, cadence.column, cadence.reason) == (expected, column, None)


def test_disagreeing_columns_say_which_one_was_used_and_why() -> None:
    live = choose_cadence(1, 96)
    assert live.note == (
        "snapshot_cadence_per_day = 96 used, snapshot_cadence_hours = 1 disagrees:"
        " an integer hours column cannot hold a sub-hour cadence"
    )
    daily = choose_cadence(24, 3)
    assert daily.note == (
        "snapshot_cadence_hours = 24 used, snapshot_cadence_per_day = 3 disagrees:"
        " snapshot_cadence_per_day is used only when snapshot_cadence_hours is unset"
    )
    assert choose_cadence(3, 8).note is None  # 24 / 8 = 3: they agree
    assert choose_cadence(None, 6).note is None
    assert choose_cadence(Decimal("0.25"), 96).note is None


@pytest.mark.parametrize(
    ("hours", "per_day", "note"),
    [
        (0, 3, "snapshot_cadence_hours = 0 (must be 1 s to 24 h)"),
        (-1, None, "snapshot_cadence_hours = -1 (must be 1 s to 24 h)"),
        (Decimal("-0.5"), 12, "snapshot_cadence_hours = -0.5 (must be 1 s to 24 h)"),
        (25, 24, "snapshot_cadence_hours = 25 (must be 1 s to 24 h)"),
        (Decimal("24.001"), None, "snapshot_cadence_hours = 24.001 (must be 1 s to 24 h)"),
        (float("nan"), 3, "snapshot_cadence_hours = nan (must be 1 s to 24 h)"),
        (float("inf"), None, "snapshot_cadence_hours = inf (must be 1 s to 24 h)"),
        (Decimal("NaN"), None, "snapshot_cadence_hours = NaN (must be 1 s to 24 h)"),
        (None, 0, "snapshot_cadence_per_day = 0 (must be 1 to 86400 a day)"),
        (None, -4, "snapshot_cadence_per_day = -4 (must be 1 to 86400 a day)"),
        (None, 100_000, "snapshot_cadence_per_day = 100000 (must be 1 to 86400 a day)"),
    ],
)
def test_an_unusable_cadence_is_invalid_never_the_other_column(
    hours: Decimal | int | float | None, per_day: int | None, note: str
) -> None:
    cadence = choose_cadence(hours, per_day)
    assert cadence.hours is None
    assert cadence.reason is Reason.INVALID_CADENCE
    assert cadence.note == note


def test_no_cadence_column_set_is_no_cadence() -> None:
    cadence = choose_cadence(None, None)
    assert (cadence.hours, cadence.reason, cadence.note) == (None, Reason.NO_CADENCE, None)


# --- devices, sessions, eligibility ----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "t", "is_open"),
    [
        ("pending", DAY, True),  # start inclusive
        ("in_progress", at(12), True),
        ("in_progress", END - US, True),
        ("in_progress", END, False),  # end exclusive
        ("pending", DAY - US, False),
        ("locked", at(12), False),  # locked = closed
        ("active", at(12), False),  # no such status on the platform
    ],
)
def test_session_is_open_by_instant(status: str, t: datetime, is_open: bool) -> None:
    assert session_is_open(status, DAY, END, t) is is_open


def test_session_is_found_by_instant_not_by_utc_date() -> None:
    ny = ZoneInfo("America/New_York")
    start = datetime(2026, 5, 4, tzinfo=ny).astimezone(UTC)  # 04:00 UTC
    end = datetime(2026, 5, 5, tzinfo=ny).astimezone(UTC)
    late_evening = datetime(2026, 5, 5, 1, 30, tzinfo=UTC)  # UTC date already the 5th
    assert session_is_open("in_progress", start, end, late_evening)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((1.0, 2, True, False), None),
        ((None, 0, False, True), Reason.NO_CADENCE),
        ((0, 0, False, True), Reason.INVALID_CADENCE),
        ((1.0, 0, False, True), Reason.NO_DEVICES),
        ((1.0, 1, False, True), Reason.NO_OPEN_SESSION),
        ((1.0, 1, True, True), Reason.PAUSED),
    ],
)
def test_eligibility_reasons_in_order(
    args: tuple[float | None, int, bool, bool], reason: Reason | None
) -> None:
    hours, devices, session, paused = args
    assert eligibility(choose_cadence(hours, None), devices, session, paused) == reason


def test_reasons_are_their_stored_strings() -> None:
    assert [str(r) for r in Reason] == [
        "no_cadence",
        "invalid_cadence",
        "no_devices",
        "no_open_session",
        "paused",
    ]


# --- slot grid -------------------------------------------------------------------------

exact_cadences = st.one_of(
    st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0, 8.0, 24.0, 0.333, 0.001 * 7]),
    st.integers(min_value=1, max_value=24_000).map(lambda n: n / 1000),  # numeric(6,3)
    # per_day values whose cadence is a whole number of microseconds (1, 3, 5, 96, ...)
    st.sampled_from([n for n in range(1, 1001) if 86_400_000_000 % n == 0]).map(lambda n: 24 / n),
)


def durations() -> st.SearchStrategy[timedelta]:
    return st.integers(min_value=1, max_value=26 * 3600 * 10**6).map(
        lambda us: timedelta(microseconds=us)
    )


starts = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(start=starts, duration=durations(), cadence=exact_cadences)
def test_slot_grid_is_contiguous_half_open_and_covers_the_session(
    start: datetime, duration: timedelta, cadence: float
) -> None:
    end = start + duration
    grid = slot_grid(start, end, cadence)
    step = timedelta(microseconds=round(cadence * 3600e6))
    assert grid[0].start == start
    assert grid[-1].end == end
    assert [s.k for s in grid] == list(range(1, len(grid) + 1))
    for before, after in itertools.pairwise(grid):
        assert before.end == after.start
    for s in grid:
        assert s.start < s.end
        assert s.start == start + (s.k - 1) * step
    for s in grid[:-1]:
        assert s.end - s.start == step
    assert grid[-1].end - grid[-1].start <= step  # the last slot is clamped
    assert len(grid) == math.ceil(duration / step)


@settings(max_examples=200, deadline=None)
@given(
    start=starts,
    duration=durations(),
    cadence=st.floats(min_value=0.001, max_value=24.0, allow_nan=False),
)
def test_slot_grid_of_any_cadence_is_contiguous_and_ends_on_the_session_end(
    start: datetime, duration: timedelta, cadence: float
) -> None:
    end = start + duration
    grid = slot_grid(start, end, cadence)
    assert grid[0].start == start and grid[-1].end == end
    assert all(a.end == b.start for a, b in itertools.pairwise(grid))
    assert all(s.start < s.end for s in grid)
    exact = cadence * 3600e6
    for s in grid[:-1]:
        assert abs((s.end - s.start) / US - exact) <= 1  # within one microsecond


@pytest.mark.parametrize(
    ("cadence", "count"), [(0.25, 96), (1 / 3, 72), (24 / 7, 7), (24 / 13, 13)]
)
def test_cadences_that_divide_the_day_land_exactly_on_its_end(cadence: float, count: int) -> None:
    grid = slot_grid(DAY, END, cadence)
    assert len(grid) == count
    assert grid[-1].end == END
    assert grid[-1].end - grid[-1].start > timedelta(minutes=1)  # no sliver slot at the end


def test_quarter_hour_grid_has_96_slots_on_exact_quarter_hours() -> None:
    grid = slot_grid(DAY, END, 0.25)
    assert [s.start for s in grid] == [DAY + i * timedelta(minutes=15) for i in range(96)]


def test_session_end_mid_slot_clamps_the_last_slot() -> None:
    grid = slot_grid(DAY, at(10), 3)
    assert [(s.k, s.start, s.end) for s in grid][-1] == (4, at(9), at(10))
    assert len(grid) == 4


def test_empty_or_inverted_session_has_no_slots() -> None:
    assert slot_grid(DAY, DAY, 1) == []
    assert slot_grid(END, DAY, 1) == []


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), 1e-9])
def test_slot_grid_rejects_what_is_not_a_cadence(bad: float) -> None:
    with pytest.raises(ValueError, match="cadence"):
        slot_grid(DAY, END, bad)


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        slot_grid(datetime(2026, 5, 4), datetime(2026, 5, 5), 1)


def local_day(zone: str, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("Europe/Amsterdam", date(2026, 3, 29), 23),
        ("Europe/Amsterdam", date(2026, 10, 25), 25),
        ("Europe/Amsterdam", date(2026, 7, 1), 24),
    ],
)
def test_dst_days_have_23_or_25_hourly_slots(zone: str, day: date, hours: int) -> None:
    start, end = local_day(zone, day)
    grid = slot_grid(start, end, 1)
    assert len(grid) == hours
    assert all(s.end - s.start == timedelta(hours=1) for s in grid)
    assert grid[-1].end == end
    assert len(slot_grid(start, end, 0.25)) == hours * 4


def test_local_time_instants_are_handled_as_utc_instants() -> None:
    tz = ZoneInfo("America/New_York")
    start_local = datetime(2026, 3, 8, tzinfo=tz)
    end_local = datetime(2026, 3, 9, tzinfo=tz)
    assert slot_grid(start_local, end_local, 1) == slot_grid(
        *local_day(tz.key, date(2026, 3, 8)), 1
    )
    assert all(s.start.tzinfo is UTC for s in slot_grid(start_local, end_local, 1))


def test_dst_day_wake_numbers_run_1_to_23() -> None:
    start, end = local_day("America/New_York", date(2026, 3, 8))
    result = plan(end, state(), start=start, end=end)
    assert [p.wake_number for p in result.slots] == list(range(1, 24))


def test_boundary_instant_belongs_to_the_later_slot() -> None:
    assert slot_at(DAY, END, 3, at(3)) == Slot(2, at(3), at(6))
    assert slot_at(DAY, END, 3, at(3) - US) == Slot(1, DAY, at(3))
    assert slot_at(DAY, END, 0.25, at(0.25)) == Slot(2, at(0.25), at(0.5))


def test_slot_at_outside_the_session_is_none() -> None:
    assert slot_at(DAY, END, 1, DAY - US) is None
    assert slot_at(DAY, END, 1, END) is None
    assert slot_at(DAY, END, 1, DAY) == Slot(1, DAY, at(1))
    assert slot_at(DAY, END, 1, END - US) == Slot(24, at(23), END)


@settings(max_examples=200, deadline=None)
@given(
    start=starts,
    duration=durations(),
    cadence=st.floats(min_value=0.001, max_value=24.0, allow_nan=False),
    fraction=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_slot_at_agrees_with_the_grid(
    start: datetime, duration: timedelta, cadence: float, fraction: float
) -> None:
    t = start + timedelta(microseconds=int(duration / US * fraction))
    found = slot_at(start, start + duration, cadence, t)
    assert found is not None
    assert found.start <= t < found.end
    assert found == slot_grid(start, start + duration, cadence)[found.k - 1]
    assert slot_at(start, start + duration, cadence, found.end) != found


# --- due slots -------------------------------------------------------------------------


def test_the_3_hour_example_writes_12_15_18_with_wakes_4_5_6_and_never_twice() -> None:
    session = FakeSession()
    written: list[tuple[datetime, int, str]] = []
    for now in [at(h) for h in (12, 12.5, 14.99, 15, 15, 16, 18, 18)]:
        for p in plan(now, session.state(), cadence=3).slots:
            session.write(p)
            written.append((p.slot.end, p.wake_number, p.trigger))
    # The first run at 12:00 also writes the session's earlier slots, as catch-up.
    assert written == [
        (at(3), 1, "catch_up"),
        (at(6), 2, "catch_up"),
        (at(9), 3, "catch_up"),
        (at(12), 4, "schedule"),
        (at(15), 5, "schedule"),
        (at(18), 6, "schedule"),
    ]


def test_first_run_writes_every_completed_slot_oldest_first_the_newest_on_schedule() -> None:
    result = plan(at(10) + timedelta(seconds=180), state(), settle=120)
    assert [(p.slot.k, p.wake_number) for p in result.slots] == [(k, k) for k in range(1, 11)]
    assert [p.trigger for p in result.slots] == ["catch_up"] * 9 + ["schedule"]
    assert result.skipped == 0
    assert result.next_due_at == at(11) + timedelta(seconds=120)
    late = plan(at(10.5), state(), settle=120)
    assert [p.trigger for p in late.slots] == ["catch_up"] * 10  # the newest is 28 min late


def test_first_run_is_bounded_by_catch_up_max_slots_and_continues_next_tick() -> None:
    session = FakeSession()
    first = plan(at(10.5), session.state(), max_slots=4)
    assert [p.slot.k for p in first.slots] == [1, 2, 3, 4]
    for p in first.slots:
        session.write(p)
    second = plan(at(10.5), session.state(), max_slots=48)
    assert [p.slot.k for p in second.slots] == [5, 6, 7, 8, 9, 10]


def test_first_run_with_latest_writes_only_the_newest_and_counts_the_rest() -> None:
    result = plan(at(10) + timedelta(seconds=60), state(), catch_up="latest")
    assert [(p.slot.k, p.trigger) for p in result.slots] == [(10, "schedule")]
    assert result.skipped == 9


def test_first_run_before_the_first_slot_completes_waits() -> None:
    result = plan(at(0.5), state())
    assert result.slots == []
    assert result.next_due_at == at(1)


def test_slot_is_not_due_before_end_plus_settle_and_due_exactly_then() -> None:
    st_ = state(covered_until=at(1), last_wake_number=1)
    due_at = at(2) + timedelta(seconds=120)
    before = plan(due_at - US, st_, settle=120)
    assert before.slots == [] and before.next_due_at == due_at
    exactly = plan(due_at, st_, settle=120)
    assert [(p.slot.k, p.due_at, p.late_by_seconds) for p in exactly.slots] == [(2, due_at, 0.0)]
    assert exactly.slots[0].trigger == "schedule"
    assert exactly.next_due_at == at(3) + timedelta(seconds=120)


def test_catch_up_writes_oldest_first_capped_at_max_slots() -> None:
    st_ = state(covered_until=at(2), last_wake_number=2)
    result = plan(at(12), st_, max_slots=4)
    assert [p.slot.k for p in result.slots] == [3, 4, 5, 6]
    assert [p.trigger for p in result.slots] == ["catch_up"] * 4
    assert result.skipped == 0
    assert [p.late_by_seconds for p in result.slots] == [(12 - k) * 3600.0 for k in (3, 4, 5, 6)]


def test_catch_up_all_labels_only_the_newest_on_time_slot_schedule() -> None:
    result = plan(at(12) + timedelta(seconds=60), state(covered_until=at(9), last_wake_number=9))
    assert [(p.slot.k, p.trigger) for p in result.slots] == [
        (10, "catch_up"),
        (11, "catch_up"),
        (12, "schedule"),
    ]


def test_newest_slot_beyond_the_grace_is_catch_up() -> None:
    st_ = state(covered_until=at(11), last_wake_number=11)
    on_time = plan(at(12) + timedelta(seconds=300), st_, grace=300)
    late = plan(at(12) + timedelta(seconds=301), st_, grace=300)
    assert on_time.slots[0].trigger == "schedule"
    assert late.slots[0].trigger == "catch_up"
    assert late.slots[0].late_by_seconds == 301


def test_catch_up_continues_on_later_ticks_without_duplicates() -> None:
    session = FakeSession()
    session.rows[2] = (Slot(2, at(1), at(2)), False)
    for _ in range(4):
        for p in plan(at(20), session.state(), max_slots=5).slots:
            session.write(p)
    assert session.final_wakes_by_end() == list(range(2, 21))


def test_latest_writes_only_the_newest_and_counts_the_skipped() -> None:
    st_ = state(covered_until=at(2), last_wake_number=2)
    result = plan(at(12), st_, catch_up="latest")
    assert [(p.slot.k, p.wake_number, p.trigger) for p in result.slots] == [(12, 12, "schedule")]
    assert result.skipped == 9
    again = plan(at(12), state(covered_until=at(12), last_wake_number=12), catch_up="latest")
    assert again.slots == [] and again.skipped == 0


def test_slots_completed_while_paused_are_never_caught_up() -> None:
    st_ = state(covered_until=at(2), last_wake_number=2)
    pause = ((at(2.5), at(6.5)),)
    result = plan(at(8), st_, paused=pause)
    # slot 3 [2,3) ... slot 6 [5,6) ended inside the pause; slot 7 [6,7) was in progress
    # when the pause ended and is written normally.
    assert [p.slot.k for p in result.slots] == [7, 8]
    assert result.skipped == 0
    assert [p.wake_number for p in result.slots] == [7, 8]


def test_pause_is_half_open_on_slot_ends() -> None:
    result = plan(at(5), state(covered_until=at(1), last_wake_number=1), paused=((at(2), at(4)),))
    # [1,2) ends as the pause starts and [2,3) inside it: dropped.
    # [3,4) ends as the pause ends: it was in progress at resume and is written.
    assert [p.slot.k for p in result.slots] == [4, 5]


def test_nothing_is_planned_while_paused_now() -> None:
    st_ = state(covered_until=at(2), last_wake_number=2)
    open_ended = plan(at(8), st_, paused=((at(5.5), None),))
    assert open_ended.slots == [] and open_ended.next_due_at is None
    expiring = plan(at(8), st_, paused=((at(5.5), at(9.5)),))
    assert expiring.slots == [] and expiring.next_due_at == at(10)
    # slots 3-5 ended before the pause: caught up on resume, with slot 10
    resumed = plan(at(10), st_, paused=((at(5.5), at(9.5)),))
    assert [p.slot.k for p in resumed.slots] == [3, 4, 5, 10]


def test_session_end_mid_slot_is_due_at_session_end_plus_settle() -> None:
    end = at(10)
    st_ = state(covered_until=at(9), last_wake_number=3)
    due_at = end + timedelta(seconds=120)
    assert plan(due_at - US, st_, cadence=3, settle=120, end=end).slots == []
    result = plan(due_at, st_, cadence=3, settle=120, end=end)
    assert [(p.slot, p.wake_number) for p in result.slots] == [(Slot(4, at(9), end), 4)]
    assert result.next_due_at is None


def test_next_due_at_is_none_when_the_session_is_fully_covered() -> None:
    result = plan(END + timedelta(hours=1), state(covered_until=END, last_wake_number=24))
    assert result == DuePlan([], 0, None)


def test_provisional_slot_reuses_its_wake_number() -> None:
    st_ = state(covered_until=at(9), last_wake_number=9, provisional={at(9): 10})
    result = plan(at(11), st_)
    assert [(p.slot.k, p.wake_number, p.provisional) for p in result.slots] == [
        (10, 10, False),
        (11, 11, False),
    ]


def test_new_wake_numbers_step_over_other_provisional_rows() -> None:
    # Forced at 07:30 under a 1 h cadence (wake 8), then the cadence became 2 h.
    st_ = state(covered_until=at(6), last_wake_number=6, provisional={at(7): 8})
    result = plan(at(10), st_, cadence=2)
    assert [(p.slot.k, p.wake_number) for p in result.slots] == [(4, 7), (5, 9)]


def test_cadence_change_mid_session_keeps_wake_numbers_increasing() -> None:
    # 1 h until 06:00 (wakes 1-6), then 3 h: slot [6,9) is k=3 but must get wake 7.
    st_ = state(covered_until=at(6), last_wake_number=6)
    result = plan(at(12), st_, cadence=3)
    assert [(p.slot.k, p.wake_number) for p in result.slots] == [(3, 7), (4, 8)]


def test_96_quarter_hour_snapshots_get_96_distinct_wake_numbers() -> None:
    session = FakeSession()
    now = DAY
    while now <= END + timedelta(minutes=5):
        for p in plan(now, session.state(), cadence=0.25, settle=120).slots:
            session.write(p)
        now += timedelta(minutes=5)
    assert session.final_wakes_by_end() == list(range(1, 97))


def test_wake_number_is_never_0() -> None:
    result = plan(at(1), state(last_wake_number=0))
    assert [p.wake_number for p in result.slots] == [1]
    forced = force(at(0.1), state())
    assert isinstance(forced, PlannedSlot) and forced.wake_number == 1


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_slots"):
        plan(at(5), state(), max_slots=0)
    with pytest.raises(ValueError, match="negative"):
        plan(at(5), state(), settle=-1)
    with pytest.raises(ValueError, match="wake numbers start at 1"):
        state(provisional={at(1): 0})


# --- force -----------------------------------------------------------------------------


def force(now: datetime, st_: SessionState, cadence: float = 1.0) -> PlannedSlot | str:
    session = SessionWindow(DAY, END, st_, session_id=SESSION)
    return plan_force(sessions=[session], index=0, cadence_hours=cadence, now=now)


def test_force_writes_the_current_slot_cut_at_now_as_provisional() -> None:
    forced = force(at(10.5), state(covered_until=at(9), last_wake_number=9))
    assert forced == PlannedSlot(
        slot=Slot(11, at(10), at(10.5)),
        wake_number=11,
        trigger="force",
        due_at=at(10.5),
        late_by_seconds=0.0,
        provisional=True,
    )


def test_force_twice_in_one_slot_reuses_the_provisional_wake() -> None:
    forced = force(
        at(10.75), state(covered_until=at(9), last_wake_number=9, provisional={at(10): 11})
    )
    assert isinstance(forced, PlannedSlot) and forced.wake_number == 11


def test_force_then_regular_run_replaces_the_provisional_row() -> None:
    session = FakeSession()
    for p in plan(at(10), session.state()).slots:
        session.write(p)
    forced = force(at(10.5), session.state())
    assert isinstance(forced, PlannedSlot)
    session.write(forced)
    for p in plan(at(11), session.state()).slots:
        session.write(p)
    assert session.rows[11] == (Slot(11, at(10), at(11)), False)
    assert session.final_wakes_by_end() == list(range(1, 12))


def test_force_outside_the_session_or_on_a_boundary_says_why() -> None:
    assert force(DAY - US, state()) == "outside the session"
    assert force(END, state()) == "outside the session"
    assert force(at(3), state()) == FORCE_ON_BOUNDARY  # [03:00, 03:00) would be empty


def test_force_never_writes_a_window_ending_before_the_sessions_newest_slot() -> None:
    # A clock 10.5 h behind the schedulers': wake 19 (18:00-19:00) already exists.
    refused = force(at(8.5), state(covered_until=at(19), last_wake_number=19))
    assert refused == (
        "the session already has wake 19 ending 2026-05-04 19:00:00 UTC, after now"
        " (2026-05-04 08:30:00 UTC): is this clock behind the schedulers'?"
    )
    # Right at the newest slot's end it is the next slot: allowed.
    forced = force(at(19.5), state(covered_until=at(19), last_wake_number=19))
    assert isinstance(forced, PlannedSlot) and forced.wake_number == 20


def test_force_after_a_cadence_change_uses_max_k_and_last_wake_plus_1() -> None:
    forced = force(at(6.6), state(covered_until=at(6), last_wake_number=24), cadence=0.25)
    assert isinstance(forced, PlannedSlot) and (forced.slot.k, forced.wake_number) == (27, 27)
    forced = force(at(6.6), state(covered_until=at(6), last_wake_number=30), cadence=0.25)
    assert isinstance(forced, PlannedSlot) and forced.wake_number == 31


# --- properties ------------------------------------------------------------------------

step_cadences = st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 24 / 7])
steps = st.lists(
    st.tuples(
        step_cadences,
        st.integers(min_value=0, max_value=6 * 60),  # minutes to advance
        st.booleans(),  # force now
        st.integers(min_value=1, max_value=5),  # max_slots
        st.sampled_from(["all", "latest"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=100, deadline=None)
@given(steps=steps)
def test_any_sequence_of_cadence_changes_forces_and_writes_never_repeats_a_wake_number(
    steps: list[tuple[float, int, bool, int, str]],
) -> None:
    session = FakeSession()
    now = DAY
    for cadence, minutes, do_force, max_slots, mode in steps:
        now = min(now + timedelta(minutes=minutes), END + timedelta(hours=1))
        if do_force and isinstance(forced := force(now, session.state(), cadence), PlannedSlot):
            session.write(forced)  # asserts the wake is new or replaces its own row
        result = plan(now, session.state(), cadence=cadence, max_slots=max_slots, catch_up=mode)
        assert len(result.slots) <= max_slots
        wakes = [p.wake_number for p in result.slots]
        assert len(set(wakes)) == len(wakes) and min(wakes, default=1) >= 1
        for p in result.slots:
            session.write(p)
        again = plan(now, session.state(), cadence=cadence, max_slots=max_slots, catch_up=mode)
        assert all(p.slot.end > r.slot.end for p in again.slots for r in result.slots)


@settings(max_examples=150, deadline=None)
@given(steps=steps)
def test_without_forces_wake_numbers_increase_with_the_round_end(
    steps: list[tuple[float, int, bool, int, str]],
) -> None:
    session = FakeSession()
    now = DAY
    for cadence, minutes, _, max_slots, mode in steps:
        now = min(now + timedelta(minutes=minutes), END + timedelta(hours=1))
        for p in plan(
            now, session.state(), cadence=cadence, max_slots=max_slots, catch_up=mode
        ).slots:
            session.write(p)
        wakes = session.final_wakes_by_end()
        assert wakes == sorted(set(wakes))
        assert all(w >= 1 for w in wakes)


# --- every completed slot, exactly once, across sessions -------------------------------


def local_day_sessions(zone: str, first: date, days: int) -> list[tuple[datetime, datetime]]:
    """One session per site-local day: local midnight to the next local midnight."""
    tz = ZoneInfo(zone)
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        out.append((start, end))
    return out


def expected_windows(
    start: datetime, end: datetime, cadence: float
) -> list[tuple[datetime, datetime]]:
    """The slot grid written out independently: start + k*c, the last one clamped."""
    step = timedelta(hours=cadence)
    out, k = [], 1
    while start + (k - 1) * step < end:
        out.append((start + (k - 1) * step, min(start + k * step, end)))
        k += 1
    return out


def simulate(
    sessions: list[tuple[datetime, datetime]],
    cadence: float,
    ticks: list[datetime],
    *,
    settle: float = 120.0,
    max_slots: int = 48,
) -> dict[int, FakeSession]:
    """Tick at each instant, planning the two newest sessions that have started."""
    written: dict[int, FakeSession] = {i: FakeSession() for i in range(len(sessions))}
    for now in ticks:
        started = [i for i, (s, e) in enumerate(sessions) if s <= now and e > now - 2 * 24 * H]
        chosen = started[-2:]
        result = plan_site(
            sessions=[
                SessionWindow(*sessions[i], written[i].state(), session_id=UUID(int=i))
                for i in chosen
            ],
            cadence_hours=cadence,
            now=now,
            settle_seconds=settle,
            catch_up="all",
            max_slots=max_slots,
            late_grace_seconds=300,
        )
        for index, p in result.slots:
            written[chosen[index]].write(p)
    return written


H = timedelta(hours=1)
CADENCES = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 12.0, 24.0]
ZONES_AND_DAYS = [
    ("UTC", date(2026, 6, 9)),
    ("America/New_York", date(2026, 3, 7)),  # spring forward on the 8th
    ("America/Los_Angeles", date(2026, 10, 31)),  # fall back on 1 November
    ("Europe/Berlin", date(2026, 3, 28)),  # spring forward on the 29th
    ("Asia/Kolkata", date(2026, 6, 9)),  # +05:30
    ("Pacific/Auckland", date(2026, 4, 4)),  # fall back on the 5th
]


@pytest.mark.parametrize("cadence", CADENCES)
@pytest.mark.parametrize(("zone", "first"), ZONES_AND_DAYS)
def test_every_completed_slot_of_every_session_gets_exactly_one_snapshot(
    cadence: float, zone: str, first: date
) -> None:
    sessions = local_day_sessions(zone, first, 3)
    # snapwatch first sees the site at 05:00 local on day 1, ticks every 7 minutes, is
    # down for five hours on day 2, and stops 10 minutes after day 3 (its last) ended.
    t0 = sessions[0][0] + 5 * H
    stop = sessions[-1][1] + timedelta(minutes=10)
    ticks, t = [], t0
    while t <= stop:
        if not (sessions[1][0] + 9 * H <= t < sessions[1][0] + 14 * H):
            ticks.append(t)
        t += timedelta(minutes=7)
    written = simulate(sessions, cadence, ticks)
    for i, (start, end) in enumerate(sessions):
        got = sorted((s.start, s.end) for s, prov in written[i].rows.values() if not prov)
        assert got == expected_windows(start, end, cadence), (zone, cadence, i)
        wakes = written[i].final_wakes_by_end()
        assert wakes == list(range(1, len(wakes) + 1))


@pytest.mark.parametrize(("zone", "first"), ZONES_AND_DAYS)
def test_a_24_hour_site_gets_its_only_slot_just_after_midnight(zone: str, first: date) -> None:
    previous, current = local_day_sessions(zone, first, 2)
    due = previous[1] + timedelta(seconds=120)
    before = simulate([previous, current], 24.0, [due - timedelta(seconds=1)])
    assert all(not s.rows for s in before.values())
    after = simulate([previous, current], 24.0, [due])
    (row,) = after[0].rows.values()
    assert row == (Slot(1, previous[0], previous[1]), False)
    assert not after[1].rows  # today's slot is due tomorrow


def test_the_last_slot_is_owed_even_while_no_new_session_is_open() -> None:
    # The session has ended and the next one does not exist yet.
    result = plan(END + timedelta(minutes=3), state(), cadence=24.0, settle=120)
    assert [(p.slot.start, p.slot.end, p.wake_number) for p in result.slots] == [(DAY, END, 1)]
    assert result.slots[0].trigger == "schedule"


def test_a_session_locked_early_owes_only_the_slots_that_ended_before_the_lock() -> None:
    locked = at(10.5)
    result = plan_site(
        sessions=[SessionWindow(DAY, END, state(), closed_at=locked, session_id=SESSION)],
        cadence_hours=1.0,
        now=at(20),
        settle_seconds=0,
        catch_up="all",
        max_slots=48,
        late_grace_seconds=300,
    )
    assert [p.slot.k for _, p in result.slots] == list(range(1, 11))
    assert result.next_due_at is None


def test_catch_up_cap_spans_both_sessions_oldest_first() -> None:
    previous, current = (DAY - timedelta(days=1), DAY), (DAY, END)
    result = plan_site(
        sessions=[
            SessionWindow(*previous, state(), session_id=UUID(int=1)),
            SessionWindow(*current, state(), session_id=UUID(int=2)),
        ],
        cadence_hours=1.0,
        now=at(3),
        settle_seconds=0,
        catch_up="all",
        max_slots=25,
        late_grace_seconds=300,
    )
    assert [(i, p.slot.k) for i, p in result.slots] == [(0, k) for k in range(1, 25)] + [(1, 1)]
    assert result.waiting_for is not None and result.waiting_for.slot.k == 1


def test_a_cadence_change_mid_session_never_overlaps_the_written_windows() -> None:
    session = FakeSession()
    for p in plan(at(10), session.state(), cadence=1.0).slots:
        session.write(p)
    after = plan(at(13), session.state(), cadence=1.5).slots
    # the 1.5 h grid's slot [9, 10.5) starts where the hourly ones stopped
    assert [(p.slot.start, p.slot.end, p.wake_number) for p in after] == [
        (at(10), at(10.5), 11),
        (at(10.5), at(12), 12),
    ]
