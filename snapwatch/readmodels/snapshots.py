"""Recent snapshots, newest first: what the Recent snapshots pane lists.

One query whatever the number of rows. The document is never sent: the few values a row
shows (trigger, how many devices were carried forward) are picked out of it in SQL, and
only for the rows kept by the limit. A document of another shape (an older generator's
array, a missing key, a wrong type) reads as NULL for what it lacks, never as an error:
paths are followed with ``->`` (NULL on a missing key or a non-object), devices are
counted only when ``devices`` is an array, and values are type-checked in Python.

Rows are ordered by ``created_at`` (the write time: a catch-up snapshot of an old window
is recent news), then by round end. For one site the scan walks the site's rows through
``session_wake_snapshots(site_id, wake_round_start DESC)``; for all sites it reads the
table's rows (not their documents) and keeps the newest with a top-N sort. The documents
of the rows kept are read after the limit, in the outer query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from snapwatch.inspection.lenient import integer, number

# The newest rows (keys and columns only; the document stays a reference until the outer
# query reads two small parts of it). {where} is empty or the site filter.
_RECENT = """
SELECT r.snapshot_id, r.site_id, s.name AS site_name, r.session_id, r.wake_number,
       r.wake_round_start, r.wake_round_end, r.created_at,
       r.site_state #> '{{snapshot_metadata,trigger}}' AS trigger,
       EXISTS (SELECT 1 FROM snapwatch.provisional_snapshots p
                WHERE p.session_id = r.session_id AND p.wake_number = r.wake_number)
         AS provisional,
       r.active_devices_count AS devices, r.avg_mgi::float8 AS avg_mgi,
       r.max_mgi::float8 AS max_mgi,
       CASE WHEN jsonb_typeof(r.site_state -> 'devices') = 'array' THEN
            (SELECT count(*) FROM jsonb_array_elements(r.site_state -> 'devices') AS d(v)
              WHERE d.v #>> '{{mgi_state,data_freshness}}' = 'carried_forward'
                 OR d.v #>> '{{telemetry,data_freshness}}' = 'carried_forward')
       END AS carried_forward
  FROM (SELECT w.snapshot_id, w.site_id, w.session_id, w.wake_number, w.wake_round_start,
               w.wake_round_end, w.created_at, w.active_devices_count, w.avg_mgi, w.max_mgi,
               w.site_state
          FROM session_wake_snapshots w
          {where}
         ORDER BY w.created_at DESC, w.wake_round_end DESC, w.snapshot_id
         LIMIT %(limit)s) r
  LEFT JOIN sites s ON s.site_id = r.site_id
 ORDER BY r.created_at DESC, r.wake_round_end DESC, r.snapshot_id
"""

RECENT_ALL_SQL = sql.SQL(_RECENT).format(where=sql.SQL("")).as_string()
RECENT_SITE_SQL = sql.SQL(_RECENT).format(where=sql.SQL("WHERE w.site_id = %(site)s")).as_string()
"""Two statements rather than ``site IS NULL OR ...``: a prepared plan of the combined
form could not use the site index."""


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    snapshot_id: UUID
    site_id: UUID
    site_name: str | None
    """None only when the site row is gone."""
    session_id: UUID
    wake_number: int
    wake_round_start: datetime
    wake_round_end: datetime
    created_at: datetime
    """When the row was written (replaced, for a provisional row made final)."""
    trigger: str | None
    """``schedule`` / ``catch_up`` / ``force`` / ``backfill`` from the document; None if
    it has none."""
    provisional: bool
    """A forced snapshot of a slot still in progress (replaced when the slot completes)."""
    devices: int | None
    """``active_devices_count``: the devices in the document."""
    avg_mgi: float | None
    max_mgi: float | None
    carried_forward: int | None
    """Devices whose MGI or telemetry was carried forward; None when the document has no
    ``devices`` array."""


async def recent_snapshots(
    conn: AsyncConnection[Any], *, site: UUID | None, limit: int = 50
) -> list[SnapshotRow]:
    """The ``limit`` newest snapshots of one site (or of all sites with ``site=None``),
    newest first by write time, then round end."""
    if limit < 1:
        return []
    query, params = (
        (RECENT_ALL_SQL, {"limit": limit})
        if site is None
        else (RECENT_SITE_SQL, {"limit": limit, "site": site})
    )
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        rows = await cur.fetchall()
    return [_row(r) for r in rows]


def _row(r: dict[str, Any]) -> SnapshotRow:
    return SnapshotRow(
        snapshot_id=r["snapshot_id"],
        site_id=r["site_id"],
        site_name=r["site_name"],
        session_id=r["session_id"],
        wake_number=r["wake_number"],
        wake_round_start=r["wake_round_start"],
        wake_round_end=r["wake_round_end"],
        created_at=r["created_at"],
        trigger=r["trigger"] if isinstance(r["trigger"], str) else None,
        provisional=bool(r["provisional"]),
        devices=integer(r["devices"]),
        avg_mgi=number(r["avg_mgi"]),
        max_mgi=number(r["max_mgi"]),
        carried_forward=integer(r["carried_forward"]),
    )
