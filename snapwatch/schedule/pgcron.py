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
read: the report says so in ``note``.

pg_cron stores no "next run"; snapwatch computes it with APScheduler's ``CronTrigger`` in
pg_cron's ``cron.timezone`` (GMT when unset). Schedules are read the way pg_cron reads
them: five crontab fields (day of week 0 or 7 is Sunday, names allowed, ``$`` as day of
month is the month's last day, and when both day of month and day of week are restricted
either one matching fires, as in Vixie cron), ``N seconds`` (1-59, pg_cron 1.5+: N seconds
after the previous start) and the macros ``@yearly``/``@annually``, ``@monthly``,
``@weekly``, ``@daily``/``@midnight``, ``@hourly`` and ``@reboot`` (no next run). Around a
DST change in a non-UTC ``cron.timezone`` the computed next run is CronTrigger's and may be
off by the shift. The pure helpers (:func:`next_run`, :func:`interval_seconds`,
:func:`is_stuck`) need no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from psycopg import errors

from snapwatch.schedule.evidence import Evidence, unknown
from snapwatch.schedule.other_writers import follow_commands
from snapwatch.schedule.scheduler import crontab_trigger

ACTIVE_STATUSES = frozenset({"starting", "connecting", "sending", "running"})
"""``cron.job_run_details.status`` values of a run that has not ended; the others are
``succeeded`` and ``failed``."""

NOT_INSTALLED = "pg_cron is not installed in this database"
MESSAGE_CHARS = 200

_MACROS = {
    "yearly": "0 0 1 1 *",
    "annually": "0 0 1 1 *",
    "monthly": "0 0 1 * *",
    "weekly": "0 0 * * 0",
    "daily": "0 0 * * *",
    "midnight": "0 0 * * *",
    "hourly": "0 * * * *",
}
_REBOOT = frozenset({"reboot", "restart"})
_SECONDS = re.compile(r"\s*(\d+)\s*seconds?\s*", re.I)
# Crontab numbers days from Sunday (0 and 7); APScheduler 3 numbers them from Monday, so
# days of week are handed to it as names.
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


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
    """``succeeded``, ``failed``, one of :data:`ACTIVE_STATUSES`, or None: no run known."""
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


