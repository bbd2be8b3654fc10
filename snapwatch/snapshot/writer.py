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

from snapwatch.snapshot.aggregates import Aggregates

NOTIFY_CHANNEL = "snapwatch_snapshots"

# Claim the site and, under that lock, read how far each session's regular (not
# provisional) snapshots already reach: no row when another process holds the site.
CLAIM_SQL = """
SELECT x.session_id,
       (SELECT max(w.wake_round_end)
          FROM session_wake_snapshots w
         WHERE w.session_id = x.session_id
           AND NOT EXISTS (SELECT 1 FROM snapwatch.provisional_snapshots p
                            WHERE p.session_id = w.session_id
                              AND p.wake_number = w.wake_number)) AS covered_until
  FROM sites s
 CROSS JOIN unnest(%(sessions)s::uuid[]) AS x(session_id)
 WHERE s.site_id = %(site)s
   FOR UPDATE OF s SKIP LOCKED
"""

# Insert, or replace a provisional row in place; a regular row is never overwritten
# (then nothing is returned). The provisional bookkeeping follows in the same statement.
UPSERT_SQL = """
WITH upserted AS (
    INSERT INTO session_wake_snapshots AS w (
        company_id, program_id, site_id, session_id, wake_number, wake_round_start,
        wake_round_end, site_state, active_devices_count, new_images_this_round,
        new_alerts_this_round, avg_temperature, avg_humidity, avg_mgi, max_mgi, created_at)
    VALUES (%(company_id)s, %(program_id)s, %(site_id)s, %(session_id)s, %(wake_number)s,
            %(start)s, %(end)s, %(doc)s::jsonb, %(active_devices_count)s,
            %(new_images_this_round)s, %(new_alerts_this_round)s, %(avg_temperature)s,
            %(avg_humidity)s, %(avg_mgi)s, %(max_mgi)s, %(now)s)
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
     WHERE EXISTS (SELECT 1 FROM snapwatch.provisional_snapshots p
                    WHERE p.session_id = w.session_id AND p.wake_number = w.wake_number)
    RETURNING snapshot_id, session_id, wake_number
), marked AS (
    INSERT INTO snapwatch.provisional_snapshots (session_id, wake_number)
    SELECT session_id, wake_number FROM upserted WHERE %(provisional)s
    ON CONFLICT DO NOTHING
), cleared AS (
    DELETE FROM snapwatch.provisional_snapshots p
     USING upserted u
     WHERE NOT %(provisional)s
       AND p.session_id = u.session_id AND p.wake_number = u.wake_number
)
SELECT snapshot_id FROM upserted
"""

# The write time on the site, and one notification per snapshot, in one statement.
FINISH_SQL = """
WITH touched AS (
    UPDATE sites SET last_snapshot_at = %(now)s WHERE site_id = %(site)s RETURNING site_id
)
SELECT pg_notify(%(channel)s, payload) FROM unnest(%(payloads)s::text[]) AS n(payload)
"""


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
    document: str  # the document as JSON text
    late_by_seconds: float
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
    if not snapshots:
        return result
    sessions = list(dict.fromkeys(snap.session_id for snap in snapshots))
    async with conn.transaction():
        claimed = await (
            await conn.execute(CLAIM_SQL, {"site": site_id, "sessions": sessions})
        ).fetchall()
        if not claimed:
            result.busy = True
            return result
        covered = {row["session_id"]: row["covered_until"] for row in claimed}
        for snap in snapshots:
            until = covered[snap.session_id]
            if not snap.provisional and until is not None and until >= snap.end:
                result.conflicts.append((snap, "already written by another process"))
                continue
            row = await (await conn.execute(UPSERT_SQL, _params(snap, now))).fetchone()
            if row is None:
                result.conflicts.append((snap, f"wake {snap.wake_number} already written"))
            else:
                result.written.append((snap, row["snapshot_id"]))
        if result.written:
            payloads = [_notify_payload(snap, sid) for snap, sid in result.written]
            await conn.execute(
                FINISH_SQL,
                {"now": now, "site": site_id, "channel": NOTIFY_CHANNEL, "payloads": payloads},
            )
    return result


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
        "doc": snap.document,
        "provisional": snap.provisional,
        "active_devices_count": agg.active_devices_count,
        "new_images_this_round": agg.new_images_this_round,
        "new_alerts_this_round": agg.new_alerts_this_round,
        "avg_temperature": agg.avg_temperature,
        "avg_humidity": agg.avg_humidity,
        "avg_mgi": agg.avg_mgi,
        "max_mgi": agg.max_mgi,
        "now": now,
    }


def _notify_payload(snap: PreparedSnapshot, snapshot_id: UUID) -> str:
    return json.dumps(
        {
            "snapshot_id": str(snapshot_id),
            "site_id": str(snap.site_id),
            "session_id": str(snap.session_id),
            "wake_number": snap.wake_number,
            "trigger": snap.trigger,
        }
    )
