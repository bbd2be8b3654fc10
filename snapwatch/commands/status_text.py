"""``snapwatch status`` as text: tables that fit :data:`WIDTH` columns, every line inert."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime

from snapwatch.infra.access import AccessReport
from snapwatch.infra.clock import offset_warning
from snapwatch.readmodels.status import StatusReport
from snapwatch.schedule.health import (
    InstanceState,
    SiteHealth,
    SiteState,
    count_instance_states,
    count_states,
)
from snapwatch.schedule.other_writers import OtherWriters
from snapwatch.schedule.pgcron import CronJob
from snapwatch.text.inert import printable
from snapwatch.text.labels import words
from snapwatch.text.times import age, relative_text

WIDTH = 100
"""Text output fits this many columns."""
REASON_BESIDE = 12
"""Room a site's reason needs beside its row; with less, reasons go below the rows."""


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
    lines += ["", *_backfills(report), "", *_activity(report)]
    lines += ["", *_cron(report), "", *_other_writers(report.writers)]
    lines += ["", *_access(report.access)]
    return "\n".join(map(printable, lines)) + "\n"


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {words(state)}" for state, n in counts.items() if n)


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
            words(s.state.value),
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


def _backfills(report: StatusReport) -> list[str]:
    if not report.backfills:
        return ["BACKFILLS none running or in the last day"]
    lines = [f"BACKFILLS {len(report.backfills)}"]
    for b in report.backfills:
        lines += textwrap.wrap(b.line(report.as_of), WIDTH, subsequent_indent="  ")
    return lines


def _activity(report: StatusReport) -> list[str]:
    """The latest entries of the trail, newest first: when, what, where, who, result, and
    the detail on the line below."""
    if not report.activity:
        return ["RECENT ACTIVITY none"]
    rows = [
        [age(max(a.age_seconds, 0))[0], a.what, a.where, a.actor, a.result] for a in report.activity
    ]
    lines = table(["WHEN", "WHAT", "SITE", "WHO", "RESULT"], rows, shrink={2: 16, 4: 30})
    out = [f"RECENT ACTIVITY {len(report.activity)} latest", lines[0]]
    for entry, line in zip(report.activity, lines[1:], strict=True):
        out.append(line)
        if entry.detail_text:
            out.append(_cut(f"    {entry.detail_text}", WIDTH))
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
