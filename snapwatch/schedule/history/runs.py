"""A backfill in the run history: one ``snapwatch.runs`` row (kind ``backfill``) kept up
to date as it goes, and one ``run_sites`` row per site at the end, so ``status`` and the
app show it while it runs and after."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

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


@dataclass(frozen=True)
class BackfillRun:
    run_id: UUID
    started_at: datetime
    finished_at: datetime | None
    status: str
    started_by: str | None
    tally: dict[str, Any]


async def start_run(
    conn: AsyncConnection[Any], now: datetime, who: str, tally: BackfillTally
) -> UUID:
    cur = await conn.execute(
        START_SQL, {"started": now, "as_of": now, "who": who, "detail": tally.as_json()}
    )
    row = await cur.fetchone()
    assert row is not None
    return UUID(str(row["run_id"] if isinstance(row, dict) else row[0]))


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
    conn: AsyncConnection[Any], since: datetime, limit: int = 3
) -> list[BackfillRun]:
    """Backfills running now or finished after ``since``, newest first."""
    cur = await conn.execute(RECENT_SQL, {"since": since, "limit": limit})
    out = []
    for r in await cur.fetchall():
        row = r if isinstance(r, dict) else dict(zip(_RECENT_COLUMNS, r, strict=True))
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


_RECENT_COLUMNS = ("run_id", "started_at", "finished_at", "status", "started_by", "detail")


def _counts(run: UUID, tally: BackfillTally) -> dict[str, Any]:
    return {
        "run": run,
        "detail": tally.as_json(),
        "written": tally.sites_done - tally.sites_failed - tally.sites_skipped,
        "skipped": tally.sites_skipped,
        "failed": tally.sites_failed,
    }
