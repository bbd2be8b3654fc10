"""``snapwatch run-once``: one tick as of now (or a given instant), printed per site."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any, TextIO

from snapwatch.infra.access import Job, connect_for
from snapwatch.infra.clock import command_now
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_DB_UNREACHABLE, EXIT_OK, EXIT_SITE_FAILED, ConfigError
from snapwatch.schedule import activity
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.sitestate import resolve_site
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_events import record_tick
from snapwatch.schedule.tick_report import SiteOutcome, TickReport
from snapwatch.text.inert import printable


async def run_once(
    target: Target,
    settings: Settings,
    at: datetime | None,
    site: str | None,
    out: TextIO,
    *,
    as_json: bool = False,
    allow_future: bool = False,
    err: TextIO,
) -> int:
    """One tick as of ``at`` (None: now on the schedulers' clock). An ``at`` later than
    that now would write slots that have not ended: refused unless ``allow_future``.
    Row-level security warnings of the role check go to ``err`` (the run proceeds).

    Exit 1 when a site failed; else 3 when a lock another process held past lock_timeout
    left sites busy (the next run writes them); else 0."""
    conn, verdict = await connect_for(target, settings, Job.SCHEDULE)
    for line in verdict.warnings:
        err.write(f"snapwatch: warning: {line}\n")
    try:
        now = await command_now(conn)
        if at is not None and at > now and not allow_future:
            raise ConfigError(
                f"--at {at.isoformat()} is later than the database's now"
                f" ({now.isoformat(timespec='seconds')}): it would write slots that have not"
                " ended; add --allow-future to rehearse on a database of your own"
            )
        site_id = (await resolve_site(conn, site)).site_id if site is not None else None
        report = await run_tick(conn, settings, at or now, site=site_id)
        await record_run(conn, report, None)
        await record_tick(conn, activity.RUN_ONCE, report)
    finally:
        await conn.close()
    if as_json:
        out.write(json.dumps(report_json(report, target.display), indent=2) + "\n")
    else:
        out.write(render_report(report, target.display))
    if report.failed:
        return EXIT_SITE_FAILED
    return EXIT_DB_UNREACHABLE if report.busy else EXIT_OK


def report_json(report: TickReport, where: str) -> dict[str, Any]:
    """The tick as plain JSON values: one object per site, one per snapshot written."""
    return {
        "database": where,
        "as_of": report.as_of.isoformat(),
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "duration_seconds": round(report.duration_seconds, 3),
        "sites": [_site_json(o) for o in report.outcomes],
        "summary": {
            "sites": len(report.outcomes),
            "written": report.count("written"),
            "skipped": report.count("skipped"),
            "failed": len(report.failed),
            "busy": len(report.busy),
            "snapshots": sum(len(o.written) for o in report.outcomes),
        },
    }


def _site_json(o: SiteOutcome) -> dict[str, Any]:
    return {
        "site_id": str(o.site_id),
        "site_name": o.site_name,
        "outcome": o.outcome,
        "reason": o.reason,
        "error": o.error,
        "lock_wait": o.lock_wait,
        "next_due_at": o.next_due_at.isoformat() if o.next_due_at else None,
        "skipped_slots": o.skipped_slots,
        "conflicts": o.conflicts,
        "written": [
            {
                "wake_number": w.wake_number,
                "trigger": w.trigger,
                "snapshot_id": str(w.snapshot_id),
                "wake_round_start": w.start.isoformat(),
                "wake_round_end": w.end.isoformat(),
                "late_by_seconds": round(w.late_by_seconds, 3),
            }
            for w in o.written
        ],
    }


def render_report(report: TickReport, where: str) -> str:
    lines = [f"run as of {report.as_of.isoformat()} on {where}"]
    if not report.outcomes:
        lines.append("no sites in the database")
    width = max((len(printable(o.site_name)) for o in report.outcomes), default=0)
    lines += [_line(o, width) for o in report.outcomes]
    snapshots = sum(len(o.written) for o in report.outcomes)
    busy = f" ({len(report.busy)} busy: lock wait)" if report.busy else ""
    lines.append(
        f"{len(report.outcomes)} sites: {report.count('written')} written "
        f"({snapshots} snapshots), {report.count('skipped')} skipped{busy}, "
        f"{len(report.failed)} failed in {report.duration_seconds:.2f} s"
    )
    return "\n".join(lines) + "\n"


def _line(o: SiteOutcome, width: int) -> str:
    head = f"{o.outcome:<8} {printable(o.site_name):<{width}}"
    if o.outcome == "failed":
        return f"{head}  {o.error}"
    if o.outcome == "skipped":
        due = ""
        if o.next_due_at and not o.lock_wait:  # a site left busy is owed now
            due = f" (next due {o.next_due_at.isoformat()})"
        return f"{head}  {o.reason}{due}"
    if len(o.written) <= 3:
        wakes = ", ".join(f"wake {w.wake_number} ({w.trigger})" for w in o.written)
    else:
        triggers = Counter(w.trigger for w in o.written)
        wakes = (
            f"wakes {o.written[0].wake_number}-{o.written[-1].wake_number} ("
            + ", ".join(f"{n} {t}" for t, n in sorted(triggers.items()))
            + ")"
        )
    extra = f"; {o.skipped_slots} older slot(s) skipped" if o.skipped_slots else ""
    return f"{head}  {wakes}{extra}"
