"""Run history: every tick and every site's outcome, with its reason, in schema snapwatch."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.schedule.tick_report import TickReport

INSERT_RUN_SQL = """
INSERT INTO snapwatch.runs (instance_id, started_at, finished_at, as_of, status,
                            sites_written, sites_skipped, sites_failed, error)
VALUES (%(instance)s, %(started)s, %(finished)s, %(as_of)s, %(status)s,
        %(written)s, %(skipped)s, %(failed)s, %(error)s)
RETURNING run_id
"""

INSERT_SITES_SQL = """
INSERT INTO snapwatch.run_sites (run_id, site_id, outcome, reason, wake_number, trigger,
                                 snapshot_id, error)
SELECT %(run)s, * FROM unnest(%(sites)s::uuid[], %(outcomes)s::text[], %(reasons)s::text[],
                              %(wakes)s::int[], %(triggers)s::text[], %(snapshots)s::uuid[],
                              %(errors)s::text[])
"""

# run_sites rows go with their run (ON DELETE CASCADE).
PRUNE_SQL = "DELETE FROM snapwatch.runs WHERE started_at < %(before)s"


def run_status(report: TickReport) -> str:
    if not report.failed:
        return "ok"
    return "failed" if report.count("written") == 0 else "partial"


async def record_run(
    conn: AsyncConnection[dict[str, Any]], report: TickReport, instance_id: UUID | None
) -> UUID:
    """Store the tick and one row per site outcome (one per snapshot written)."""
    rows: list[tuple[Any, ...]] = []
    for o in report.outcomes:
        if o.written:
            note = f"{o.skipped_slots} older slot(s) skipped" if o.skipped_slots else None
            rows += [
                (o.site_id, "written", note, w.wake_number, w.trigger, w.snapshot_id, None)
                for w in o.written
            ]
        else:
            rows.append((o.site_id, o.outcome, o.reason, None, None, None, o.error))
    failed = report.failed
    async with conn.transaction():
        run = await (
            await conn.execute(
                INSERT_RUN_SQL,
                {
                    "instance": instance_id,
                    "started": report.started_at,
                    "finished": report.finished_at,
                    "as_of": report.as_of,
                    "status": run_status(report),
                    "written": report.count("written"),
                    "skipped": report.count("skipped"),
                    "failed": len(failed),
                    "error": failed[0].error if failed else None,
                },
            )
        ).fetchone()
        assert run is not None
        columns = list(zip(*rows, strict=True)) if rows else [()] * 7
        await conn.execute(
            INSERT_SITES_SQL,
            {
                "run": run["run_id"],
                "sites": list(columns[0]),
                "outcomes": list(columns[1]),
                "reasons": list(columns[2]),
                "wakes": list(columns[3]),
                "triggers": list(columns[4]),
                "snapshots": list(columns[5]),
                "errors": list(columns[6]),
            },
        )
    return UUID(str(run["run_id"]))


async def prune_runs(conn: AsyncConnection[Any], before: datetime) -> int:
    """Delete the run history of ticks started (wall clock) before ``before``; returns
    how many runs went. History is for operators looking back days, not an archive."""
    cur = await conn.execute(PRUNE_SQL, {"before": before})
    return cur.rowcount
