"""snapwatch.pgcron: schedules and conflicts without a database, then a real pg_cron.

The real pg_cron runs in a PostgreSQL 15 cluster of its own (``tests/pgcron_server.py``);
without the Debian packages those tests skip, saying what is missing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from pgcron_server import PgCronServer
from psycopg import sql
from psycopg.rows import dict_row

from snapwatch.pgcron import (
    NOT_INSTALLED,
    CronJob,
    CronReport,
    calls_old_generator,
    cron_zone,
    interval_seconds,
    is_stuck,
    next_run,
    old_generator,
    read_cron,
)

AsyncConn = psycopg.AsyncConnection[dict[str, Any]]

# A Monday.
NOW = datetime(2025, 3, 10, 14, 20, 30, tzinfo=UTC)
OLD_COMMAND = (
    "SELECT generate_session_wake_snapshot(s.session_id) FROM site_device_sessions s "
    "WHERE s.status = 'in_progress'"
)


# --- schedules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("* * * * *", datetime(2025, 3, 10, 14, 21, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2025, 3, 10, 14, 30, tzinfo=UTC)),
        # Vixie cron (and so pg_cron) takes a step beyond the range: minute 0 only.
        ("*/60 * * * *", datetime(2025, 3, 10, 15, 0, tzinfo=UTC)),
        ("0 8,16 * * *", datetime(2025, 3, 10, 16, 0, tzinfo=UTC)),
        # Crontab weekdays count from Sunday (0 or 7), not APScheduler 3's Monday.
        ("0 8 * * 1", datetime(2025, 3, 17, 8, 0, tzinfo=UTC)),
        ("0 8 * * 0", datetime(2025, 3, 16, 8, 0, tzinfo=UTC)),
        ("0 8 * * 7", datetime(2025, 3, 16, 8, 0, tzinfo=UTC)),
        ("0 8 * * sun", datetime(2025, 3, 16, 8, 0, tzinfo=UTC)),
        ("30 3 * * mon-fri", datetime(2025, 3, 11, 3, 30, tzinfo=UTC)),
        # Both day fields restricted: the 13th or a Friday, whichever comes first.
        ("0 0 13 * 5", datetime(2025, 3, 13, 0, 0, tzinfo=UTC)),
        ("0 0 20 * 5", datetime(2025, 3, 14, 0, 0, tzinfo=UTC)),
        ("0 0 $ * *", datetime(2025, 3, 31, 0, 0, tzinfo=UTC)),
        ("0 0 1 jan *", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)),
        ("@hourly", datetime(2025, 3, 10, 15, 0, tzinfo=UTC)),
        ("@daily", datetime(2025, 3, 11, 0, 0, tzinfo=UTC)),
        ("@midnight", datetime(2025, 3, 11, 0, 0, tzinfo=UTC)),
        ("@weekly", datetime(2025, 3, 16, 0, 0, tzinfo=UTC)),
        ("@monthly", datetime(2025, 4, 1, 0, 0, tzinfo=UTC)),
        ("@yearly", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)),
        ("@annually", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)),
        ("@reboot", None),
        ("10 seconds", NOW + timedelta(seconds=10)),
        ("1 second", NOW + timedelta(seconds=1)),
    ],
)
def test_next_run_reads_schedules_as_pg_cron_does(schedule: str, expected: datetime | None) -> None:
    assert next_run(schedule, NOW) == expected


def test_match_dom_and_dow_requires_both_day_fields() -> None:
    # cron.match_dom_and_dow (pg_cron 1.6.5+): the 13th that is a Friday.
    assert next_run("0 0 13 * 5", NOW, match_dom_and_dow=True) == datetime(2025, 6, 13, tzinfo=UTC)
    assert interval_seconds("0 0 13 * 5", NOW) == 86400  # Thursday 13th, Friday 14th


def test_next_run_is_strictly_after_and_in_utc() -> None:
    on_the_dot = datetime(2025, 3, 10, 14, 30, tzinfo=UTC)
    assert next_run("*/15 * * * *", on_the_dot) == datetime(2025, 3, 10, 14, 45, tzinfo=UTC)
    helsinki = next_run("0 8 * * *", NOW, ZoneInfo("Europe/Helsinki"))
    assert helsinki == datetime(2025, 3, 11, 6, 0, tzinfo=UTC)  # 08:00 EET
    assert helsinki is not None and helsinki.utcoffset() == timedelta(0)
    summer = datetime(2025, 7, 1, tzinfo=UTC)
    assert next_run("0 8 * * *", summer, ZoneInfo("Europe/Helsinki")) == datetime(
        2025, 7, 1, 5, 0, tzinfo=UTC
    )  # 08:00 EEST


def test_cron_timezone_setting() -> None:
    assert cron_zone(None) is UTC  # pg_cron before 1.5 has no cron.timezone
    assert cron_zone("GMT") is UTC
    assert cron_zone("Europe/Helsinki") == ZoneInfo("Europe/Helsinki")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        cron_zone("Mars/Olympus")


@pytest.mark.parametrize(
    "schedule",
    ["61 * * * *", "1/5 * * * *", "* * * *", "0 seconds", "60 seconds", "@often", "* * * * 8"],
)
def test_schedules_pg_cron_would_refuse_raise_value_error(schedule: str) -> None:
    with pytest.raises(ValueError):
        next_run(schedule, NOW)


def test_interval_is_the_time_between_the_next_two_fire_times() -> None:
    assert interval_seconds("*/15 * * * *", NOW) == 900
    assert interval_seconds("*/60 * * * *", NOW) == 3600
    assert interval_seconds("0 8,16 * * *", NOW) == 16 * 3600  # 16:00, then 08:00
    assert interval_seconds("@weekly", NOW) == 7 * 86400
    assert interval_seconds("30 seconds", NOW) == 30
    assert interval_seconds("@reboot", NOW) is None


def test_stuck_is_an_unfinished_run_older_than_the_interval() -> None:
    long_ago = NOW - timedelta(minutes=2)
    assert is_stuck("running", long_ago, 60, NOW)
    assert is_stuck("sending", long_ago, 60, NOW)
    assert not is_stuck("running", NOW - timedelta(seconds=30), 60, NOW)
    assert not is_stuck("failed", long_ago, 60, NOW)
    assert not is_stuck("succeeded", long_ago, 60, NOW)
    assert not is_stuck("starting", None, 60, NOW)  # no start time yet
    assert not is_stuck("running", long_ago, None, NOW)  # @reboot
    assert not is_stuck(None, None, 60, NOW)


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (OLD_COMMAND, "generate_session_wake_snapshot"),
        ("select public.trigger_snapshot_generation()", "trigger_snapshot_generation"),
        ("SELECT generate_site_snapshot(id) FROM sites", "generate_site_snapshot"),
        ("DO $$ BEGIN PERFORM Generate_Wake_Snapshot (1); END $$", "Generate_Wake_Snapshot"),
        ("SELECT create_hourly_snapshots_v2 (now())", "create_hourly_snapshots_v2"),
        ("VACUUM", None),
        ("SELECT 1", None),
        ("DELETE FROM cron.job_run_details WHERE end_time < now() - interval '7 days'", None),
        ("SELECT generate_series(1, 10)", None),
        ("SELECT refresh_snapshot_stats()", None),
        ("SELECT snapwatch_generate_snapshot()", None),
    ],
)
def test_old_generator_calls_are_recognised(command: str, name: str | None) -> None:
    assert old_generator(command) == name
    assert calls_old_generator(command) is (name is not None)


def _job(jobid: int, name: str | None, schedule: str, command: str, **changes: Any) -> CronJob:
    job = CronJob(
        jobid=jobid,
        name=name,
        schedule=schedule,
        command=command,
        database="platform",
        username="postgres",
        active=True,
        last_status=None,
        last_start=None,
        last_end=None,
        last_duration_seconds=None,
        last_message=None,
        last_pid=None,
        next_run=None,
        stuck=False,
        interval_seconds=None,
        calls_old_generator=calls_old_generator(command),
        schedule_error=None,
    )
    return replace(job, **changes)


def test_conflicts_are_active_old_generators_of_this_database_while_snapwatch_schedules() -> None:
    legacy = _job(3, "legacy-snapshots", "*/60 * * * *", OLD_COMMAND)
    jobs = (
        legacy,
        _job(4, "vacuum", "0 3 * * *", "VACUUM"),
        _job(5, "paused", "0 * * * *", "select trigger_snapshot_generation()", active=False),
        _job(6, None, "0 * * * *", "select trigger_snapshot_generation()", database="staging"),
    )
    report = CronReport(installed=True, readable=True, database="platform", jobs=jobs)
    assert report.conflicts(scheduling=True) == [legacy]
    assert report.conflicts(scheduling=False) == []
    assert report.warning(scheduling=False) is None
    assert report.warning(scheduling=True) == (
        "CONFLICT: pg_cron job 3 'legacy-snapshots' (*/60 * * * *) still runs "
        "generate_session_wake_snapshot() while snapwatch schedules snapshots: "
        "unschedule it with SELECT cron.unschedule(3)"
    )

    two = replace(
        report, jobs=(*jobs, _job(7, None, "@hourly", "SELECT generate_site_snapshot(1)"))
    )
    warning = two.warning(scheduling=True)
    assert warning is not None and "\n" not in warning
    assert warning.startswith("CONFLICT: 2 pg_cron jobs still run old snapshot generators")
    assert "job 7 (@hourly) runs generate_site_snapshot()" in warning
    assert warning.endswith("SELECT cron.unschedule(3); SELECT cron.unschedule(7)")
    assert CronReport(installed=False).warning(scheduling=True) is None


# --- a database without pg_cron ----------------------------------------------------------


async def test_a_database_without_pg_cron_says_so(fresh_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(
        fresh_dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        report = await read_cron(conn, NOW)
    assert not report.installed and not report.readable
    assert report.jobs == ()
    assert report.note is not None and report.note.startswith(NOT_INSTALLED)
    assert report.warning(scheduling=True) is None


# --- a real pg_cron ----------------------------------------------------------------------


@pytest.fixture
async def cron_conn(pgcron_server: PgCronServer) -> AsyncIterator[AsyncConn]:
    """A superuser connection to the pg_cron database; every job is unscheduled after."""
    async with await psycopg.AsyncConnection.connect(
        pgcron_server.dsn(), autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn
        await conn.execute("SELECT cron.unschedule(jobid) FROM cron.job")


async def _schedule(conn: AsyncConn, name: str, schedule: str, command: str) -> int:
    cur = await conn.execute("SELECT cron.schedule(%s, %s, %s) AS jobid", (name, schedule, command))
    row = await cur.fetchone()
    assert row is not None
    return int(row["jobid"])


async def test_a_role_that_may_not_read_pg_cron_gets_a_note(
    pgcron_server: PgCronServer, cron_conn: AsyncConn
) -> None:
    await _schedule(cron_conn, "yearly-vacuum", "@yearly", "VACUUM")
    role = f"cron_reader_{os.getpid()}"
    await cron_conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        async with await psycopg.AsyncConnection.connect(
            pgcron_server.dsn(user=role), autocommit=True, row_factory=dict_row
        ) as conn:
            report = await read_cron(conn, NOW)
            assert report.installed and not report.readable
            assert report.note is not None
            assert report.note.startswith("pg_cron is installed but not readable: ")
            assert "permission denied for schema cron" in report.note

            grant = sql.SQL("GRANT USAGE ON SCHEMA cron TO {}").format(sql.Identifier(role))
            await cron_conn.execute(grant)
            report = await read_cron(conn, NOW)
            assert report.readable and report.jobs == ()  # the job is the superuser's
            assert report.note == (
                "pg_cron's settings are not readable by this role: next runs assume GMT; "
                f"only the jobs of role {role!r} are visible (row-level security)"
            )
    finally:
        await cron_conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        await cron_conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


async def test_another_database_of_the_pg_cron_server_names_where_pg_cron_is(
    pgcron_server: PgCronServer, cron_conn: AsyncConn
) -> None:
    name = f"platform_{os.getpid()}"
    await cron_conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        async with await psycopg.AsyncConnection.connect(
            pgcron_server.dsn(name), autocommit=True, row_factory=dict_row
        ) as conn:
            report = await read_cron(conn, NOW)
        assert not report.installed
        assert report.note == f"{NOT_INSTALLED} (cron.database_name is 'postgres')"
    finally:
        drop = sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
        await cron_conn.execute(drop)


async def test_next_runs_follow_cron_timezone_and_bad_schedules_are_reported(
    cron_conn: AsyncConn,
) -> None:
    morning = await _schedule(cron_conn, "morning", "0 8 * * *", "VACUUM")
    bogus = await _schedule(cron_conn, "bogus", "@yearly", "VACUUM")
    await cron_conn.execute(
        "UPDATE cron.job SET schedule = 'every full moon' WHERE jobid = %s", (bogus,)
    )
    # pg_cron 1.4 has no cron.timezone (1.5 added it): a session setting stands in for it.
    await cron_conn.execute("SET cron.timezone = 'Europe/Helsinki'")
    report = await read_cron(cron_conn, NOW)
    await cron_conn.execute("RESET cron.timezone")
    jobs = {j.jobid: j for j in report.jobs}
    assert report.timezone == "Europe/Helsinki"
    assert jobs[morning].next_run == datetime(2025, 3, 11, 6, 0, tzinfo=UTC)
    error = jobs[bogus].schedule_error
    assert error is not None and "every full moon" in error
    assert jobs[bogus].next_run is None and jobs[bogus].interval_seconds is None


async def _wait_for_runs(conn: AsyncConn, jobids: list[int], timeout: float) -> None:
    """Until every job has an ended run (pg_cron 1.4 fires on minute boundaries)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cur = await conn.execute(
            "SELECT count(DISTINCT jobid) AS n FROM cron.job_run_details "
            "WHERE jobid = ANY(%s) AND end_time IS NOT NULL",
            (jobids,),
        )
        row = await cur.fetchone()
        if row is not None and row["n"] == len(jobids):
            return
        await asyncio.sleep(0.5)
    pytest.fail(f"pg_cron did not run jobs {jobids} within {timeout:.0f} s")


