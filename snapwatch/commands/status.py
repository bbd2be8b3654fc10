"""``snapwatch status``: sites, scheduler instances, pauses, pg_cron and the other writers
of snapshots, as tables or JSON.

Read-only and informative: it exits 0 whatever the health says (3 when the database is
unreachable). A pg_cron job shown to write snapshots while snapwatch schedules is the one
thing it shouts about: first line of the output and on stderr (with ``--json`` the
document stays pure JSON and carries it as ``pg_cron.warning``). Every job comes with the
evidence of what it writes (or why it could not be followed), and triggers and grants
that write snapshots are listed with theirs (:mod:`snapwatch.schedule.other_writers`). Text from
the database is printed inert (:func:`snapwatch.text.inert.printable`).
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TextIO
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.access import AccessReport, Job, check_access, connect_for
from snapwatch.infra.clock import command_clock, database_clock, offset_warning
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_OK
from snapwatch.infra.pooler import Pooler
from snapwatch.schedule.actions import PauseRecord, active_pauses
from snapwatch.schedule.health import (
    InstanceHealth,
    InstanceState,
    SiteHealth,
    SiteState,
    conflict_warning,
    count_instance_states,
    count_states,
    instance_health,
    read_site_health,
)
from snapwatch.schedule.instances import read_instances
from snapwatch.schedule.other_writers import Evidence, OtherWriters, read_other_writers
from snapwatch.schedule.pgcron import CronJob, CronReport, read_cron
from snapwatch.schedule.sitestate import resolve_site
from snapwatch.text.inert import printable
from snapwatch.text.times import relative_text

WIDTH = 100
"""Text output fits this many columns."""
REASON_BESIDE = 12
"""Room a site's reason needs beside its row; with less, reasons go below the rows."""


@dataclass(frozen=True)
class StatusReport:
    as_of: datetime
    database: str
    sites: list[SiteHealth]
    instances: list[InstanceHealth]
    pauses: list[PauseRecord]
    cron: CronReport
    writers: OtherWriters
    """Triggers and grants shown to write snapshots."""
    warning: str | None
    """The pg_cron conflict warning, when a job shown to write snapshots runs beside a live
    scheduler."""
    access: AccessReport
    """What the connected role can do, with row-level security warnings."""
    clock: str = "database"
    """The clock "now" was read from (the schedulers')."""
    clock_offset_seconds: float | None = None
    """This host's measured offset from the database's clock."""
    max_clock_offset_seconds: float = 2.0
    """Offsets beyond this (this host's, or an instance's) are shown."""
    pooler: Pooler | None = None
    """The pooler mode the connection is in, and why."""


async def read_status(
    conn: AsyncConnection[dict[str, Any]],
    now: datetime,
    settings: Settings,
    *,
    database: str,
    pooler: Pooler | None = None,
    site: UUID | None = None,
) -> StatusReport:
    """Everything ``status`` shows, as of ``now`` (instances at the database's own now)."""
    sites = await read_site_health(conn, now, settings, site=site)
    instances = [instance_health(row) for row in await read_instances(conn)]
    pauses = [
        p for p in await active_pauses(conn, now) if site is None or p.site_id in (None, site)
    ]
    cron = await read_cron(conn, now)
    writers = await read_other_writers(conn)
    warning = conflict_warning(cron, instances)
    access = await check_access(conn)
    return StatusReport(
        now, database, sites, instances, pauses, cron, writers, warning, access, pooler=pooler
    )


