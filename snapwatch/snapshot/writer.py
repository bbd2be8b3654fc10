"""Writing one site's snapshots: one transaction, claimed with a row lock, idempotent.

Any number of processes may write at once; PostgreSQL arbitrates. The site row is locked
``FOR UPDATE SKIP LOCKED`` (a site another process is writing is left to it), due-ness is
checked again under the lock, and UNIQUE(session_id, wake_number) is the backstop: an
existing row is replaced only when it is a provisional (forced) one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from snapwatch.snapshot.aggregates import Aggregates

NOTIFY_CHANNEL = "snapwatch_snapshots"

LOCK_SITE_SQL = "SELECT site_id FROM sites WHERE site_id = %(site)s FOR UPDATE SKIP LOCKED"

COVERED_SQL = """
SELECT max(wake_round_end) AS covered_until
  FROM session_wake_snapshots
 WHERE session_id = %(session)s
   AND NOT coalesce((site_state #>> '{snapshot_metadata,provisional}')::boolean, false)
"""

UPSERT_SQL = """
INSERT INTO session_wake_snapshots AS w (
    company_id, program_id, site_id, session_id, wake_number, wake_round_start,
    wake_round_end, site_state, active_devices_count, new_images_this_round,
    new_alerts_this_round, avg_temperature, avg_humidity, avg_mgi, max_mgi, created_at)
VALUES (%(company_id)s, %(program_id)s, %(site_id)s, %(session_id)s, %(wake_number)s,
        %(start)s, %(end)s, %(doc)s, %(active_devices_count)s, %(new_images_this_round)s,
        %(new_alerts_this_round)s, %(avg_temperature)s, %(avg_humidity)s, %(avg_mgi)s,
        %(max_mgi)s, %(now)s)
ON CONFLICT (session_id, wake_number) DO UPDATE
   SET wake_round_start = EXCLUDED.wake_round_start,
       wake_round_end = EXCLUDED.wake_round_end,
       site_state = EXCLUDED.site_state,
       active_devices_count = EXCLUDED.active_devices_count,
       new_images_this_round = EXCLUDED.new_images_this_round,
       new_alerts_this_round = EXCLUDED.new_alerts_this_round,
       avg_temperature = EXCLUDED.avg_temperature,
       avg_humidity = EXCLUDED.avg_humidity,
       avg_mgi = EXCLUDED.avg_mgi,
       max_mgi = EXCLUDED.max_mgi,
       created_at = EXCLUDED.created_at
 WHERE coalesce((w.site_state #>> '{snapshot_metadata,provisional}')::boolean, false)
RETURNING snapshot_id
"""

TOUCH_SITE_SQL = "UPDATE sites SET last_snapshot_at = %(now)s WHERE site_id = %(site)s"
NOTIFY_SQL = "SELECT pg_notify(%(channel)s, %(payload)s)"


@dataclass(frozen=True)
class PreparedSnapshot:
    company_id: UUID | None
    program_id: UUID
    site_id: UUID
    session_id: UUID
    wake_number: int
    start: datetime
    end: datetime
    trigger: str
    provisional: bool
    document: dict[str, Any]
    aggregate: Aggregates


@dataclass
class SiteWrite:
    """What happened to one site's snapshots inside its transaction."""

    busy: bool = False
    written: list[tuple[PreparedSnapshot, UUID]] = field(default_factory=list)
    # (snapshot, why nothing was written): covered meanwhile, or a regular row exists.
    conflicts: list[tuple[PreparedSnapshot, str]] = field(default_factory=list)


async def write_site(
    conn: AsyncConnection[dict[str, Any]],
    site_id: UUID,
    snapshots: list[PreparedSnapshot],
    now: datetime,
) -> SiteWrite:
    """Write ``snapshots`` of one site in one transaction (the caller's connection)."""
    result = SiteWrite()
    async with conn.transaction():
        if await (await conn.execute(LOCK_SITE_SQL, {"site": site_id})).fetchone() is None:
            result.busy = True
            return result
        for snap in snapshots:
            if not snap.provisional and await _covered(conn, snap):
                result.conflicts.append((snap, "already written by another process"))
                continue
            row = await (await conn.execute(UPSERT_SQL, _params(snap, now))).fetchone()
            if row is None:
                result.conflicts.append((snap, f"wake {snap.wake_number} already written"))
            else:
                result.written.append((snap, row["snapshot_id"]))
        if result.written:
            await conn.execute(TOUCH_SITE_SQL, {"now": now, "site": site_id})
            for snap, snapshot_id in result.written:
                await conn.execute(NOTIFY_SQL, _notify(snap, snapshot_id))
    return result


async def _covered(conn: AsyncConnection[dict[str, Any]], snap: PreparedSnapshot) -> bool:
    row = await (await conn.execute(COVERED_SQL, {"session": snap.session_id})).fetchone()
    covered = row["covered_until"] if row else None
    return covered is not None and covered >= snap.end


def _params(snap: PreparedSnapshot, now: datetime) -> dict[str, Any]:
    agg = snap.aggregate
    return {
        "company_id": snap.company_id,
        "program_id": snap.program_id,
        "site_id": snap.site_id,
        "session_id": snap.session_id,
        "wake_number": snap.wake_number,
        "start": snap.start,
        "end": snap.end,
        "doc": Jsonb(snap.document),
        "active_devices_count": agg.active_devices_count,
        "new_images_this_round": agg.new_images_this_round,
        "new_alerts_this_round": agg.new_alerts_this_round,
        "avg_temperature": agg.avg_temperature,
        "avg_humidity": agg.avg_humidity,
        "avg_mgi": agg.avg_mgi,
        "max_mgi": agg.max_mgi,
        "now": now,
    }


def _notify(snap: PreparedSnapshot, snapshot_id: UUID) -> dict[str, Any]:
    payload = {
        "snapshot_id": str(snapshot_id),
        "site_id": str(snap.site_id),
        "session_id": str(snap.session_id),
        "wake_number": snap.wake_number,
        "trigger": snap.trigger,
    }
    return {"channel": NOTIFY_CHANNEL, "payload": json.dumps(payload)}