@pytest.mark.slow
async def test_real_pg_cron_jobs_runs_and_conflicts(cron_conn: AsyncConn) -> None:
    before = datetime.now(UTC)
    ok = await _schedule(cron_conn, "snapwatch-ok", "* * * * *", "SELECT 1")
    failing = await _schedule(cron_conn, "snapwatch-fails", "* * * * *", "SELECT 1/0")
    # The old generator does not exist here, so the job fails, as it would after a cleanup.
    legacy = await _schedule(cron_conn, "legacy-snapshots", "* * * * *", OLD_COMMAND)
    paused = await _schedule(
        cron_conn, "legacy-paused", "*/60 * * * *", "select public.trigger_snapshot_generation()"
    )
    await cron_conn.execute("UPDATE cron.job SET active = false WHERE jobid = %s", (paused,))
    await _wait_for_runs(cron_conn, [ok, failing, legacy], timeout=75)

    now = datetime.now(UTC)
    report = await read_cron(cron_conn, now)
    assert report.installed and report.readable and report.run_details
    assert report.database == "postgres" and report.timezone == "GMT"
    assert report.version and report.note is None
    jobs = {j.jobid: j for j in report.jobs}
    assert set(jobs) == {ok, failing, legacy, paused}

    next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for jobid in (ok, failing, legacy):
        job = jobs[jobid]
        assert job.active and job.interval_seconds == 60 and not job.stuck
        assert job.next_run == next_minute
        assert job.last_start is not None and job.last_end is not None
        assert before - timedelta(seconds=1) <= job.last_start <= job.last_end <= now
        assert job.last_duration_seconds is not None
        assert 0 <= job.last_duration_seconds < 30
        assert job.last_pid is not None and job.schedule_error is None

    assert jobs[ok].name == "snapwatch-ok" and jobs[ok].last_status == "succeeded"
    assert jobs[ok].last_message == "SELECT 1"
    assert jobs[failing].last_status == "failed"
    assert jobs[failing].last_message == "ERROR: division by zero"
    assert jobs[legacy].last_status == "failed" and jobs[legacy].calls_old_generator
    assert not jobs[paused].active and jobs[paused].next_run is None
    assert jobs[paused].last_status is None and jobs[paused].calls_old_generator

    assert [j.jobid for j in report.conflicts(scheduling=True)] == [legacy]
    assert report.conflicts(scheduling=False) == []
    warning = report.warning(scheduling=True)
    assert warning == (
        f"CONFLICT: pg_cron job {legacy} 'legacy-snapshots' (* * * * *) still runs "
        "generate_session_wake_snapshot() while snapwatch schedules snapshots: "
        f"unschedule it with SELECT cron.unschedule({legacy})"
    )
