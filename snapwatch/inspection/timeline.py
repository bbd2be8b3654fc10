"""A session's snapshots in wake order, for stepping and replaying them.

:func:`fetch_timeline` reads the session's snapshot rows (without their documents), the
session's expected wake count, and the site's sessions before and after it that hold
snapshots. :func:`load_snapshot` reads one stored document. :func:`strip` lays the
session's wakes out as marks: written (by trigger), missing, and the current one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.inspection.view import StoredSnapshot
from snapwatch.schedule.cadence import choose_cadence
from snapwatch.schedule.slots import slot_count

Conn = AsyncConnection[dict[str, Any]]

ENTRIES_SQL = """
SELECT w.snapshot_id, w.wake_number, w.wake_round_start, w.wake_round_end, w.created_at,
       w.site_state #>> '{snapshot_metadata,trigger}' AS trigger,
       w.site_state #>> '{snapshot_metadata,provisional}' AS provisional
  FROM session_wake_snapshots w
 WHERE w.session_id = %(session)s
 ORDER BY w.wake_number
"""

SESSION_SQL = """
SELECT ss.session_id, ss.site_id, ss.session_date, ss.session_start_time,
       ss.session_end_time, s.name AS site_name,
       s.snapshot_cadence_hours::float8 AS cadence_hours_raw, s.snapshot_cadence_per_day
  FROM site_device_sessions ss
  LEFT JOIN sites s ON s.site_id = ss.site_id
 WHERE ss.session_id = %(session)s
"""

# The site's nearest sessions before and after one start time that hold snapshots.
NEIGHBOURS_SQL = """
SELECT (SELECT ss.session_id FROM site_device_sessions ss
         WHERE ss.site_id = %(site)s AND ss.session_start_time < %(start)s
           AND EXISTS (SELECT 1 FROM session_wake_snapshots w
                        WHERE w.session_id = ss.session_id)
         ORDER BY ss.session_start_time DESC LIMIT 1) AS previous,
       (SELECT ss.session_id FROM site_device_sessions ss
         WHERE ss.site_id = %(site)s AND ss.session_start_time > %(start)s
           AND EXISTS (SELECT 1 FROM session_wake_snapshots w
                        WHERE w.session_id = ss.session_id)
         ORDER BY ss.session_start_time LIMIT 1) AS next
"""

SNAPSHOT_COLUMNS = """
SELECT w.snapshot_id, w.site_id, w.session_id, w.wake_number, w.wake_round_start,
       w.wake_round_end, w.created_at, w.site_state, s.name AS site_name, ss.session_date
  FROM session_wake_snapshots w
  LEFT JOIN sites s ON s.site_id = w.site_id
  LEFT JOIN site_device_sessions ss ON ss.session_id = w.session_id
"""
"""What :func:`stored` reads, for a WHERE clause to follow."""

SNAPSHOT_SQL = SNAPSHOT_COLUMNS + " WHERE w.snapshot_id = %(id)s"

SESSION_DOCUMENTS_SQL = (
    SNAPSHOT_COLUMNS + " WHERE w.session_id = %(session)s ORDER BY w.wake_number"
)

TRIGGER_MARKS = {"schedule": "●", "catch_up": "◆", "force": "▲", "backfill": "◇"}
"""How the strip marks a written wake, by the trigger that wrote it."""
UNKNOWN_TRIGGER_MARK = "○"
GAP_MARK = "_"
AHEAD_MARK = "·"


@dataclass(frozen=True)
class TimelineEntry:
    snapshot_id: UUID
    wake_number: int
    wake_round_start: datetime
    wake_round_end: datetime
    created_at: datetime
    trigger: str | None
    provisional: bool


@dataclass(frozen=True)
class Timeline:
    site_id: UUID
    site_name: str
    session_id: UUID
    session_date: date | None
    wake_count: int | None
    """The session's wakes at the site's cadence (None without a cadence)."""
    entries: tuple[TimelineEntry, ...]
    previous_session: UUID | None
    """The site's latest earlier session with snapshots."""
    next_session: UUID | None

    def index_of(self, snapshot_id: UUID) -> int | None:
        return next((i for i, e in enumerate(self.entries) if e.snapshot_id == snapshot_id), None)


