"""Putting back the rows a backfill replaced: each kept row returns whole (every column
as it was) and the snapshot written over it goes, in one transaction per site, with the
site row claimed like any write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.schedule import activity

PENDING_SQL = """
SELECT r.replaced_id, r.snapshot_id, r.site_id, s.name AS site_name, r.session_id,
       r.wake_number, r.wake_round_start, r.wake_round_end, r.kind, r.replaced_at,
       r.replaced_by, r.replacement_id
  FROM snapwatch.replaced_snapshots r
  LEFT JOIN sites s ON s.site_id = r.site_id
 WHERE r.restored_at IS NULL AND (%(site)s::uuid IS NULL OR r.site_id = %(site)s::uuid)
 ORDER BY r.site_id, r.replaced_at, r.wake_round_start
"""

CLAIM_SQL = "SELECT site_id FROM sites WHERE site_id = %(site)s FOR UPDATE SKIP LOCKED"

# The replacements go first (they hold the wake numbers and windows of the kept rows).
DROP_REPLACEMENTS_SQL = """
DELETE FROM session_wake_snapshots w
 USING snapwatch.replaced_snapshots r
 WHERE r.replaced_id = ANY(%(ids)s::uuid[]) AND w.snapshot_id = r.replacement_id
"""

PUT_BACK_SQL = """
INSERT INTO session_wake_snapshots
SELECT (jsonb_populate_record(NULL::session_wake_snapshots, r.row_data)).*
  FROM snapwatch.replaced_snapshots r
 WHERE r.replaced_id = ANY(%(ids)s::uuid[])
"""

MARK_SQL = """
UPDATE snapwatch.replaced_snapshots
   SET restored_at = %(now)s, restored_by = %(who)s
 WHERE replaced_id = ANY(%(ids)s::uuid[])
"""


@dataclass(frozen=True)
class Kept:
    """A row a backfill replaced, not restored yet."""

    replaced_id: UUID
    snapshot_id: UUID
    site_id: UUID
    site_name: str | None
    session_id: UUID
    wake_number: int
    wake_round_start: datetime | None
    wake_round_end: datetime | None
    kind: str
    replaced_at: datetime
    replaced_by: str
    replacement_id: UUID | None


@dataclass
class Restored:
    restored: int = 0
    busy_sites: int = 0


async def kept_rows(conn: AsyncConnection[Any], site: UUID | None = None) -> list[Kept]:
    """Every replaced row not restored yet (of one site, or all)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(PENDING_SQL, {"site": site})
        return [Kept(**r) for r in await cur.fetchall()]


async def restore(
    conn: AsyncConnection[Any], now: datetime, *, site: UUID | None, who: str
) -> Restored:
    """Put every kept row of ``site`` (None: of every site) back; a site another process
    is writing is left for a later run (counted in ``busy_sites``). Recorded in the
    activity trail."""
    result = Restored()
    by_site: dict[UUID, list[UUID]] = {}
    for row in await kept_rows(conn, site):
        by_site.setdefault(row.site_id, []).append(row.replaced_id)
    for site_id, ids in by_site.items():
        async with conn.transaction():
            claimed = await (await conn.execute(CLAIM_SQL, {"site": site_id})).fetchone()
            if claimed is None:
                result.busy_sites += 1
                continue
            await conn.execute(DROP_REPLACEMENTS_SQL, {"ids": ids})
            await conn.execute(PUT_BACK_SQL, {"ids": ids})
            await conn.execute(MARK_SQL, {"ids": ids, "now": now, "who": who})
        result.restored += len(ids)
    await activity.record(
        conn,
        activity.RESTORE,
        site_id=site,
        scope=activity.ALL_SITES if site is None else str(site),
        detail={"restored": result.restored, "busy_sites": result.busy_sites},
        result=activity.OK if not result.busy_sites else f"ok: {result.busy_sites} site(s) busy",
        actor=who,
    )
    return result
