"""The sites overview read model, against a real migrated database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import dict_row
from support.overview_rows import Rows

from snapwatch.infra.config import Settings, load_settings
from snapwatch.readmodels.display import cadence_text
from snapwatch.readmodels.health import job_health
from snapwatch.readmodels.sites import SiteOverview, fetch_site_overview
from snapwatch.readmodels.status import read_status
from snapwatch.schedule.actions import pause
from snapwatch.schedule.health import InstanceState, SiteState
from snapwatch.schedule.instances import Identity, mark_stopped, register
from snapwatch.schedule.judging import read_site_health
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick
from snapwatch.text.times import age_text

NOW = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)


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


async def test_cadence_hours_wins_over_a_per_day_of_24_or_less_and_says_so(
    rows: Rows, program: UUID, conn: AsyncConnection[Any]
) -> None:
    site = rows.site(program, "Both", snapshot_cadence_hours=3, snapshot_cadence_per_day=12)
    got = await overview_of(conn, site)
    assert got.cadence_hours == 3.0
    assert got.cadence_note == (
        "snapshot_cadence_hours = 3 used, snapshot_cadence_per_day = 12 disagrees:"
        " snapshot_cadence_per_day is used only when snapshot_cadence_hours is unset"
    )


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
    got = await overview_of(conn, hourly)
    assert got.cadence_hours == 2.0
    assert isinstance(got.cadence_hours, float)
    # The platform's real pairs (hours, per_day), both columns set on every site.
    pairs = {(1, 96): 0.25, (3, 3): 3.0, (24, 3): 24.0, (None, 6): 4.0, (0, 3): None}
    for (hours, per_day), expected in pairs.items():
        site = rows.site(
            program,
            f"Pair {hours}/{per_day}",
            snapshot_cadence_hours=hours,
            snapshot_cadence_per_day=per_day,
        )
        assert (await overview_of(conn, site)).cadence_hours == expected, (hours, per_day)
    zero = await overview_of(conn, rows.site(program, "Zero", snapshot_cadence_hours=0))
    assert (zero.state, zero.reason) == ("not_eligible", "invalid_cadence")
    assert zero.cadence_note == "snapshot_cadence_hours = 0 (must be 1 s to 24 h)"


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
    # the site-state rule's three set-based reads (sites, sessions with their snapshot
    # state, pauses with who paused and why) and health's one: the sites whose latest
    # write outcome failed
    assert len(statements) == 4
    assert sum("snapwatch.pauses" in q for q in statements) == 1
    for i in range(30, 90):
        rows.site(program, f"Site {i:02d}", snapshot_cadence_hours=1)
    statements.clear()
    assert len(await fetch_site_overview(conn, NOW)) == 90
    assert len(statements) == 4


@pytest.fixture
def cfg(migrated_dsn: str, isolated_env: Any) -> Settings:
    return load_settings(overrides={"dsn": migrated_dsn})[0]


async def test_each_site_carries_its_health_state_reason_and_waiting_slot(
    rows: Rows, program: UUID, cfg: Settings, migrated_dsn: str
) -> None:
    m = timedelta(minutes=1)
    sites: dict[str, UUID] = {}

    def site(name: str, start: datetime | None, **columns: Any) -> UUID:
        site_id = rows.site(program, name, **({"snapshot_cadence_hours": 1} | columns))
        rows.device(site_id)
        if start is not None:
            rows.session(site_id, start, start + timedelta(hours=24), "in_progress")
        sites[name] = site_id
        return site_id

    site("Written", NOW - 150 * m)
    site("Due", NOW - 63 * m)  # slot 1 ended 3 min ago: due for 1 min (settle 2 min)
    site("Late", NOW - 150 * m)  # slot 1 (to 14:00) has waited 88 min (grace 5 min)
    site("Paused", NOW - 150 * m)
    site("Broken", NOW - 150 * m)
    site("No session", None)
    site("No cadence", NOW - 150 * m, snapshot_cadence_hours=None)
    empty = rows.site(program, "No devices", snapshot_cadence_hours=1)
    rows.session(empty, NOW - 150 * m, NOW + 20 * 60 * m, "in_progress")
    # Broken cannot be written: its snapshot row needs a company.
    rows.conn.execute("UPDATE sites SET company_id = NULL WHERE site_id = %s", (sites["Broken"],))
    rows.conn.execute("UPDATE pilot_programs SET company_id = NULL")
    async with await AsyncConnection.connect(
        migrated_dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        await pause(
            conn,
            NOW - 10 * m,
            site=sites["Paused"],
            reason="fumigation",
            until=None,
            who="ops@pier4",
        )
        for name in ("Written", "Broken"):
            await record_run(conn, await run_tick(conn, cfg, NOW, site=sites[name]), None)
        got = {s.site_name: s for s in await fetch_site_overview(conn, NOW, cfg)}
        health = {h.site_name: h for h in await read_site_health(conn, NOW, cfg)}

    assert got["Written"].state is SiteState.ON_TIME and got["Written"].reason is None
    assert got["Written"].next_due_at == NOW + 30 * m + 2 * m
    assert got["Written"].last_error is None
    assert (got["Due"].state, got["Due"].waiting_for_wake, got["Due"].late_by_seconds) == (
        "due",
        1,
        60.0,
    )
    assert (got["Late"].state, got["Late"].waiting_for_wake) == (SiteState.LATE, 1)
    assert got["Late"].late_by_seconds == 88 * 60.0
    assert got["Paused"].state == "paused"
    assert got["Paused"].reason == 'paused by ops@pier4: "fumigation"'
    assert got["Broken"].state == "failing"
    assert "company_id" in (got["Broken"].last_error or "")
    assert got["Broken"].reason == got["Broken"].last_error
    for name, reason in [
        ("No session", "no_open_session"),
        ("No cadence", "no_cadence"),
        ("No devices", "no_devices"),
    ]:
        assert (got[name].state, got[name].reason) == (SiteState.NOT_ELIGIBLE, reason)
        assert got[name].next_due_at is None
    # One rule: the overview says exactly what `status` and the daemon's metrics say.
    assert set(got) == set(health)
    for name, h in health.items():
        o = got[name]
        assert (o.state, o.reason, o.next_due_at, o.waiting_for_wake, o.late_by_seconds) == (
            h.state,
            h.reason,
            h.next_due_at,
            h.waiting_for_wake,
            h.late_by_seconds,
        ), name


async def test_a_failed_write_stays_visible_as_last_error_until_a_write_succeeds(
    rows: Rows, program: UUID, cfg: Settings, migrated_dsn: str
) -> None:
    site = rows.site(program, "Flaky", snapshot_cadence_hours=1)
    rows.device(site)
    rows.session(site, NOW - timedelta(hours=2), NOW + timedelta(hours=22), "in_progress")
    async with await AsyncConnection.connect(
        migrated_dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        await conn.execute("INSERT INTO snapwatch.runs (status) VALUES ('failed') RETURNING run_id")
        run = await (await conn.execute("SELECT run_id FROM snapwatch.runs")).fetchone()
        assert run is not None
        await conn.execute(
            "INSERT INTO snapwatch.run_sites (run_id, site_id, outcome, error, recorded_at)"
            " VALUES (%s, %s, 'failed', 'disk full', %s)",
            (run["run_id"], site, NOW - timedelta(hours=1)),
        )
        written = await run_tick(conn, cfg, NOW - timedelta(minutes=57))
        assert [w.wake_number for o in written.outcomes for w in o.written] == [1]
        # Not due now (slot 2 not yet settled) and failed last: on time, error still shown.
        early = (await fetch_site_overview(conn, NOW - timedelta(minutes=57), cfg))[0]
        assert (early.state, early.last_error) == (SiteState.ON_TIME, "disk full")
        await record_run(conn, written, None)
        later = (await fetch_site_overview(conn, NOW - timedelta(minutes=57), cfg))[0]
        assert (later.state, later.last_error) == (SiteState.ON_TIME, None)


async def test_job_health_lists_instances_and_pg_cron_as_status_does(
    cfg: Settings, migrated_dsn: str
) -> None:
    async with await AsyncConnection.connect(
        migrated_dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        live = await register(
            conn, "daemon", clock="system", tick_seconds=60, identity=Identity("ops-1", 11, "ops")
        )
        gone = await register(
            conn, "tui", clock="system", tick_seconds=60, identity=Identity("ops-2", 22, "ops")
        )
        await mark_stopped(conn, gone)
        got = await job_health(conn, NOW)
        report = await read_status(conn, NOW, cfg, database="test")
    states = {i.instance_id: i.state for i in got.instances}
    assert states == {live: InstanceState.OK, gone: InstanceState.STOPPED}
    assert got.counts()["ok"] == 1 and got.counts()["stopped"] == 1
    assert got.cron.installed is False and got.warning is None
    assert [i.instance_id for i in got.instances] == [i.instance_id for i in report.instances]
    assert (got.cron.note, got.warning) == (report.cron.note, report.warning)
    assert got.writers == report.writers


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
