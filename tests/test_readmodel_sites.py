"""The sites overview read model, against a real migrated database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from overview_rows import Rows
from psycopg import AsyncConnection, AsyncCursor

from snapwatch.readmodels.display import age_text, cadence_text, timezone_text
from snapwatch.readmodels.sites import SiteOverview, fetch_site_overview

NOW = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)


@pytest.fixture
def rows(migrated_dsn: str) -> Iterator[Rows]:
    r = Rows(migrated_dsn)
    yield r
    r.close()


@pytest.fixture
async def conn(migrated_dsn: str) -> AsyncIterator[AsyncConnection[Any]]:
    async with await AsyncConnection.connect(migrated_dsn, autocommit=True) as c:
        yield c


@pytest.fixture
def program(rows: Rows) -> UUID:
    return rows.program(rows.company("Acme Cold Storage"), "Winter Watch")


async def overview_of(conn: AsyncConnection[Any], site_id: UUID) -> SiteOverview:
    found = [s for s in await fetch_site_overview(conn, NOW) if s.site_id == site_id]
    assert len(found) == 1
    return found[0]


async def test_a_site_is_listed_with_its_program_company_and_timezone(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    site = rows.site(program, "Dock", timezone="America/Chicago")
    got = await overview_of(conn, site)
    assert (got.site_name, got.program_name, got.company_name) == (
        "Dock",
        "Winter Watch",
        "Acme Cold Storage",
    )
    assert got.timezone == "America/Chicago"
    assert got.device_count == 0
    assert got.cadence_hours is None
    assert got.has_open_session is False
    assert got.last_snapshot_at is None


async def test_null_timezone_stays_none_so_the_ui_can_say_utc_unset(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    got = await overview_of(conn, rows.site(program, "Old Site"))
    assert got.timezone is None
    assert timezone_text(got.timezone) == "UTC (unset)"


async def test_device_count_counts_only_active_devices_not_inactive_or_decommissioned(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    site = rows.site(program, "Warehouse")
    rows.device(site, provisioning_status="active")
    rows.device(site, provisioning_status="mapped")
    rows.device(site, provisioning_status="pending_mapping")
    rows.device(site, provisioning_status="system")
    rows.device(site, provisioning_status=None)  # NULL counts as active
    rows.device(site, provisioning_status="inactive")
    rows.device(site, provisioning_status="decommissioned")
    rows.device(site, is_active=False, provisioning_status="active")
    other = rows.site(program, "Elsewhere")
    rows.device(other)
    assert (await overview_of(conn, site)).device_count == 5
    assert (await overview_of(conn, other)).device_count == 1


async def test_cadence_from_numeric_hours_is_fractional(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    got = await overview_of(conn, rows.site(program, "Fast", snapshot_cadence_hours=0.25))
    assert got.cadence_hours == 0.25
    assert isinstance(got.cadence_hours, float)
    assert cadence_text(got.cadence_hours) == "15 min"


async def test_cadence_hours_wins_over_per_day(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    site = rows.site(program, "Both", snapshot_cadence_hours=3, snapshot_cadence_per_day=12)
    assert (await overview_of(conn, site)).cadence_hours == 3.0


async def test_cadence_falls_back_to_24_over_per_day(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    got = await overview_of(conn, rows.site(program, "Legacy", snapshot_cadence_per_day=12))
    assert got.cadence_hours == 2.0
    assert cadence_text(got.cadence_hours) == "2 h"
    per_96 = await overview_of(conn, rows.site(program, "Legacy 96", snapshot_cadence_per_day=96))
    assert per_96.cadence_hours == 0.25


async def test_no_cadence_when_neither_column_is_set(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    got = await overview_of(conn, rows.site(program, "Unscheduled"))
    assert got.cadence_hours is None
    assert cadence_text(got.cadence_hours) == "none"


async def test_cadence_is_read_from_an_integer_column(
    migrated_dsn: str, rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    # Platform databases have snapshot_cadence_hours as integer.
    with psycopg.connect(migrated_dsn, autocommit=True) as admin:
        admin.execute(
            "ALTER TABLE sites DROP CONSTRAINT sites_snapshot_cadence_hours_check, "
            "ALTER COLUMN snapshot_cadence_hours TYPE integer"
        )
        kind = admin.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'sites' AND column_name = 'snapshot_cadence_hours'"
        ).fetchone()
    assert kind == ("integer",)
    hourly = rows.site(program, "Hourly", snapshot_cadence_hours=2)
    zero = rows.site(program, "Zero", snapshot_cadence_hours=0, snapshot_cadence_per_day=6)
    got = await overview_of(conn, hourly)
    assert got.cadence_hours == 2.0
    assert isinstance(got.cadence_hours, float)
    # A non-positive cadence is no cadence: the per-day column is used instead.
    assert (await overview_of(conn, zero)).cadence_hours == 4.0


async def test_open_session_is_found_by_instant_start_inclusive_end_exclusive(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    starts_now = rows.site(program, "Starts now")
    rows.session(starts_now, NOW, NOW + timedelta(hours=24), "pending")
    ends_now = rows.site(program, "Ends now")
    rows.session(ends_now, NOW - timedelta(hours=24), NOW, "in_progress")
    inside = rows.site(program, "Inside")
    rows.session(inside, NOW - timedelta(hours=2), NOW + timedelta(hours=22), "in_progress")
    future = rows.site(program, "Tomorrow")
    rows.session(future, NOW + timedelta(seconds=1), NOW + timedelta(hours=25), "pending")
    assert (await overview_of(conn, starts_now)).has_open_session is True
    assert (await overview_of(conn, ends_now)).has_open_session is False
    assert (await overview_of(conn, inside)).has_open_session is True
    assert (await overview_of(conn, future)).has_open_session is False


async def test_a_locked_session_is_not_open(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    site = rows.site(program, "Locked early")
    rows.session(site, NOW - timedelta(hours=2), NOW + timedelta(hours=22), "locked")
    assert (await overview_of(conn, site)).has_open_session is False


async def test_last_snapshot_at_is_the_sites_column(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    at = NOW - timedelta(minutes=5)
    got = await overview_of(conn, rows.site(program, "Recent", last_snapshot_at=at))
    assert got.last_snapshot_at == at
    assert age_text(got.last_snapshot_at, NOW) == "5m ago"


async def test_sites_are_sorted_by_program_then_site_name(
    rows: Rows, conn: AsyncConnection[Any]
) -> None:
    company = rows.company("Sorters")
    beta = rows.program(company, "Beta program")
    alpha = rows.program(company, "Alpha program")
    rows.site(beta, "A site")
    rows.site(alpha, "Zulu")
    rows.site(alpha, "Mike")
    got = [(s.program_name, s.site_name) for s in await fetch_site_overview(conn, NOW)]
    assert got == [
        ("Alpha program", "Mike"),
        ("Alpha program", "Zulu"),
        ("Beta program", "A site"),
    ]


async def test_overview_is_a_fixed_number_of_queries_whatever_the_number_of_sites(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    for i in range(30):
        site = rows.site(program, f"Site {i:02d}", snapshot_cadence_hours=1)
        rows.device(site)
        rows.session(site, NOW - timedelta(hours=1), NOW + timedelta(hours=23), "pending")
    statements: list[str] = []

    class CountingCursor(AsyncCursor[Any]):
        async def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            statements.append(str(query))
            return await super().execute(query, *args, **kwargs)

    conn.cursor_factory = CountingCursor
    got = await fetch_site_overview(conn, NOW)
    assert len(got) == 30
    assert all(s.device_count == 1 and s.has_open_session for s in got)
    # the site-state rule's four set-based reads: sites, sessions, snapshot state, pauses
    assert len(statements) == 4


async def test_now_must_be_timezone_aware(conn: AsyncConnection[Any]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await fetch_site_overview(conn, datetime(2025, 1, 1))


def test_importing_the_read_model_does_not_import_textual() -> None:
    code = (
        "import sys, snapwatch.readmodels.sites, snapwatch.readmodels.display; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0.25, "15 min"),
        (0.5, "30 min"),
        (1.0, "1 h"),
        (1.5, "1.5 h"),
        (2.0, "2 h"),
        (24.0, "24 h"),
        (0.001, "3.6 s"),
        (None, "none"),
    ],
)
def test_cadence_text(hours: float | None, text: str) -> None:
    assert cadence_text(hours) == text


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=2), "just now"),
        (timedelta(seconds=42), "42s ago"),
        (timedelta(minutes=5, seconds=59), "5m ago"),
        (timedelta(hours=3, minutes=1), "3h ago"),
        (timedelta(hours=47), "47h ago"),
        (timedelta(days=3), "3d ago"),
        (timedelta(minutes=-2), "in 2m"),
    ],
)
def test_age_text(ago: timedelta, text: str) -> None:
    assert age_text(NOW - ago, NOW) == text
    assert age_text(None, NOW) == "never"
