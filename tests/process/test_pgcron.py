"""pg_cron's schedules and conflicts without a database, then a real pg_cron.

The schedules are :mod:`snapwatch.schedule.pgcron_timing`'s, the jobs, conflicts and reading
:mod:`snapwatch.schedule.pgcron`'s.

The real pg_cron runs in a PostgreSQL 15 cluster of its own (``tests/support/pgcron_server.py``);
without the Debian packages those tests skip, saying what is missing. Its jobs call
functions shaped like the platform's (``tests/support/platform_writers.py``): a conflict is a job
shown to write snapshots, whatever its name.
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
from psycopg import sql
from psycopg.rows import dict_row
from support.pgcron_server import PgCronServer
from support.platform_writers import DROP, FUNCTIONS, schedule

from snapwatch.schedule.evidence import DOES_NOT_WRITE, Evidence, Outcome, unknown
from snapwatch.schedule.pgcron import NOT_INSTALLED, CronJob, CronReport, read_cron
from snapwatch.schedule.pgcron_timing import cron_zone, interval_seconds, is_stuck, next_run

AsyncConn = psycopg.AsyncConnection[dict[str, Any]]

# A Monday.
NOW = datetime(2025, 3, 10, 14, 20, 30, tzinfo=UTC)
INSERT = "INSERT INTO session_wake_snapshots"
WRITES = Evidence(
    Outcome.WRITES,
    ("generate_scheduled_snapshots()", "generate_session_wake_snapshot()", INSERT),
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


def _job(jobid: int, name: str | None, when: str, evidence: Evidence, **changes: Any) -> CronJob:
    job = CronJob(
        jobid=jobid,
        name=name,
        schedule=when,
        command="SELECT 1",
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
        schedule_error=None,
        snapshot_evidence=evidence,
    )
    return replace(job, **changes)


def test_conflicts_are_active_jobs_shown_to_write_snapshots_while_snapwatch_schedules() -> None:
    site_snapshots = _job(8, "generate-site-snapshots", "*/15 * * * *", WRITES)
    jobs = (
        site_snapshots,
        _job(4, "generate-report-snapshots", "*/15 * * * *", DOES_NOT_WRITE),
        _job(5, "paused", "0 * * * *", WRITES, active=False),
        _job(9, "rebuild", "0 3 * * *", Evidence(Outcome.UNKNOWN, ("rebuild()",), "dynamic SQL")),
    )
    report = CronReport(installed=True, readable=True, database="platform", jobs=jobs)
    assert report.conflicts(scheduling=True) == [site_snapshots]
    assert report.conflicts(scheduling=False) == []
    assert report.warning(scheduling=False) is None
    assert report.warning(scheduling=True) == (
        "CONFLICT: a pg_cron job writes snapshots while snapwatch schedules them: "
        "job 8 'generate-site-snapshots' → generate_scheduled_snapshots() → "
        "generate_session_wake_snapshot() → INSERT INTO session_wake_snapshots; "
        "unschedule it with SELECT cron.unschedule(8)"
    )
    assert jobs[1].evidence_line() is None
    assert jobs[3].evidence_line() == (
        "job 9 'rebuild' → rebuild() could not be followed: dynamic SQL"
    )

    direct = Evidence(Outcome.WRITES, (INSERT,))
    two = replace(report, jobs=(*jobs, _job(7, None, "@hourly", direct)))
    warning = two.warning(scheduling=True)
    assert warning is not None and "\n" not in warning
    assert warning.startswith("CONFLICT: 2 pg_cron jobs write snapshots while snapwatch")
    assert "; job 7 → INSERT INTO session_wake_snapshots; " in warning
    assert warning.endswith("SELECT cron.unschedule(8); SELECT cron.unschedule(7)")
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
async def platform_cron(cron_conn: AsyncConn) -> AsyncIterator[AsyncConn]:
    """``cron_conn`` in a database with the platform-shaped functions (dropped after)."""
    await cron_conn.execute(FUNCTIONS)
    yield cron_conn
    await cron_conn.execute(DROP)


async def test_a_role_that_may_not_read_pg_cron_gets_a_note(
    pgcron_server: PgCronServer, cron_conn: AsyncConn
) -> None:
    await schedule(cron_conn, "yearly-vacuum", "@yearly", "VACUUM")
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
    morning = await schedule(cron_conn, "morning", "0 8 * * *", "VACUUM")
    bogus = await schedule(cron_conn, "bogus", "@yearly", "VACUUM")
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


async def test_a_job_is_a_conflict_when_its_functions_are_shown_to_write_snapshots(
    platform_cron: AsyncConn,
) -> None:
    site = await schedule(
        platform_cron,
        "generate-site-snapshots",
        "*/15 * * * *",
        "SELECT generate_scheduled_snapshots();",
    )
    report_job = await schedule(
        platform_cron,
        "generate-report-snapshots",
        "*/15 * * * *",
        "SELECT generate_scheduled_report_snapshots()",
    )
    rebuild = await schedule(
        platform_cron, "rebuild-partitions", "0 3 * * *", "SELECT rebuild_snapshot_partitions()"
    )
    paused = await schedule(
        platform_cron, "paused-generator", "0 * * * *", "SELECT generate_scheduled_snapshots()"
    )
    await platform_cron.execute("UPDATE cron.job SET active = false WHERE jobid = %s", (paused,))
    report = await read_cron(platform_cron, NOW)
    jobs = {j.jobid: j for j in report.jobs}

    assert jobs[site].snapshot_evidence == WRITES and jobs[site].writes_snapshots
    assert jobs[report_job].snapshot_evidence is DOES_NOT_WRITE
    assert jobs[rebuild].snapshot_evidence == Evidence(
        Outcome.UNKNOWN, ("rebuild_snapshot_partitions()",), "dynamic SQL"
    )
    assert jobs[paused].snapshot_evidence is None  # inactive: not followed
    assert [j.jobid for j in report.conflicts(scheduling=True)] == [site]
    assert report.conflicts(scheduling=False) == []
    warning = report.warning(scheduling=True)
    assert warning == (
        "CONFLICT: a pg_cron job writes snapshots while snapwatch schedules them: "
        f"job {site} 'generate-site-snapshots' → generate_scheduled_snapshots() → "
        "generate_session_wake_snapshot() → INSERT INTO session_wake_snapshots; "
        f"unschedule it with SELECT cron.unschedule({site})"
    )
    for other in (report_job, rebuild, paused):
        assert f"cron.unschedule({other})" not in warning
    assert jobs[rebuild].evidence_line() == (
        f"job {rebuild} 'rebuild-partitions' → rebuild_snapshot_partitions() "
        "could not be followed: dynamic SQL"
    )


async def test_a_job_of_another_database_is_not_followed_there(platform_cron: AsyncConn) -> None:
    elsewhere = await schedule(
        platform_cron, "elsewhere", "0 * * * *", "SELECT generate_scheduled_snapshots()"
    )
    await platform_cron.execute(
        "UPDATE cron.job SET database = 'staging' WHERE jobid = %s", (elsewhere,)
    )
    [job] = (await read_cron(platform_cron, NOW)).jobs
    assert job.snapshot_evidence == unknown("it runs in database 'staging'")
    assert not job.writes_snapshots


@pytest.mark.slow
async def test_real_pg_cron_jobs_and_runs(cron_conn: AsyncConn) -> None:
    before = datetime.now(UTC)
    ok = await schedule(cron_conn, "snapwatch-ok", "* * * * *", "SELECT 1")
    failing = await schedule(cron_conn, "snapwatch-fails", "* * * * *", "SELECT 1/0")
    # The old generator does not exist here, so the job fails, as it would after a cleanup:
    # what it would have written cannot be shown.
    legacy = await schedule(
        cron_conn,
        "legacy-snapshots",
        "* * * * *",
        "SELECT generate_session_wake_snapshot(s.session_id) FROM site_device_sessions s",
    )
    paused = await schedule(cron_conn, "legacy-paused", "*/60 * * * *", "SELECT 2")
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
    assert jobs[ok].snapshot_evidence is DOES_NOT_WRITE
    assert jobs[failing].last_status == "failed"
    assert jobs[failing].last_message == "ERROR: division by zero"
    assert jobs[legacy].last_status == "failed"
    assert jobs[legacy].snapshot_evidence == unknown(
        "generate_session_wake_snapshot() is not a function of this database"
    )
    assert not jobs[paused].active and jobs[paused].next_run is None
    assert jobs[paused].last_status is None
    assert report.conflicts(scheduling=True) == []
    assert report.warning(scheduling=True) is None
