"""The demo's wake schedules: CronTrigger's fire times with cron's DST promise kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped, unused-ignore]

from snapwatch.demo.cron import fire_times, parse_cron

NY = ZoneInfo("America/New_York")
SPRING = (datetime(2025, 3, 9, 5, tzinfo=UTC), datetime(2025, 3, 10, 4, tzinfo=UTC))  # 23 h
FALL = (datetime(2025, 11, 2, 4, tzinfo=UTC), datetime(2025, 11, 3, 5, tzinfo=UTC))  # 25 h


def _local(times: tuple[datetime, ...]) -> list[str]:
    return [t.astimezone(NY).strftime("%H:%M%z") for t in times]


def test_cron_trigger_alone_moves_a_missing_time_and_repeats_a_doubled_one() -> None:
    # What the demo corrects; if APScheduler changes this, the docstring needs a look.
    trigger = CronTrigger.from_crontab("30 2 * * *", timezone=NY)
    fire = trigger.get_next_fire_time(None, SPRING[0])
    assert fire.astimezone(UTC) == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)  # 03:30 EDT
    trigger = CronTrigger.from_crontab("30 1 * * *", timezone=NY)
    first = trigger.get_next_fire_time(None, FALL[0])
    second = trigger.get_next_fire_time(first, first)
    # 01:30 EDT, then 01:30 EST (same wall time: compare instants)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("expr", "count", "around"),
    [
        ("0 * * * *", 23, ["01:00-0500", "03:00-0400"]),
        ("0 */2 * * *", 11, ["00:00-0500", "04:00-0400"]),
        ("*/15 * * * *", 92, ["01:45-0500", "03:00-0400"]),
        ("30 2 * * *", 0, []),
    ],
)
def test_a_missing_wall_time_is_skipped(expr: str, count: int, around: list[str]) -> None:
    times = fire_times(expr, NY, *SPRING)
    assert len(times) == count
    local = _local(times)
    assert not any(t.startswith("02:") for t in local)
    if around:
        i = local.index(around[0])
        assert local[i : i + 2] == around


@pytest.mark.parametrize(
    ("expr", "count"), [("0 * * * *", 24), ("*/15 * * * *", 96), ("30 1 * * *", 1)]
)
def test_a_repeated_wall_time_fires_once_at_its_first_occurrence(expr: str, count: int) -> None:
    times = fire_times(expr, NY, *FALL)
    assert len(times) == count
    assert "01:30-0400" in _local(times) or expr == "0 * * * *"
    assert not any(t.endswith("-0500") and t.startswith("01:") for t in _local(times))


def test_half_hour_dst_shift() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # 02:00 -> 02:30 on 2025-10-05
    start = datetime(2025, 10, 4, 13, 30, tzinfo=UTC)  # local midnight, +10:30
    end = datetime(2025, 10, 5, 13, tzinfo=UTC)  # next local midnight, +11:00
    times = fire_times("0,30 * * * *", lord_howe, start, end)
    assert len(times) == 47  # 23.5 hours, the 02:00 slot missing
    assert len(set(times)) == 47 and list(times) == sorted(times)


def test_windows_that_do_not_start_at_midnight() -> None:
    start = datetime(2025, 1, 15, 7, 10, tzinfo=UTC)
    end = datetime(2025, 1, 17, 2, 50, tzinfo=UTC)
    times = fire_times("*/15 * * * *", NY, start, end)
    assert times[0] == datetime(2025, 1, 15, 7, 15, tzinfo=UTC)
    assert times[-1] == datetime(2025, 1, 17, 2, 45, tzinfo=UTC)
    assert all(b - a == timedelta(minutes=15) for a, b in pairwise(times))


@pytest.mark.parametrize(
    ("expr", "per_day"),
    [
        ("0 8,16 * * *", 2),
        ("0 */6 * * *", 4),
        ("0 */3 * * *", 8),
        ("0 * * * *", 24),
        ("*/30 * * * *", 48),
        ("*/15 * * * *", 96),
        ("15,45 0-4/2 * * *", 6),
    ],
)
def test_per_day_counts_the_fires_of_an_ordinary_day(expr: str, per_day: int) -> None:
    assert parse_cron(expr).per_day == per_day


@pytest.mark.parametrize("expr", ["0 8 * * 1", "0 8 1 * *", "0 8 * 6 *", "* * * *", "61 * * * *"])
def test_only_valid_daily_schedules_are_accepted(expr: str) -> None:
    with pytest.raises(ValueError):
        parse_cron(expr)
