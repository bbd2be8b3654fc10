"""Writing one site's snapshots: one statement, claimed with a row lock, idempotent.

Any number of processes may write at once; PostgreSQL arbitrates. A site's snapshots are
written by a single statement in a transaction of its own: a process killed at any
instant leaves all of them or none, and a statement that fails (bad data, a constraint)
rolls back that site alone. Inside it the site row is locked ``FOR UPDATE SKIP LOCKED``
(a site another process is writing is left to it: no row comes back), due-ness is checked
again, and UNIQUE(session_id, wake_number) is the backstop: an existing row is replaced
only when it is a provisional (forced) one. ``last_snapshot_at`` and one ``NOTIFY`` per
snapshot go with it; ``last_snapshot_at`` only ever moves forward, and is not written at
all when it would not move (the platform's triggers on ``sites`` turn every update into
an audit row).

The transaction first sets, for itself alone, how long it waits for a lock held by
another process (``lock_timeout``: a platform migration's ``LOCK TABLE``, a long
transaction on a row) and whether its commit waits for the WAL flush. A write that runs
out of that wait is rolled back and the site reported busy with the table it waited on
(:mod:`snapwatch.infra.locks`), for the next tick to try again.

The transaction is pipelined (psycopg's pipeline mode: statements are sent without
waiting for each other's results), so its ``BEGIN``, settings and ``COMMIT`` cost little
beside the statement. The caller builds the next site's document while PostgreSQL writes
this one (:mod:`snapwatch.schedule.tick_batches`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.errors import LockNotAvailable
from psycopg.rows import tuple_row

from snapwatch.infra.locks import LockWait, lock_wait
from snapwatch.infra.notify import NOTIFY_CHANNEL
from snapwatch.infra.pooled import transaction_with
from snapwatch.snapshot.aggregates import Aggregates
from snapwatch.snapshot.inputs import MAX_CADENCE_HOURS

LONGEST_WINDOW = timedelta(hours=MAX_CADENCE_HOURS)
"""No snapshot window is longer than the longest cadence."""

WRITTEN_TABLES = ("session_wake_snapshots", "snapwatch.provisional_snapshots", "sites")

# A backfill (``fill``) writes slots behind the session's newest snapshot: for it a slot
# is fresh when no regular row takes its window (UNIQUE still holds its wake number).
# The documents are joined in only where they are inserted (not carried through the
# CTEs, which would copy them). The statement snapshot of a single statement predates the
# row lock, so a process that
# committed the same slot in between is not seen by the re-check; the insert then meets
# its row on UNIQUE(session_id, wake_number). Such a row is replaced only when it is still
# provisional by its own content (the bookkeeping row is read as of the statement
# snapshot, the conflicting row as it is now), so a regular row is never overwritten.
# No window is written over a regular row of the site, whatever its session: a process
# whose view of the sessions is older than the one that wrote them (an overlapping
# session appeared in between) finds the window taken. Windows are at most a day long
# (``longest``), which bounds the look-up on (site_id, wake_round_start). Like the
# re-check, it reads the statement snapshot, and UNIQUE does not back it across sessions.
WRITE_SQL = """
WITH claimed AS (
    SELECT s.site_id FROM sites s
     WHERE s.site_id = %(site)s
       FOR UPDATE SKIP LOCKED
), slots AS (
    SELECT x.*
      FROM unnest(%(sessions)b::uuid[], %(wakes)b::int4[], %(starts)b::timestamptz[],
                  %(ends)b::timestamptz[], %(provisional)b::bool[], %(triggers)b::text[])
           WITH ORDINALITY AS x(session_id, wake_number, s, e, provisional, trigger, n)
     WHERE EXISTS (SELECT 1 FROM claimed)
), fresh AS (
    SELECT x.*
      FROM slots x
     WHERE (x.provisional OR %(fill)s
            OR NOT EXISTS (
                   SELECT 1 FROM session_wake_snapshots w
                    WHERE w.session_id = x.session_id AND w.wake_round_end >= x.e
                      AND NOT EXISTS (SELECT 1 FROM snapwatch.provisional_snapshots p
                                       WHERE p.session_id = w.session_id
                                         AND p.wake_number = w.wake_number)))
       AND NOT EXISTS (
               SELECT 1 FROM session_wake_snapshots w
                WHERE w.site_id = %(site)s
                  AND w.wake_round_start < x.e AND w.wake_round_end > x.s
                  AND w.wake_round_start > x.s - %(longest)s::interval
                  AND NOT EXISTS (SELECT 1 FROM snapwatch.provisional_snapshots p
                                   WHERE p.session_id = w.session_id
                                     AND p.wake_number = w.wake_number))
), upserted AS (
    INSERT INTO session_wake_snapshots AS w (
        company_id, program_id, site_id, session_id, wake_number, wake_round_start,
        wake_round_end, site_state, active_devices_count, new_images_this_round,
        new_alerts_this_round, avg_temperature, avg_humidity, avg_mgi, max_mgi, created_at)
    SELECT %(company_id)s, %(program_id)s, %(site)s, f.session_id, f.wake_number, f.s, f.e,
           v.doc::jsonb, v.devices, v.images, v.alerts, v.temperature, v.humidity, v.mgi,
           v.max_mgi, %(now)s
      FROM fresh f
      JOIN unnest(%(docs)b::text[], %(devices)b::int4[], %(images)b::int4[],
                  %(alerts)b::int4[], %(temperatures)b::numeric[], %(humidities)b::numeric[],
                  %(mgis)b::numeric[], %(max_mgis)b::numeric[])
           WITH ORDINALITY AS v(doc, devices, images, alerts, temperature, humidity, mgi,
                                max_mgi, n)
        ON v.n = f.n
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
       AND w.site_state #> '{snapshot_metadata,provisional}' = 'true'::jsonb
    RETURNING w.snapshot_id, w.session_id, w.wake_number
), marked AS (
    INSERT INTO snapwatch.provisional_snapshots (session_id, wake_number)
    SELECT u.session_id, u.wake_number
      FROM upserted u JOIN slots x USING (session_id, wake_number)
     WHERE x.provisional
    ON CONFLICT DO NOTHING
), cleared AS (
    DELETE FROM snapwatch.provisional_snapshots p
     USING upserted u JOIN slots x USING (session_id, wake_number)
     WHERE NOT x.provisional
       AND p.session_id = u.session_id AND p.wake_number = u.wake_number
), touched AS (
    UPDATE sites SET last_snapshot_at = %(now)s
     WHERE site_id = %(site)s AND EXISTS (SELECT 1 FROM upserted)
       AND (last_snapshot_at IS NULL OR last_snapshot_at < %(now)s)
)
SELECT x.n, u.snapshot_id, f.n IS NOT NULL AS fresh,
       CASE WHEN u.snapshot_id IS NOT NULL THEN
            pg_notify(%(channel)s, json_build_object(
                'snapshot_id', u.snapshot_id, 'site_id', %(site)s::uuid,
                'session_id', x.session_id, 'wake_number', x.wake_number,
                'trigger', x.trigger)::text)
       END AS notified
  FROM slots x
  LEFT JOIN fresh f ON f.n = x.n
  LEFT JOIN upserted u ON u.session_id = x.session_id AND u.wake_number = x.wake_number
 ORDER BY x.n
