"""What the inspection screen reads, in workers: a snapshot with its session's timeline,
another snapshot of the timeline, a neighbouring session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from snapwatch.infra.dbsession import Conn
from snapwatch.infra.errors import SnapwatchError
from snapwatch.inspection.selection import select_snapshot, validation_problem
from snapwatch.inspection.timeline import (
    Timeline,
    fetch_timeline,
    load_snapshot,
)
from snapwatch.inspection.view import SnapshotView, StoredSnapshot, read_view


@dataclass(frozen=True)
class Opened:
    """A stored snapshot, read leniently, and the timeline of its session."""

    row: StoredSnapshot
    view: SnapshotView
    problem: str | None
    """Why the document is not a valid version-1 document (None when it is)."""
    timeline: Timeline


def opened(row: StoredSnapshot, timeline: Timeline) -> Opened:
    return Opened(row, read_view(row), validation_problem(row.site_state), timeline)


async def open_latest_or_id(
    conn: Conn, now: datetime, *, site: UUID | None = None, snapshot: UUID | None = None
) -> Opened:
    """A snapshot by id, or the site's latest."""
    row = await select_snapshot(
        conn,
        snapshot=str(snapshot) if snapshot is not None else None,
        site=str(site) if snapshot is None and site is not None else None,
        wake=None,
        now=now,
    )
    return opened(row, await fetch_timeline(conn, row.session_id))


async def open_entry(conn: Conn, timeline: Timeline, snapshot_id: UUID) -> Opened:
    """Another snapshot of ``timeline`` (read again: others may have written since)."""
    row = await load_snapshot(conn, snapshot_id)
    if row is None:
        raise SnapwatchError(f"snapshot {snapshot_id} is gone (deleted since the screen read it)")
    return opened(row, await fetch_timeline(conn, row.session_id))


async def open_session(conn: Conn, session_id: UUID, *, last: bool) -> Opened:
    """The first (or last) snapshot of another session."""
    timeline = await fetch_timeline(conn, session_id)
    if not timeline.entries:
        raise SnapwatchError("that session has no snapshots")
    entry = timeline.entries[-1 if last else 0]
    return await open_entry(conn, timeline, entry.snapshot_id)