StripKind = Literal["written", "gap", "ahead"]
"""A wake with a snapshot, one missing before the last written wake, or one after it."""


@dataclass(frozen=True)
class StripMark:
    wake_number: int
    kind: StripKind
    mark: str
    trigger: str | None
    provisional: bool
    current: bool


async def fetch_timeline(conn: Conn, session_id: UUID) -> Timeline:
    session = await (await conn.execute(SESSION_SQL, {"session": session_id})).fetchone()
    rows = await (await conn.execute(ENTRIES_SQL, {"session": session_id})).fetchall()
    entries = tuple(
        TimelineEntry(
            snapshot_id=r["snapshot_id"],
            wake_number=r["wake_number"],
            wake_round_start=r["wake_round_start"],
            wake_round_end=r["wake_round_end"],
            created_at=r["created_at"],
            trigger=r["trigger"],
            provisional=r["provisional"] == "true",
        )
        for r in rows
    )
    if session is None:
        # A snapshot whose session row is gone: the timeline is its snapshots alone.
        return Timeline(
            site_id=UUID(int=0),
            site_name="?",
            session_id=session_id,
            session_date=None,
            wake_count=None,
            entries=entries,
            previous_session=None,
            next_session=None,
        )
    near = await (
        await conn.execute(
            NEIGHBOURS_SQL,
            {"site": session["site_id"], "start": session["session_start_time"]},
        )
    ).fetchone()
    assert near is not None
    return Timeline(
        site_id=session["site_id"],
        site_name=session["site_name"] or str(session["site_id"]),
        session_id=session_id,
        session_date=session["session_date"],
        wake_count=_wake_count(session),
        entries=entries,
        previous_session=near["previous"],
        next_session=near["next"],
    )


def _wake_count(session: dict[str, Any]) -> int | None:
    cadence = choose_cadence(
        session["cadence_hours_raw"], session["snapshot_cadence_per_day"]
    ).hours
    if cadence is None:
        return None
    return slot_count(session["session_start_time"], session["session_end_time"], cadence)


async def load_snapshot(conn: Conn, snapshot_id: UUID) -> StoredSnapshot | None:
    row = await (await conn.execute(SNAPSHOT_SQL, {"id": snapshot_id})).fetchone()
    return None if row is None else stored(row)


async def load_session_snapshots(conn: Conn, session_id: UUID) -> list[StoredSnapshot]:
    """Every snapshot of the session with its document, in wake order."""
    rows = await (await conn.execute(SESSION_DOCUMENTS_SQL, {"session": session_id})).fetchall()
    return [stored(r) for r in rows]


def stored(row: dict[str, Any]) -> StoredSnapshot:
    """A ``session_wake_snapshots`` row (joined with its site's name and session date)."""
    return StoredSnapshot(
        snapshot_id=row["snapshot_id"],
        site_id=row["site_id"],
        session_id=row["session_id"],
        wake_number=row["wake_number"],
        wake_round_start=row["wake_round_start"],
        wake_round_end=row["wake_round_end"],
        created_at=row["created_at"],
        site_state=row["site_state"],
        site_name=row["site_name"] or str(row["site_id"]),
        session_date=row["session_date"],
    )


def strip(timeline: Timeline, current: UUID | None) -> list[StripMark]:
    """One mark per wake from 1 to the session's wake count (or the last written wake,
    if higher): written ones by trigger, missing ones before the last written as gaps, the
    rest as not yet written."""
    by_wake = {e.wake_number: e for e in timeline.entries}
    written = max(by_wake, default=0)
    last = max(timeline.wake_count or 0, written)
    marks: list[StripMark] = []
    for wake in range(1, last + 1):
        entry = by_wake.get(wake)
        if entry is None:
            kind: StripKind = "gap" if wake < written else "ahead"
            mark = GAP_MARK if kind == "gap" else AHEAD_MARK
            marks.append(StripMark(wake, kind, mark, None, False, False))
            continue
        marks.append(
            StripMark(
                wake,
                "written",
                TRIGGER_MARKS.get(entry.trigger or "", UNKNOWN_TRIGGER_MARK),
                entry.trigger,
                entry.provisional,
                entry.snapshot_id == current,
            )
        )
    return marks