"""


# Rows a backfill replaces (asked for by name: other shape, invalid, off-grid) are first
# copied whole into snapwatch.replaced_snapshots, then deleted, in the transaction that
# writes their replacements and only once the site row is claimed.
ARCHIVE_SQL = """
WITH claimed AS (
    SELECT s.site_id FROM sites s
     WHERE s.site_id = %(site)s
       FOR UPDATE SKIP LOCKED
), gone AS (
    DELETE FROM session_wake_snapshots w
     USING unnest(%(ids)s::uuid[], %(kinds)s::text[]) AS x(snapshot_id, replaced_kind)
     WHERE w.snapshot_id = x.snapshot_id AND w.site_id = %(site)s
       AND EXISTS (SELECT 1 FROM claimed)
    RETURNING w.*, x.replaced_kind
)
INSERT INTO snapwatch.replaced_snapshots (
    snapshot_id, site_id, session_id, wake_number, wake_round_start, wake_round_end, kind,
    row_data, replaced_at, replaced_by, reason, run_id)
SELECT g.snapshot_id, g.site_id, g.session_id, g.wake_number, g.wake_round_start,
       g.wake_round_end, g.replaced_kind, to_jsonb(g) - 'replaced_kind', %(now)s, %(who)s,
       %(reason)s, %(run)s
  FROM gone g
RETURNING snapshot_id
"""

# Each replaced row points at the snapshot written over its window.
REPLACED_BY_SQL = """
UPDATE snapwatch.replaced_snapshots r
   SET replacement_id = w.snapshot_id
  FROM session_wake_snapshots w
 WHERE r.snapshot_id = ANY(%(ids)s::uuid[]) AND r.restored_at IS NULL
   AND w.snapshot_id = ANY(%(written)s::uuid[]) AND w.session_id = r.session_id
   AND w.wake_round_start < r.wake_round_end AND w.wake_round_end > r.wake_round_start