async def status(
    target: Target,
    settings: Settings,
    at: datetime | None,
    *,
    site: str | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """``at`` None: now on the schedulers' clock (:func:`snapwatch.infra.clock.command_clock`)."""
    conn, _ = await connect_for(target, settings, Job.VIEW, read_only=True)
    try:
        site_id = (await resolve_site(conn, site)).site_id if site is not None else None
        clock = await command_clock(conn)
        report = await read_status(
            conn,
            at or clock.now(),
            settings,
            database=target.display,
            pooler=target.pooler,
            site=site_id,
        )
        db = database_clock(clock)
        report = dataclasses.replace(
            report,
            clock=clock.describe(),
            clock_offset_seconds=None if db is None else db.offset_seconds,
            max_clock_offset_seconds=settings.scheduler.max_clock_offset_seconds,
        )
    finally:
        await conn.close()
    emit(report, as_json=as_json, out=out, err=err)
    return EXIT_OK


def emit(report: StatusReport, *, as_json: bool, out: TextIO, err: TextIO) -> None:
    """The report as text or JSON on ``out``; the pg_cron conflict and row-level security
    warnings also on ``err``."""
    if report.warning:
        err.write(f"snapwatch: warning: {printable(report.warning)}\n")
    for line in report.access.warnings:
        err.write(f"snapwatch: warning: {printable(line)}\n")
    if as_json:
        out.write(json.dumps(status_json(report), indent=2) + "\n")
    else:
        out.write(render_status(report))


# --- JSON ----------------------------------------------------------------------------------


def status_json(report: StatusReport) -> dict[str, Any]:
    """One JSON object: sites (with a summary), instances, pauses, pg_cron and the other
    writers of snapshots; ISO times."""
    return {
        "as_of": report.as_of.isoformat(),
        "database": report.database,
        "clock": report.clock,
        "clock_offset_seconds": report.clock_offset_seconds,
        "pooler": dataclasses.asdict(report.pooler) if report.pooler else None,
        "summary": {
            "sites": count_states(report.sites),
            "instances": count_instance_states(report.instances),
        },
        "sites": [_plain(dataclasses.asdict(s)) for s in report.sites],
        "instances": [
            _plain(
                {
                    **dataclasses.asdict(i),
                    "live": i.live,
                    "heartbeat_age_seconds": i.heartbeat_age_seconds,
                }
            )
            for i in report.instances
        ],
        "pauses": [_pause_json(p) for p in report.pauses],
        "access": _access_json(report.access),
        "pg_cron": _plain(
            {
                "installed": report.cron.installed,
                "readable": report.cron.readable,
                "version": report.cron.version,
                "timezone": report.cron.timezone,
                "note": report.cron.note,
                "warning": report.warning,
                "jobs": [_job_json(j) for j in report.cron.jobs],
            }
        ),
        "other_writers": _other_writers_json(report.writers),
    }


def _evidence_json(evidence: Evidence, origin: str) -> dict[str, Any]:
    """Outcome, chain and reason, and the same as one line of text."""
    return {**_plain(dataclasses.asdict(evidence)), "text": evidence.describe(origin)}


def _job_json(job: CronJob) -> dict[str, Any]:
    evidence = job.snapshot_evidence
    return {
        **dataclasses.asdict(job),
        "writes_snapshots": job.writes_snapshots,
        "snapshot_evidence": None if evidence is None else _evidence_json(evidence, job.label),
    }


def _other_writers_json(writers: OtherWriters) -> dict[str, Any]:
    return {
        "triggers": [
            {"trigger": t.trigger, "table": t.table, **_evidence_json(t.evidence, t.origin)}
            for t in writers.triggers
        ],
        "grants": [
            {"function": g.function, "roles": list(g.roles), **_evidence_json(g.evidence, g.origin)}
            for g in writers.grants
        ],
        "note": writers.note,
    }


def _access_json(access: AccessReport) -> dict[str, Any]:
    return {
        "role": access.role,
        "can": {job.value: verdict.ok for job, verdict in access.verdicts.items()},
        "refusals": access.refusals(),
        "warnings": list(access.warnings),
        "read_only": access.read_only,
    }


def _pause_json(pause: PauseRecord) -> Any:
    fields = {k: v for k, v in dataclasses.asdict(pause).items() if k != "created"}
    return _plain({**fields, "scope": pause.scope})


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


# --- text ----------------------------------------------------------------------------------


def render_status(report: StatusReport) -> str:
    """The report as text; every line inert (control characters shown as escapes)."""
    lines: list[str] = []
    if report.warning:
        lines += [f"!!! {report.warning}", ""]
    lines.append(f"status as of {report.as_of:%Y-%m-%d %H:%M:%S} UTC ({report.clock} clock)")
    lines.append(_cut(f"database {report.database}", WIDTH))
    if report.pooler is not None:
        lines.append(_cut(f"pooler {report.pooler.mode} ({report.pooler.reason})", WIDTH))
    off = offset_warning(report.clock_offset_seconds, report.max_clock_offset_seconds)
    if off is not None:
        lines.append(_cut(f"clock: {off} (its time is used)", WIDTH))
    lines += ["", *_sites(report), "", *_instances(report), "", *_pauses(report)]
    lines += ["", *_cron(report), "", *_other_writers(report.writers)]
    lines += ["", *_access(report.access)]
    return "\n".join(map(printable, lines)) + "\n"


def _label(state: str) -> str:
    return state.replace("_", " ")


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {_label(state)}" for state, n in counts.items() if n)


def _sites(report: StatusReport) -> list[str]:
    """One row per site under its program's heading; a reason that does not fit beside
    its row (a pause note, an error) goes on the line below it, whole up to the width,
    and the sessions that overlap (which gets the slots) below that, wrapped whole."""
    sites = report.sites
    head = f"SITES {len(sites)}" + (f": {_summary(count_states(sites))}" if sites else "")
    if not sites:
        return [head, "no sites in the database"]
    now = report.as_of
    rows = [
        [
            s.site_name,
            _label(s.state.value),
            _window(s),
            _ago(s.waiting_since, now),
            _next(s.next_due_at, now),
            _ago(s.last_snapshot_at, now),
        ]
        for s in sites
    ]
    headers = ["SITE", "STATE", "WAITING FOR", "SINCE", "NEXT DUE", "LAST SNAP"]
    lines = table(headers, rows, shrink={0: 12})
    at = max(len(line) for line in lines) + 2
    beside = at + REASON_BESIDE <= WIDTH
    out = [head, f"{lines[0]:<{at}}REASON" if beside else lines[0]]
    program: str | None = None
    for site, line in zip(sites, lines[1:], strict=True):
        if site.program_name != program:
            program = site.program_name
            out.append(_cut(f"[{program}]", WIDTH))
        reason = printable(_site_reason(site))
        if not reason:
            out.append(line)
        elif beside and at + len(reason) <= WIDTH:
            out.append(f"{line:<{at}}{reason}")
        else:
            out += [line, _cut(f"    {reason}", WIDTH)]
        if site.session_note:
            out += _wrapped(site.session_note)
    return out


def _site_reason(site: SiteHealth) -> str:
    """What the row does not already say (due and late sites are told by WAITING FOR),
    and the cadence note: an invalid value, or which column was used and why."""
    if site.state in (SiteState.DUE, SiteState.LATE, SiteState.ON_TIME):
        reason = ""
    elif site.state is SiteState.FAILING:
        reason = f"last run failed: {site.reason}"
    else:
        reason = site.reason or ""
    if site.cadence_note is None:
        return reason
    return f"{reason}: {site.cadence_note}" if reason else f"cadence: {site.cadence_note}"


def _instances(report: StatusReport) -> list[str]:
    instances = report.instances
    head = f"INSTANCES {len(instances)}"
    if not instances:
        return [head + ": none (no scheduler has run against this database)"]
    head += f": {_summary(count_instance_states(instances))}"
    headers = [
        "STATE",
        "HOST",
        "PID",
        "MODE",
        "VERSION",
        "CLOCK",
        "LAST TICK",
        "NEXT TICK",
        "TOOK",
        "LAST OK",
    ]
    rows: list[list[str]] = []
    notes: dict[int, list[str]] = {}
    for n, i in enumerate(instances):
        at = i.db_now
        took = "-" if i.last_duration_ms is None else f"{i.last_duration_ms / 1000:.2f}s"
        rows.append(
            [
                i.state.value,
                i.host,
                str(i.pid),
                i.mode,
                i.version or "-",
                i.clock,
                _ago(i.last_tick_at, at),
                _ago(i.next_tick_at, at),
                took,
                _ago(i.last_success_at, at),
            ]
        )
        extra = [] if i.state is InstanceState.OK else [i.reason]
        if i.last_error and i.state is not InstanceState.FAILED:
            extra.append(f"last error: {i.last_error}")
        off = offset_warning(i.clock_offset_seconds, report.max_clock_offset_seconds, "its host")
        if off is not None:
            extra.append(f"clock: {off}")
        notes[n] = extra
    lines = table(headers, rows, shrink={1: 10, 5: 6, 4: 7})
    out = [head, lines[0]]
    for n, line in enumerate(lines[1:]):
        out.append(line)
        out += [_cut(f"    {note}", WIDTH) for note in notes[n]]
    return out


def _pauses(report: StatusReport) -> list[str]:
    pauses = report.pauses
    if not pauses:
        return ["PAUSES none"]
    now = report.as_of
    rows = [
        [
            p.scope,
            p.paused_by,
            _ago(p.paused_at, now),
            "until resumed" if p.expires_at is None else _next(p.expires_at, now),
            p.reason or "",
        ]
        for p in pauses
    ]
    headers = ["SCOPE", "BY", "SINCE", "UNTIL", "REASON"]
    return [f"PAUSES {len(pauses)}", *table(headers, rows, shrink={4: 12, 0: 12, 1: 12})]


def _cron(report: StatusReport) -> list[str]:
    cron = report.cron
    if not cron.installed:
        return [f"PG_CRON {cron.note or 'not installed'}"]
    version = f" {cron.version}" if cron.version else ""
    head = f"PG_CRON{version}: {len(cron.jobs)} job(s), times in UTC"
    notes = [f"note: {cron.note}"] if cron.note else []
    if not cron.jobs:
        return [head, *notes]
    now = report.as_of
    rows = [
        [
            str(j.jobid),
            j.name or "-",
            j.schedule,
            "yes" if j.active else "no",
            j.last_status or "-",
            _ago(j.last_start, now),
            "-" if j.last_duration_seconds is None else f"{j.last_duration_seconds:.1f}s",
            _next(j.next_run, now),
        ]
        for j in cron.jobs
    ]
    headers = ["JOB", "NAME", "SCHEDULE", "ACTIVE", "LAST RUN", "STARTED", "TOOK", "NEXT RUN"]
    lines = table(headers, rows, shrink={1: 10, 2: 10})
    out = [head, *notes, lines[0]]
    for job, line in zip(cron.jobs, lines[1:], strict=True):
        out.append(line)
        if evidence := job.evidence_line():
            out += _wrapped(evidence)
        out += [_cut(f"    {flag}", WIDTH) for flag in _job_flags(job)]
    return out


def _other_writers(writers: OtherWriters) -> list[str]:
    head = "OTHER WRITERS OF SNAPSHOTS (triggers, grants to the web app)"
    if writers.note:
        return _wrapped(f"{head}: unknown, {writers.note}", indent="")
    lines = writers.lines()
    if not lines:
        return [f"{head}: none"]
    return [f"{head}: {len(lines)}", *(w for line in lines for w in _wrapped(line, indent=""))]


def _wrapped(text: str, indent: str = "    ") -> list[str]:
    """A line of evidence, whole: wrapped to the width rather than cut."""
    return textwrap.wrap(
        printable(text),
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "    ",
        break_on_hyphens=False,
    )


def _access(access: AccessReport) -> list[str]:
    """``ACCESS role "x" can ...``, the row-level security warnings and a read-only
    database, each whole (wrapped at the width: these are the lines to act on). Why a
    job is refused is ``migrate --check``'s to say: a viewer's role is meant not to write."""
    summary = access.summary()
    if access.refusals():
        summary += " (snapwatch migrate --check says why)"
    notes = [f"warning: {w}" for w in access.warnings]
    notes += [access.read_only] if access.read_only else []
    wrap = textwrap.TextWrapper(
        WIDTH, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    )
    lines = wrap.wrap(printable(f"ACCESS {summary}"))
    wrap.initial_indent, wrap.subsequent_indent = "    ", "      "
    for note in notes:
        lines += wrap.wrap(printable(note))
    return lines


def _job_flags(job: CronJob) -> list[str]:
    flags = []
    if job.stuck:
        flags.append("stuck: running longer than its interval")
    if job.schedule_error:
        flags.append(f"schedule not understood: {job.schedule_error}")
    if job.last_message and job.last_status == "failed":
        flags.append(f"message: {job.last_message}")
    return flags


# --- cells and tables ------------------------------------------------------------------------


def _clock(t: datetime, now: datetime) -> str:
    near = abs((t - now).total_seconds()) < 20 * 3600
    return f"{t:%H:%M}" if near else f"{t:%m-%d %H:%M}"


def _ago(t: datetime | None, now: datetime) -> str:
    """``5m ago`` or ``in 45s`` (``-`` when unknown), as the app says it."""
    return relative_text(t, now)


def _next(t: datetime | None, now: datetime) -> str:
    return "-" if t is None else f"{_clock(t, now)} ({relative_text(t, now)})"


def _window(s: SiteHealth) -> str:
    if s.waiting_for_wake is None or s.waiting_for_start is None or s.waiting_for_end is None:
        return "-"
    return f"#{s.waiting_for_wake} {s.waiting_for_start:%H:%M}-{s.waiting_for_end:%H:%M}"


def _cut(text: str, width: int) -> str:
    text = printable(text)  # measured as shown
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    shrink: dict[int, int],
    width: int = WIDTH,
) -> list[str]:
    """Aligned columns two spaces apart, fitting ``width``: when too wide, the columns in
    ``shrink`` (index → narrowest width, in the order given) give up space and their cells
    are cut with an ellipsis. Cells are measured as shown (:func:`printable`)."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    excess = sum(widths) + 2 * (len(widths) - 1) - width
    for column, narrowest in shrink.items():
        if excess <= 0:
            break
        cut = min(excess, max(0, widths[column] - narrowest))
        widths[column] -= cut
        excess -= cut

    def line(cells: Sequence[str]) -> str:
        text = "  ".join(f"{_cut(c, w):<{w}}" for c, w in zip(cells, widths, strict=True))
        return _cut(text.rstrip(), width)  # the narrowest columns still too wide: cut

    return [line(headers), *(line(r) for r in rows)]
