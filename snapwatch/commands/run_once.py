"""``snapwatch run-once``: one tick as of now (or a given instant), printed per site."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TextIO

from snapwatch.config import Settings
from snapwatch.db import Target, connect
from snapwatch.errors import EXIT_OK, EXIT_SITE_FAILED
from snapwatch.migrations import require_current
from snapwatch.runlog import record_run
from snapwatch.tick import SiteOutcome, TickReport, run_tick


async def run_once(
    target: Target, settings: Settings, at: datetime, site: str | None, out: TextIO
) -> int:
    conn = await connect(target, settings)
    try:
        await require_current(conn)
        report = await run_tick(conn, settings, at, site=site)
        await record_run(conn, report, None)
    finally:
        await conn.close()
    out.write(render_report(report, target.display, site))
    return EXIT_SITE_FAILED if report.failed else EXIT_OK


def render_report(report: TickReport, where: str, site: str | None) -> str:
    lines = [f"run as of {report.as_of.isoformat()} on {where}"]
    if not report.outcomes:
        lines.append(f"no site matches {site!r}" if site else "no sites in the database")
    width = max((len(o.site_name) for o in report.outcomes), default=0)
    lines += [_line(o, width) for o in report.outcomes]
    snapshots = sum(len(o.written) for o in report.outcomes)
    lines.append(
        f"{len(report.outcomes)} sites: {report.count('written')} written "
        f"({snapshots} snapshots), {report.count('skipped')} skipped, "
        f"{len(report.failed)} failed in {report.duration_seconds:.2f} s"
    )
    return "\n".join(lines) + "\n"


def _line(o: SiteOutcome, width: int) -> str:
    head = f"{o.outcome:<8} {o.site_name:<{width}}"
    if o.outcome == "failed":
        return f"{head}  {o.error}"
    if o.outcome == "skipped":
        due = f" (next due {o.next_due_at.isoformat()})" if o.next_due_at else ""
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