"""


@dataclass(frozen=True)
class Replacing:
    """Rows to move aside before a backfill writes over them, and why."""

    snapshot_ids: tuple[UUID, ...]
    kinds: tuple[str, ...]
    """``other_shape``, ``invalid_v1`` or ``off_grid``, one per row."""
    who: str
    reason: str
    run_id: UUID | None = None


class _NotReplaced(Exception):
    """Some replacement was not written: nothing is moved aside (the transaction rolls back)."""


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
    """Another process holds the site (nothing was tried)."""
    lock_wait: LockWait | None = None
    """The write waited for a lock past ``lock_timeout`` and was rolled back."""
    written: list[tuple[PreparedSnapshot, UUID]] = field(default_factory=list)
    replaced: int = 0
    """Rows moved aside (``replacing``) and written over."""
    # (snapshot, why nothing was written): covered meanwhile, or a regular row exists.
    conflicts: list[tuple[PreparedSnapshot, str]] = field(default_factory=list)


async def write_site(
    conn: AsyncConnection[Any],
    site_id: UUID,
    snapshots: list[PreparedSnapshot],
    now: datetime,
    *,
    lock_timeout_ms: int,
    durable: bool = True,
    fill: bool = False,
    replacing: Replacing | None = None,
) -> SiteWrite:
    """Write ``snapshots`` of one site in one statement, in a transaction of its own on
    the caller's autocommit connection (a savepoint inside the caller's transaction).
    It waits at most ``lock_timeout_ms`` for each lock. Not ``durable``: the commit does
    not wait for its WAL flush (the server's synchronous_commit otherwise). ``fill``: a
    backfill's slots behind the newest snapshot. ``replacing``: rows moved aside first, in
    the same transaction; when any snapshot is not written, nothing is (all or none)."""
    result = SiteWrite()
    if not snapshots:
        return result
    local = {"lock_timeout": str(lock_timeout_ms)}
    if not durable:
        local["synchronous_commit"] = "off"
    params = {**write_params(site_id, snapshots, now), "fill": fill}
    try:
        async with (
            conn.pipeline(),
            transaction_with(conn, local),
            conn.cursor(row_factory=tuple_row) as cur,
        ):
            if replacing is not None:
                result.replaced = await _archive(cur, site_id, replacing, now)
            await cur.execute(WRITE_SQL, params)
            rows = await cur.fetchall()
            if replacing is not None:
                await _point_to_replacements(cur, replacing, rows, len(snapshots))
    except LockNotAvailable as exc:
        result.lock_wait = await lock_wait(conn, exc, WRITTEN_TABLES)
        return result
    except _NotReplaced:
        rows = None
        result.replaced = 0
    if rows is None:
        result.conflicts = [(s, "not written: the rows it replaces were kept") for s in snapshots]
        return result
    if not rows:
        result.busy = True
        return result
    for n, snapshot_id, fresh, _ in rows:
        snap = snapshots[n - 1]
        if snapshot_id is not None:
            result.written.append((snap, snapshot_id))
        elif not fresh:
            result.conflicts.append((snap, "already written by another process"))
        else:
            result.conflicts.append((snap, f"wake {snap.wake_number} already has a snapshot"))
    return result


async def _archive(cur: Any, site_id: UUID, replacing: Replacing, now: datetime) -> int:
    await cur.execute(
        ARCHIVE_SQL,
        {
            "site": site_id,
            "ids": list(replacing.snapshot_ids),
            "kinds": list(replacing.kinds),
            "now": now,
            "who": replacing.who,
            "reason": replacing.reason,
            "run": replacing.run_id,
        },
    )
    return len(await cur.fetchall())


async def _point_to_replacements(
    cur: Any, replacing: Replacing, rows: list[tuple[Any, ...]], wanted: int
) -> None:
    written = [row[1] for row in rows if row[1] is not None]
    if not rows:
        return  # the site is busy: nothing was claimed, so nothing was moved aside
    if len(written) < wanted:
        raise _NotReplaced
    await cur.execute(REPLACED_BY_SQL, {"ids": list(replacing.snapshot_ids), "written": written})


def write_params(site_id: UUID, snapshots: list[PreparedSnapshot], now: datetime) -> dict[str, Any]:
    """The statement's parameters: the site's row values, and one array element per
    snapshot (sent in binary: no quoting of the documents' text)."""
    first = snapshots[0]
    aggs = [s.aggregate for s in snapshots]
    return {
        "site": site_id,
        "company_id": first.company_id,
        "program_id": first.program_id,
        "now": now,
        "channel": NOTIFY_CHANNEL,
        "longest": LONGEST_WINDOW,
        "sessions": [s.session_id for s in snapshots],
        "wakes": [s.wake_number for s in snapshots],
        "starts": [s.start for s in snapshots],
        "ends": [s.end for s in snapshots],
        "docs": [s.document for s in snapshots],
        "provisional": [s.provisional for s in snapshots],
        "triggers": [s.trigger for s in snapshots],
        "devices": [a.active_devices_count for a in aggs],
        "images": [a.new_images_this_round for a in aggs],
        "alerts": [a.new_alerts_this_round for a in aggs],
        "temperatures": [a.avg_temperature for a in aggs],
        "humidities": [a.avg_humidity for a in aggs],
        "mgis": [a.avg_mgi for a in aggs],
        "max_mgis": [a.max_mgi for a in aggs],
    }
