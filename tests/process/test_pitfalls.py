"""The earlier implementation's mistakes, by number (design/pitfalls.md), each one a test.

Pitfalls 3-5 and 8-25 are covered where their rule lives (test_cadence, test_snapshot_*,
test_pipeline), 34 in test_inert, test_cli_hostile_text and test_tui_hostile_text; here
are the operational ones: 1, 2, 6, 7, 26, 27, 28 and 29."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from support.cli import cli
from support.platform_writers import DROP, FUNCTIONS

from snapwatch.infra.clock import SystemClock
from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Target
from snapwatch.infra.migrations import migrate
from snapwatch.schedule.health import InstanceState, SiteState, instance_health
from snapwatch.schedule.instances import read_instances, record_tick, register
from snapwatch.schedule.judging import read_site_health
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
# The platform-like database (tests/platform_like.sql): North barn, integer cadence 3 h,
# a session 2025-01-15 06:00Z to 2025-01-16 06:00Z whose wake 1 (06:00-09:00) exists.
BARN = UUID("00000000-0000-0000-0000-0000000000b1")
BARN_SESSION_START = datetime(2025, 1, 15, 6, tzinfo=UTC)


async def one_site(conn: Any, name: str, cadence: float | None = 1.0) -> UUID:
    cur = await conn.execute(
        "WITH c AS (INSERT INTO companies (name) VALUES (%(n)s) RETURNING company_id),"
        " p AS (INSERT INTO pilot_programs (company_id, name, start_date, end_date)"
        "       SELECT company_id, %(n)s, '2026-01-01', '2026-12-31' FROM c"
        "       RETURNING program_id, company_id)"
        " INSERT INTO sites (program_id, company_id, name, snapshot_cadence_hours)"
        " SELECT program_id, company_id, %(n)s, %(cadence)s FROM p RETURNING site_id",
        {"n": name, "cadence": cadence},
    )
    site = (await cur.fetchone())["site_id"]
    await conn.execute(
        "INSERT INTO site_device_sessions (company_id, program_id, site_id, session_date,"
        " session_start_time, session_end_time, expected_wake_count, status)"
        " SELECT company_id, program_id, site_id, %(d)s, %(s)s, %(e)s, 24, 'in_progress'"
        " FROM sites WHERE site_id = %(site)s",
        {"d": DAY.date(), "s": DAY, "e": DAY + 24 * H, "site": site},
    )
    return UUID(str(site))


async def add_device(conn: Any, site: UUID) -> None:
    await conn.execute(
        "INSERT INTO devices (device_mac, device_code, site_id, program_id, company_id)"
        " SELECT 'mac-' || gen_random_uuid(), 'D-' || gen_random_uuid(), site_id, program_id,"
        " company_id FROM sites WHERE site_id = %s",
        (site,),
    )


async def test_pitfall_01_a_failing_site_is_recorded_failed_and_never_swallowed(
    cfg: Settings, conn: Any
) -> None:
    bad = await one_site(conn, "Bad")
    await add_device(conn, bad)
    # The snapshot row needs a company: without one anywhere the write must fail loudly.
    await conn.execute("UPDATE sites SET company_id = NULL WHERE site_id = %s", (bad,))
    await conn.execute("UPDATE pilot_programs SET company_id = NULL")
    now = DAY + 2 * H + timedelta(minutes=3)
    report = await run_tick(conn, cfg, now)
    await record_run(conn, report, None)
    [outcome] = report.outcomes
    assert outcome.outcome == "failed" and outcome.error
    run = await (await conn.execute("SELECT status, error FROM snapwatch.runs")).fetchone()
    assert run["status"] == "failed" and run["error"]  # the run is not "ok"
    [health] = await read_site_health(conn, now, cfg)
    assert health.state is SiteState.FAILING and health.reason and "company" in health.reason


async def test_pitfall_02_every_skip_has_a_reason_and_an_unwritten_site_turns_late(
    cfg: Settings, conn: Any
) -> None:
    written = await one_site(conn, "Written")
    await add_device(conn, written)
    empty = await one_site(conn, "Empty")
    no_cadence = await one_site(conn, "No cadence", cadence=None)
    await add_device(conn, no_cadence)
    report = await run_tick(conn, cfg, DAY + 1 * H + timedelta(minutes=3))
    reasons = {o.site_id: (o.outcome, o.reason) for o in report.outcomes}
    assert reasons[written] == ("written", None)
    assert reasons[empty] == ("skipped", "no_devices")
    assert reasons[no_cadence] == ("skipped", "no_cadence")
    # Then nothing runs for a while: the next slot is due at 02:02 and late after the grace.
    grace = cfg.scheduler.late_grace_seconds
    due = DAY + 2 * H + timedelta(seconds=cfg.scheduler.settle_seconds)
    states = {
        h.site_id: h.state for h in await read_site_health(conn, due + timedelta(seconds=1), cfg)
    }
    assert states[written] is SiteState.DUE
    late = await read_site_health(conn, due + timedelta(seconds=grace + 1), cfg)
    health = {h.site_id: h for h in late}
    assert health[written].state is SiteState.LATE and health[written].waiting_for_wake == 2
    assert health[empty].state is SiteState.NOT_ELIGIBLE and health[empty].reason == "no_devices"


async def test_pitfall_07_integer_and_fractional_cadences_both_schedule(
    platform_like_dsn: str, cfg: Settings, conn: Any, isolated_env: Path
) -> None:
    # The platform's integer column (3 h) ...
    platform = load_settings(overrides={"dsn": platform_like_dsn})[0]
    await migrate(Target(dsn=platform_like_dsn), platform)
    async with await AsyncConnection.connect(
        platform_like_dsn, autocommit=True, row_factory=dict_row
    ) as pconn:
        cadence_type = await (
            await pconn.execute(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'sites' AND column_name = 'snapshot_cadence_hours'"
            )
        ).fetchone()
        assert cadence_type is not None and cadence_type["data_type"] == "integer"
        report = await run_tick(pconn, platform, BARN_SESSION_START + 9 * H + timedelta(minutes=3))
    barn = next(o for o in report.outcomes if o.site_id == BARN)
    assert [(w.wake_number, w.start) for w in barn.written] == [
        (2, BARN_SESSION_START + 3 * H),
        (3, BARN_SESSION_START + 6 * H),
    ]
    # ... and snapwatch's numeric column with a quarter hour: distinct, increasing wakes.
    quarter = await one_site(conn, "Quarter", cadence=0.25)
    await add_device(conn, quarter)
    report = await run_tick(conn, cfg, DAY + 2 * H + timedelta(minutes=3))
    wakes = [w.wake_number for w in report.outcomes[0].written]
    assert wakes == list(range(1, 9))


async def test_pitfall_28_the_live_sites_per_day_96_beside_hours_1_is_every_15_minutes(
    platform_like_dsn: str, isolated_env: Path
) -> None:
    platform = load_settings(overrides={"dsn": platform_like_dsn})[0]
    await migrate(Target(dsn=platform_like_dsn), platform)
    async with await AsyncConnection.connect(
        platform_like_dsn, autocommit=True, row_factory=dict_row
    ) as pconn:
        await pconn.execute(
            "UPDATE sites SET snapshot_cadence_hours = 1, snapshot_cadence_per_day = 96"
            " WHERE site_id = %s",
            (BARN,),
        )
        report = await run_tick(pconn, platform, BARN_SESSION_START + 4 * H + timedelta(minutes=3))
        barn = next(o for o in report.outcomes if o.site_id == BARN)
        quarter = timedelta(minutes=15)
        # Wake 1 (06:00-09:00) was written at 3 h; the 15-minute grid continues from it.
        assert [(w.start, w.end) for w in barn.written][:2] == [
            (BARN_SESSION_START + 3 * H, BARN_SESSION_START + 3 * H + quarter),
            (BARN_SESSION_START + 3 * H + quarter, BARN_SESSION_START + 3 * H + 2 * quarter),
        ]
        assert all(w.end - w.start == quarter for w in barn.written)
        doc = await (
            await pconn.execute(
                "SELECT site_state FROM session_wake_snapshots WHERE snapshot_id = %s",
                (barn.written[0].snapshot_id,),
            )
        ).fetchone()
    assert doc is not None
    assert doc["site_state"]["snapshot_metadata"]["cadence_hours"] == 0.25
    assert {
        "device_id": None,
        "field": "snapshot_cadence_hours",
        "value": 1.0,
        "problem": "cadence_column_not_used",
    } in doc["site_state"]["data_quality"]
    status = await asyncio.to_thread(cli, "status", "--dsn", platform_like_dsn)
    assert status.returncode == 0, status.stderr
    assert "snapshot_cadence_per_day = 96 used, snapshot_cadence_hours = 1 disagrees" in " ".join(
        status.stdout.split()
    ), status.stdout
    inspect = await asyncio.to_thread(
        cli, "inspect", "--dsn", platform_like_dsn, "--site", "North barn"
    )
    assert inspect.returncode == 0, inspect.stderr
    assert "cadence_column_not_used" in inspect.stdout, inspect.stdout


def test_pitfall_26_only_documented_columns_are_read_on_a_platform_shaped_database(
    platform_like_dsn: str, isolated_env: Path
) -> None:
    # Extra columns, an enum, integer cadence, no `status` column on devices: every
    # command that reads the platform works on it.
    with psycopg.connect(platform_like_dsn) as c:
        columns = {
            r[0]
            for r in c.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'devices'"
            ).fetchall()
        }
    assert "status" not in columns and "firmware_version" in columns
    assert cli("migrate", "--dsn", platform_like_dsn).returncode == 0
    at = (BARN_SESSION_START + 9 * H + timedelta(minutes=3)).isoformat()
    once = cli("run-once", "--dsn", platform_like_dsn, "--at", at)
    assert once.returncode == 0, once.stderr
    assert "written  North barn" in once.stdout
    status = cli("status", "--dsn", platform_like_dsn)
    assert status.returncode == 0, status.stderr
    inspect = cli("inspect", "--dsn", platform_like_dsn, "--site", "north BARN")
    assert inspect.returncode == 0, inspect.stderr


async def test_pitfall_27_health_comes_from_the_database_never_from_configuration(
    cfg: Settings, conn: Any
) -> None:
    # Configured to tick every minute, but no process ever registered: nothing is "ok".
    assert await read_instances(conn) == []
    status = await asyncio.to_thread(cli, "status", "--dsn", cfg.dsn_value() or "")
    assert "no scheduler" in status.stdout.lower(), status.stdout
    # An instance that ticked once and then stopped heartbeating is down, whatever the
    # configuration says.
    me = await register(conn, "daemon", clock="system", tick_seconds=60)
    now = SystemClock().now()
    await record_tick(
        conn,
        me,
        started=now,
        finished=now,
        next_tick_at=now + 60 * timedelta(seconds=1),
        paused=False,
        error=None,
    )
    [row] = await read_instances(conn)
    assert instance_health(row).state is InstanceState.OK
    await conn.execute(
        "UPDATE snapwatch.scheduler_instances SET heartbeat_at = now() - interval '10 minutes'"
    )
    [row] = await read_instances(conn)
    assert instance_health(row).state is InstanceState.DOWN


@pytest.mark.slow
async def test_pitfall_06_an_old_generator_in_pg_cron_beside_snapwatch_is_a_loud_conflict(
    pgcron_server: Any, isolated_env: Path
) -> None:
    # On Supabase pg_cron lives in the platform's own database: migrate that one.
    dsn = pgcron_server.dsn()
    assert cli("migrate", "--dsn", dsn).returncode == 0
    async with await AsyncConnection.connect(dsn, autocommit=True, row_factory=dict_row) as c:
        await c.execute(FUNCTIONS)
        await c.execute(
            "SELECT cron.schedule('generate-site-snapshots', '0 * * * *',"
            " 'SELECT generate_scheduled_snapshots()')"
        )
        try:
            quiet = await asyncio.to_thread(cli, "status", "--dsn", dsn)
            assert quiet.returncode == 0, quiet.stderr
            assert "CONFLICT" not in quiet.stdout  # nothing of snapwatch's schedules yet
            await live_scheduler(c)
            loud = await asyncio.to_thread(cli, "status", "--dsn", dsn)
            assert loud.returncode == 0, loud.stderr
            first = loud.stdout.splitlines()[0]
            assert "CONFLICT" in first, loud.stdout
            assert (
                "'generate-site-snapshots' → generate_scheduled_snapshots() → "
                "generate_session_wake_snapshot() → INSERT INTO session_wake_snapshots"
            ) in first
            assert "CONFLICT" in loud.stderr
        finally:
            await c.execute("SELECT cron.unschedule(jobid) FROM cron.job")
            await c.execute("DELETE FROM snapwatch.scheduler_instances")
            await c.execute(DROP)


@pytest.mark.slow
async def test_pitfall_29_a_report_snapshot_job_is_not_a_conflict(
    pgcron_server: Any, isolated_env: Path
) -> None:
    dsn = pgcron_server.dsn()
    assert cli("migrate", "--dsn", dsn).returncode == 0
    async with await AsyncConnection.connect(dsn, autocommit=True, row_factory=dict_row) as c:
        await c.execute(FUNCTIONS)
        await c.execute(
            "SELECT cron.schedule('generate-report-snapshots', '*/15 * * * *',"
            " 'SELECT generate_scheduled_report_snapshots()')"
        )
        try:
            await live_scheduler(c)
            status = await asyncio.to_thread(cli, "status", "--dsn", dsn)
            assert status.returncode == 0 and status.stderr == "", status.stderr
            assert "generate-report-snapshots" in status.stdout
            assert "CONFLICT" not in status.stdout and "unschedule" not in status.stdout
        finally:
            await c.execute("SELECT cron.unschedule(jobid) FROM cron.job")
            await c.execute("DELETE FROM snapwatch.scheduler_instances")
            await c.execute(DROP)


async def live_scheduler(conn: Any) -> None:
    """A snapwatch scheduler that has just ticked: snapwatch schedules snapshots."""
    me = await register(conn, "daemon", clock="system", tick_seconds=60)
    now = SystemClock().now()
    await record_tick(
        conn,
        me,
        started=now,
        finished=now,
        next_tick_at=now + timedelta(seconds=60),
        paused=False,
        error=None,
    )
