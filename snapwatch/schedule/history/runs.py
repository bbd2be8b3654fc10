"""A backfill in the run history: one ``snapwatch.runs`` row (kind ``backfill``) kept up
to date as it goes, and one ``run_sites`` row per site at the end, so ``status`` and the
app show it while it runs and after."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.text.times import relative_text

START_SQL = """
INSERT INTO snapwatch.runs (kind, started_at, as_of, status, started_by, detail)
VALUES ('backfill', %(started)s, %(as_of)s, 'running', %(who)s, %(detail)s)
RETURNING run_id
"""

PROGRESS_SQL = """
UPDATE snapwatch.runs
   SET detail = %(detail)s, sites_written = %(written)s, sites_skipped = %(skipped)s,
       sites_failed = %(failed)s
 WHERE run_id = %(run)s
"""

FINISH_SQL = """
UPDATE snapwatch.runs
   SET detail = %(detail)s, finished_at = %(finished)s, status = %(status)s,
       sites_written = %(written)s, sites_skipped = %(skipped)s, sites_failed = %(failed)s,
       error = %(error)s
 WHERE run_id = %(run)s
"""

SITE_SQL = """
INSERT INTO snapwatch.run_sites (run_id, site_id, outcome, reason, trigger, error)
VALUES (%(run)s, %(site)s, %(outcome)s, %(reason)s, 'backfill', %(error)s)
"""

# The newest backfills (running, or finished lately), for status and the app.
RECENT_SQL = """
SELECT run_id, started_at, finished_at, status, started_by, detail
  FROM snapwatch.runs
 WHERE kind = 'backfill' AND (finished_at IS NULL OR finished_at > %(since)s)
 ORDER BY started_at DESC
 LIMIT %(limit)s
"""


@dataclass
class BackfillTally:
    """What a backfill has done so far (the run's ``detail``)."""

    since: str
    until: str
    scope: str
    planned: int = 0
    written: int = 0
    replaced: int = 0
    conflicts: int = 0
    sites_done: int = 0
    sites_total: int = 0
    sites_failed: int = 0
    sites_skipped: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps(asdict(self))


RECENT = timedelta(days=1)
"""Finished backfills are shown this long after they end (running ones always)."""


@dataclass(frozen=True)
class BackfillRun:
    run_id: UUID
    started_at: datetime
    finished_at: datetime | None
    status: str
    started_by: str | None
    tally: dict[str, Any]

    def line(self, now: datetime) -> str:
        """``backfill by ops@h running, started 2m ago: 1234 of 72000 snapshots, 3 of 100
        sites (2026-11-01 .. today)`` (or finished, with its status)."""
        t = self.tally
        who = f" by {self.started_by}" if self.started_by else ""
        if self.finished_at is None:
            when = f"running, started {relative_text(self.started_at, now)}"
        else:
            when = f"{self.status}, finished {relative_text(self.finished_at, now)}"
        done = (
            f"{t.get('written', 0)} of {t.get('planned', 0)} snapshots,"
            f" {t.get('sites_done', 0)} of {t.get('sites_total', 0)} sites"
        )
        extra = f", {t['replaced']} rows replaced" if t.get("replaced") else ""
        extra += f", {t['sites_failed']} sites failed" if t.get("sites_failed") else ""
        span = f"{t.get('since', '?')} .. {t.get('until', '?')}"
        return f"backfill{who} {when}: {done}{extra} ({span})"


async def start_run(
    conn: AsyncConnection[Any], now: datetime, who: str, tally: BackfillTally
) -> UUID:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            START_SQL, {"started": now, "as_of": now, "who": who, "detail": tally.as_json()}
        )
        row = await cur.fetchone()
    assert row is not None
    return UUID(str(row["run_id"]))


async def record_progress(conn: AsyncConnection[Any], run: UUID, tally: BackfillTally) -> None:
    await conn.execute(PROGRESS_SQL, _counts(run, tally))


async def record_site(
    conn: AsyncConnection[Any], run: UUID, site: UUID, said: tuple[str, str | None, str | None]
) -> None:
    """One site's line: ``(outcome, reason, error)``."""
    outcome, reason, error = said
    await conn.execute(
        SITE_SQL,
        {"run": run, "site": site, "outcome": outcome, "reason": reason, "error": error},
    )


async def finish_run(
    conn: AsyncConnection[Any],
    run: UUID,
    tally: BackfillTally,
    finished: datetime,
    *,
    error: str | None = None,
) -> None:
    status = "failed" if error else ("partial" if tally.sites_failed else "ok")
    await conn.execute(
        FINISH_SQL, {**_counts(run, tally), "finished": finished, "status": status, "error": error}
    )


async def recent_backfills(
    conn: AsyncConnection[Any], now: datetime, limit: int = 3
) -> list[BackfillRun]:
    """Backfills running now or finished within :data:`RECENT` of ``now``, newest first."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(RECENT_SQL, {"since": now - RECENT, "limit": limit})
        rows = await cur.fetchall()
    out = []
    for row in rows:
        detail = row["detail"] if isinstance(row["detail"], dict) else {}
        out.append(
            BackfillRun(
                row["run_id"],
                row["started_at"],
                row["finished_at"],
                row["status"],
                row["started_by"],
                detail,
            )
        )
    return out


def _counts(run: UUID, tally: BackfillTally) -> dict[str, Any]:
    return {
        "run": run,
        "detail": tally.as_json(),
        "written": tally.sites_done - tally.sites_failed - tally.sites_skipped,
        "skipped": tally.sites_skipped,
        "failed": tally.sites_failed,
    }
