"""pg_cron seen from snapwatch: its jobs, their latest runs, and jobs that write snapshots.

Before snapwatch, platforms generated snapshots with pg_cron jobs calling SQL functions
(``generate_scheduled_snapshots()`` → ``generate_session_wake_snapshot()``). The health
view lists the database's pg_cron jobs and warns loudly when an active one still writes
``session_wake_snapshots`` while snapwatch itself schedules snapshots: two writers of the
same snapshots. What a job writes is shown from its code, never guessed from its name
(:mod:`snapwatch.schedule.other_writers`): each active job of this database carries the
evidence, and only a job shown to write snapshots is a conflict, with the chain of calls
as evidence and ``SELECT cron.unschedule(<jobid>)`` as the advice. A job that could not be
followed (dynamic SQL, say) is reported as unknown, never as a conflict.

:func:`read_cron` reads ``cron.job`` with the latest ``cron.job_run_details`` row of every
job in one query (after a probe of the catalogs), then follows the commands of the active
jobs, and never raises for a database without pg_cron, or whose pg_cron this role may not
read: the report says so in ``note``. Each job's next run, interval and whether its run
is stuck come from its schedule, read the way pg_cron reads it
(:mod:`snapwatch.schedule.pgcron_timing`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

import psycopg
from psycopg import errors

from snapwatch.schedule.evidence import Evidence, unknown
from snapwatch.schedule.other_writers import follow_commands
from snapwatch.schedule.pgcron_timing import (
    cron_zone,
    is_stuck,
    parse_schedule,
    plan_interval,
    require_aware,
    upcoming_run,
)
from snapwatch.text.lines import one_line

NOT_INSTALLED = "pg_cron is not installed in this database"
MESSAGE_CHARS = 200


@dataclass(frozen=True, slots=True)
class CronJob:
    """One row of ``cron.job`` with its latest run. Times are UTC."""

    jobid: int
    name: str | None
    schedule: str
    command: str
    database: str
    username: str
    active: bool
    last_status: str | None
    """``succeeded``, ``failed``, one of
    :data:`~snapwatch.schedule.pgcron_timing.ACTIVE_STATUSES`, or None: no run known."""
    last_start: datetime | None
    last_end: datetime | None
    last_duration_seconds: float | None
    last_message: str | None
    """``return_message`` on one line, at most :data:`MESSAGE_CHARS` characters."""
    last_pid: int | None
    next_run: datetime | None
    """None for an inactive job, ``@reboot`` or an unreadable schedule."""
    stuck: bool
    interval_seconds: float | None
    schedule_error: str | None
    snapshot_evidence: Evidence | None = None
    """What the command does with ``session_wake_snapshots``, shown from its code; None
    for an inactive job (not followed)."""

    @property
    def label(self) -> str:
        """``job 8 'generate-site-snapshots'``."""
        name = f" {self.name!r}" if self.name else ""
        return f"job {self.jobid}{name}"

    @property
    def writes_snapshots(self) -> bool:
        return self.snapshot_evidence is not None and self.snapshot_evidence.writes

    def evidence_line(self) -> str | None:
        """The chain that shows it writes snapshots, or why it could not be followed;
        None when it was shown not to write (or not followed)."""
        evidence = self.snapshot_evidence
        if evidence is None or not (evidence.writes or evidence.unknown):
            return None
        return evidence.describe(self.label)


@dataclass(frozen=True, slots=True)
class CronReport:
    """pg_cron in one database: whether it is there, whether this role may read it (else
    ``note`` says why not), and its jobs ordered by jobid."""

    installed: bool
    readable: bool = False
    version: str | None = None
    database: str | None = None
    """The database read (``current_database()``)."""
    timezone: str = "GMT"
    """``cron.timezone`` as pg_cron uses it; next runs are computed in it."""
    jobs: tuple[CronJob, ...] = ()
    run_details: bool = False
    """Whether ``cron.job_run_details`` exists (pg_cron 1.3+); without it last runs are
    unknown."""
    note: str | None = None

    def conflicts(self, scheduling: bool) -> list[CronJob]:
        """Active jobs shown to write snapshots, when snapwatch is the one scheduling
        snapshots (else none: then the old job is the scheduler)."""
        if not scheduling:
            return []
        return [j for j in self.jobs if j.active and j.writes_snapshots]

    def warning(self, scheduling: bool) -> str | None:
        """One loud line: each conflicting job with the chain that shows it writes
        snapshots, and how to unschedule it."""
        jobs = self.conflicts(scheduling)
        if not jobs:
            return None
        chains = "; ".join(line for j in jobs if (line := j.evidence_line()))
        fix = "; ".join(f"SELECT cron.unschedule({j.jobid})" for j in jobs)
        if len(jobs) == 1:
            return (
                "CONFLICT: a pg_cron job writes snapshots while snapwatch schedules them: "
                f"{chains}; unschedule it with {fix}"
            )
        return (
            f"CONFLICT: {len(jobs)} pg_cron jobs write snapshots while snapwatch schedules "
            f"them: {chains}; unschedule them with {fix}"
        )


# pg_cron's settings are superuser-only: reading one without pg_read_all_settings raises,
# even with missing_ok, so they are read only when allowed (CASE does not evaluate the rest).
_PROBE = """
WITH s AS (SELECT pg_has_role('pg_read_all_settings', 'USAGE') AS readable)
SELECT current_database() AS database,
       current_user AS role,
       (SELECT extversion FROM pg_extension WHERE extname = 'pg_cron') AS version,
       s.readable AS settings_readable,
       CASE WHEN s.readable THEN current_setting('cron.timezone', true) END AS timezone,
       CASE WHEN s.readable THEN current_setting('cron.database_name', true) END
           AS cron_database,
       CASE WHEN s.readable THEN current_setting('cron.log_run', true) END AS log_run,
       CASE WHEN s.readable THEN current_setting('cron.match_dom_and_dow', true) END
           AS match_dom_and_dow,
       EXISTS (
           SELECT FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
           WHERE n.nspname = 'cron' AND c.relname = 'job_run_details'
       ) AS run_details,
       COALESCE((SELECT r.rolbypassrls FROM pg_roles AS r WHERE r.rolname = current_user), false)
       OR COALESCE((
           SELECT pg_has_role(c.relowner, 'USAGE')
           FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
           WHERE n.nspname = 'cron' AND c.relname = 'job'
       ), false) AS sees_all
