"""Program day and site time zone (pitfalls 22, 24, 25)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.snapshot_factory import build, inputs, round_, site

from snapwatch.snapshot.program import program_day, site_timezone, total_days

NY = ZoneInfo("America/New_York")


def day_of(start_date: date, end: datetime, timezone: str | None = "America/New_York") -> int:
    facts = site(
        program_start_date=start_date,
        program_end_date=start_date + timedelta(days=90),
        timezone=timezone,
    )
    rnd = round_(start=end - timedelta(hours=1), end=end)
    return build(inputs(site_facts=facts, round_facts=rnd)).program_context.program_day


def test_program_start_date_is_day_1() -> None:
    assert day_of(date(2026, 11, 28), datetime(2026, 11, 28, 15, tzinfo=UTC)) == 1


def test_program_day_uses_the_site_local_date_of_the_round_end() -> None:
    # 02:00 UTC on Nov 29 is still Nov 28 in New York
    assert day_of(date(2026, 11, 28), datetime(2026, 11, 29, 2, tzinfo=UTC)) == 1
    assert day_of(date(2026, 11, 28), datetime(2026, 11, 29, 5, tzinfo=UTC)) == 2


def test_program_day_across_a_month_end() -> None:
    start = date(2026, 1, 30)
    assert day_of(start, datetime(2026, 1, 31, 17, tzinfo=UTC)) == 2
    assert day_of(start, datetime(2026, 2, 1, 17, tzinfo=UTC)) == 3
    assert day_of(start, datetime(2026, 3, 1, 17, tzinfo=UTC)) == 31


def test_program_day_across_a_year_end() -> None:
    assert day_of(date(2026, 12, 31), datetime(2027, 1, 1, 17, tzinfo=UTC)) == 2


@pytest.mark.parametrize(
    ("local_end", "expected"),
    [
        (datetime(2026, 3, 7, 23, 30), 7),
        (datetime(2026, 3, 8, 0, 30), 8),
        (datetime(2026, 3, 8, 3, 30), 8),  # after the spring-forward gap
        (datetime(2026, 3, 8, 23, 59), 8),
        (datetime(2026, 3, 9, 0, 0), 9),
    ],
)
def test_program_day_across_the_spring_dst_day(local_end: datetime, expected: int) -> None:
    end = local_end.replace(tzinfo=NY).astimezone(UTC)
    assert day_of(date(2026, 3, 1), end) == expected


@pytest.mark.parametrize(
    ("local_end", "fold", "expected"),
    [
        (datetime(2026, 11, 1, 0, 30), 0, 1),
        (datetime(2026, 11, 1, 1, 30), 0, 1),  # first 01:30 (EDT)
        (datetime(2026, 11, 1, 1, 30), 1, 1),  # second 01:30 (EST)
        (datetime(2026, 11, 1, 23, 59), 0, 1),
        (datetime(2026, 11, 2, 0, 0), 0, 2),
    ],
)
def test_program_day_across_the_autumn_dst_day(
    local_end: datetime, fold: int, expected: int
) -> None:
    end = local_end.replace(tzinfo=NY, fold=fold).astimezone(UTC)
    assert day_of(date(2026, 11, 1), end) == expected


def test_total_days_counts_both_ends() -> None:
    assert total_days(date(2026, 11, 1), date(2026, 11, 1)) == 1
    assert total_days(date(2026, 2, 1), date(2026, 3, 1)) == 29
    doc = build(inputs())
    assert doc.program_context.total_days == 92  # 2026-11-01 .. 2027-01-31


def test_null_timezone_is_utc_and_says_so() -> None:
    doc = build(inputs(site_facts=site(timezone=None)))
    assert doc.site_metadata.timezone == "UTC"
    assert doc.site_metadata.timezone_assumed is True
    assert doc.data_quality == []
    # 02:00 UTC on Nov 29 is Nov 29 in UTC
    assert day_of(date(2026, 11, 28), datetime(2026, 11, 29, 2, tzinfo=UTC), None) == 2


def test_named_timezone_is_not_assumed() -> None:
    doc = build(inputs())
    assert (doc.site_metadata.timezone, doc.site_metadata.timezone_assumed) == (
        "America/New_York",
        False,
    )


def test_unknown_timezone_is_utc_assumed_and_reported() -> None:
    doc = build(inputs(site_facts=site(timezone="Mars/Olympus_Mons")))
    assert (doc.site_metadata.timezone, doc.site_metadata.timezone_assumed) == ("UTC", True)
    assert [(p.device_id, p.field, p.value, p.problem) for p in doc.data_quality] == [
        (None, "timezone", "Mars/Olympus_Mons", "unknown_timezone")
    ]


def test_unusable_timezone_names_fall_back_to_utc() -> None:
    for name in ["", "  ", "../etc/passwd", "/etc/localtime"]:
        tz = site_timezone(name)
        assert (tz.name, tz.assumed) == ("UTC", True)


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    offset_days=st.integers(0, 400),
    minute=st.integers(0, 24 * 60 - 1),
)
def test_every_local_minute_of_a_day_has_the_same_program_day(
    start: date, offset_days: int, minute: int
) -> None:
    local_date = start + timedelta(days=offset_days)
    naive = datetime.combine(local_date, datetime.min.time()) + timedelta(minutes=minute)
    at = naive.replace(tzinfo=NY).astimezone(UTC)  # any local minute, DST days included
    assert program_day(start, at, NY) == offset_days + 1