# --- schedules ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """A parsed schedule: fires when any trigger fires, or every ``every`` after the
    previous start; neither for ``@reboot``."""

    triggers: tuple[Any, ...] = ()
    every: timedelta | None = None


def _number(text: str, lo: int, names: tuple[str, ...]) -> int:
    low = text.lower()
    if low in names:
        return names.index(low) + lo
    if low.isascii() and low.isdigit():
        return int(low)
    raise ValueError(f"bad value {text!r}")


def _expand(field: str, lo: int, hi: int, names: tuple[str, ...] = ()) -> list[int]:
    """The values of one crontab field, as Vixie cron (and so pg_cron) reads it: ``*``,
    ``n``, ``a-b``, ``*/s`` or ``a-b/s`` (any step ≥ 1, even beyond the range) and lists."""
    values: set[int] = set()
    for part in field.split(","):
        body, slash, step_text = part.partition("/")
        first, dash, last = body.partition("-")
        if body == "*":
            start, stop = lo, hi
        elif dash:
            start, stop = _number(first, lo, names), _number(last, lo, names)
        elif slash:
            raise ValueError(f"a step needs a range or *: {part!r}")
        else:
            start = stop = _number(body, lo, names)
        step = _number(step_text, 0, ()) if slash else 1
        if step < 1 or not lo <= start <= hi or not lo <= stop <= hi:
            raise ValueError(f"{part!r} is outside {lo}-{hi}")
        values.update(range(start, stop + 1, step))
    if not values:
        raise ValueError(f"{field!r} matches nothing")
    return sorted(values)


def _ranges(values: list[int]) -> str:
    """``[0, 1, 2, 5]`` as ``0-2,5``, for APScheduler."""
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _crontab(fields: list[str]) -> tuple[str, str, str, str, str]:
    """Five pg_cron fields as APScheduler ``from_crontab`` fields meaning the same."""
    minute, hour, dom, month, dow = fields

    def field(text: str, lo: int, hi: int, names: tuple[str, ...] = ()) -> str:
        return "*" if text == "*" else _ranges(_expand(text, lo, hi, names))

    days = "*" if dow == "*" else ",".join(_DAYS[d % 7] for d in _expand(dow, 0, 7, _DAYS))
    return (
        field(minute, 0, 59),
        field(hour, 0, 23),
        "last" if dom == "$" else field(dom, 1, 31),
        field(month, 1, 12, _MONTHS),
        days,
    )


@lru_cache(maxsize=512)
def _plan(schedule: str, tz: tzinfo, dom_and_dow: bool = False) -> _Plan:
    text = schedule.strip()
    if match := _SECONDS.fullmatch(text):
        seconds = int(match.group(1))
        if not 1 <= seconds <= 59:
            raise ValueError(f"interval schedules take 1-59 seconds: {schedule!r}")
        return _Plan(every=timedelta(seconds=seconds))
    if text.startswith("@"):
        word = text[1:].lower()
        if word in _REBOOT:
            return _Plan()
        if word not in _MACROS:
            raise ValueError(f"unknown schedule macro {schedule!r}")
        text = _MACROS[word]
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"not five crontab fields, 'N seconds' or an @macro: {schedule!r}")
    try:
        minute, hour, dom, month, dow = _crontab(fields)

        def trigger(day: str, weekday: str) -> Any:
            expr = f"{minute} {hour} {day} {month} {weekday}"
            return crontab_trigger(expr, tz)

        # Both day fields restricted: either one matching fires (Vixie cron's rule), unless
        # cron.match_dom_and_dow (pg_cron 1.6.5+) asks for both.
        if dom_and_dow or fields[2].startswith("*") or fields[4].startswith("*"):
            return _Plan(triggers=(trigger(dom, dow),))
        return _Plan(triggers=(trigger(dom, "*"), trigger("*", dow)))
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"bad schedule {schedule!r}: {exc}") from exc


def _next_fire(plan: _Plan, after: datetime) -> datetime | None:
    # CronTrigger returns the first whole second at or after its start: start just after.
    start = after + timedelta(microseconds=1)
    fires: list[datetime] = []
    for trigger in plan.triggers:
        fire: datetime | None = trigger.get_next_fire_time(None, start)
        if fire is not None:
            fires.append(fire.astimezone(UTC))
    return min(fires, default=None)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return at


def next_run(
    schedule: str, after: datetime, tz: tzinfo = UTC, *, match_dom_and_dow: bool = False
) -> datetime | None:
    """The first fire time strictly after ``after``, in UTC; None for ``@reboot``.

    For ``N seconds`` it is ``after`` plus N: pass the previous start as ``after``.
    Raises ValueError for a schedule pg_cron would not accept.
    """
    plan = _plan(schedule, tz, match_dom_and_dow)
    if plan.every is not None:
        return _aware(after) + plan.every
    return _next_fire(plan, _aware(after))


def interval_seconds(
    schedule: str, after: datetime, tz: tzinfo = UTC, *, match_dom_and_dow: bool = False
) -> float | None:
    """Seconds between the next two fire times after ``after``; None for ``@reboot``."""
    return _interval(_plan(schedule, tz, match_dom_and_dow), _aware(after))


def _interval(plan: _Plan, after: datetime) -> float | None:
    if plan.every is not None:
        return plan.every.total_seconds()
    first = _next_fire(plan, after)
    second = _next_fire(plan, first) if first is not None else None
    if first is None or second is None:
        return None
    return (second - first).total_seconds()


def is_stuck(
    status: str | None, started: datetime | None, interval: float | None, now: datetime
) -> bool:
    """A run that has not ended and started longer ago than the job's interval. Runs still
    ``starting`` or ``connecting`` have no start time yet and are never called stuck."""
    if status not in ACTIVE_STATUSES or started is None or interval is None:
        return False
    return (now - started).total_seconds() > interval


# --- reading --------------------------------------------------------------------------

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


def _one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def cron_zone(setting: str | None) -> tzinfo:
    """The zone of a ``cron.timezone`` setting: NULL (pg_cron before 1.5) and GMT are UTC.
    Raises ValueError for a name this machine's zone database does not know."""
    if setting is None or setting.upper() in ("", "GMT", "UTC", "Z", "ETC/UTC", "ETC/GMT"):
        return UTC
    try:
        return ZoneInfo(setting)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {setting!r}") from exc


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _upcoming(plan: _Plan, now: datetime, last_start: datetime | None) -> datetime | None:
    if plan.every is not None:
        # pg_cron starts an interval job once `every` has passed since its last start.
        return max((last_start or now) + plan.every, now)
    return _next_fire(plan, now)


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
        plan = _plan(schedule, zone, dom_and_dow)
    except ValueError as exc:
        schedule_error = _one_line(str(exc))
    else:
        interval = _interval(plan, now)
        upcoming = _upcoming(plan, now, start) if active else None
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
        last_message=_one_line(message) if message is not None else None,
        last_pid=row["job_pid"],
        next_run=upcoming,
        stuck=is_stuck(status, start, interval, now),
        interval_seconds=interval,
        schedule_error=schedule_error,
    )


async def read_cron(conn: psycopg.AsyncConnection[dict[str, Any]], now: datetime) -> CronReport:
    """What pg_cron in this database does, as of ``now``; never raises for a database
    without pg_cron or a role that may not read it."""
    now = _aware(now).astimezone(UTC)
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
        note = f"pg_cron is installed but not readable: {_one_line(str(exc))}"
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