FROM s
"""

# to_jsonb(j): every column the installed version has (jobname and active are not in all).
_JOBS_WITH_LAST_RUN = """
SELECT to_jsonb(j) AS job, r.job_pid, r.status, r.return_message, r.start_time, r.end_time
FROM cron.job AS j
LEFT JOIN LATERAL (
    SELECT d.job_pid, d.status, d.return_message, d.start_time, d.end_time
    FROM cron.job_run_details AS d
    WHERE d.jobid = j.jobid
    ORDER BY d.runid DESC
    LIMIT 1
) AS r ON true
ORDER BY j.jobid
"""

_JOBS = """
SELECT to_jsonb(j) AS job, NULL::integer AS job_pid, NULL::text AS status,
       NULL::text AS return_message, NULL::timestamptz AS start_time,
       NULL::timestamptz AS end_time
FROM cron.job AS j
ORDER BY j.jobid
"""


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _job(row: dict[str, Any], zone: tzinfo, dom_and_dow: bool, now: datetime) -> CronJob:
    job: dict[str, Any] = row["job"]
    schedule = str(job.get("schedule") or "")
    active = bool(job.get("active", True))
    start, end = _utc(row["start_time"]), _utc(row["end_time"])
    status: str | None = row["status"]
    interval: float | None = None
    upcoming: datetime | None = None
    schedule_error: str | None = None
    try:
        plan = parse_schedule(schedule, zone, dom_and_dow)
    except ValueError as exc:
        schedule_error = one_line(str(exc), MESSAGE_CHARS)
    else:
        interval = plan_interval(plan, now)
        upcoming = upcoming_run(plan, now, start) if active else None
    message: str | None = row["return_message"]
    return CronJob(
        jobid=int(job["jobid"]),
        name=job.get("jobname"),
        schedule=schedule,
        command=str(job.get("command") or ""),
        database=str(job.get("database") or ""),
        username=str(job.get("username") or ""),
        active=active,
        last_status=status,
        last_start=start,
        last_end=end,
        last_duration_seconds=(end - start).total_seconds() if start and end else None,
        last_message=one_line(message, MESSAGE_CHARS) if message is not None else None,
        last_pid=row["job_pid"],
        next_run=upcoming,
        stuck=is_stuck(status, start, interval, now),
        interval_seconds=interval,
        schedule_error=schedule_error,
    )


async def read_cron(conn: psycopg.AsyncConnection[dict[str, Any]], now: datetime) -> CronReport:
    """What pg_cron in this database does, as of ``now``; never raises for a database
    without pg_cron or a role that may not read it."""
    now = require_aware(now).astimezone(UTC)
    cur = await conn.execute(_PROBE)
    probe = await cur.fetchone()
    assert probe is not None
    database: str = probe["database"]
    if probe["version"] is None:
        elsewhere = probe["cron_database"]
        where = f" (cron.database_name is {elsewhere!r})" if elsewhere else ""
        return CronReport(installed=False, database=database, note=NOT_INSTALLED + where)
    notes: list[str] = []
    both = probe["match_dom_and_dow"] == "on"
    try:
        zone = cron_zone(probe["timezone"])
    except ValueError:
        zone = UTC
        notes.append(f"cron.timezone {probe['timezone']!r} is unknown here: next runs in UTC")
    report = CronReport(
        installed=True,
        version=probe["version"],
        database=database,
        timezone=probe["timezone"] or "GMT",
        run_details=probe["run_details"],
    )
    try:
        async with conn.transaction():
            cur = await conn.execute(_JOBS_WITH_LAST_RUN if probe["run_details"] else _JOBS)
            rows = await cur.fetchall()
    except errors.InsufficientPrivilege as exc:
        note = f"pg_cron is installed but not readable: {one_line(str(exc), MESSAGE_CHARS)}"
        return replace(report, note=note)
    if not probe["settings_readable"]:
        notes.append("pg_cron's settings are not readable by this role: next runs assume GMT")
    if not probe["sees_all"]:
        notes.append(f"only the jobs of role {probe['role']!r} are visible (row-level security)")
    if not probe["run_details"]:
        notes.append("no cron.job_run_details in this pg_cron version: last runs unknown")
    elif probe["log_run"] == "off":
        notes.append("cron.log_run is off: pg_cron records no runs")
    jobs = await _with_evidence(conn, [_job(row, zone, both, now) for row in rows], database)
    return replace(report, readable=True, jobs=jobs, note="; ".join(notes) or None)


async def _with_evidence(
    conn: psycopg.AsyncConnection[dict[str, Any]], jobs: list[CronJob], database: str
) -> tuple[CronJob, ...]:
    """The jobs with what their commands do with snapshots: the active jobs of this
    database are followed (together), a job of another database is unknown (its functions
    are not this database's), an inactive one is not followed."""
    here = [j for j in jobs if j.active and j.database == database]
    followed = await follow_commands(conn, [j.command for j in here])
    found = {j.jobid: e for j, e in zip(here, followed, strict=True)}

    def evidence(job: CronJob) -> Evidence | None:
        if not job.active:
            return None
        if job.jobid in found:
            return found[job.jobid]
        return unknown(f"it runs in database {job.database!r}")

    return tuple(replace(j, snapshot_evidence=evidence(j)) for j in jobs)
