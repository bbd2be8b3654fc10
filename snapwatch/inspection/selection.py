"""Which stored snapshot a person asked for: by id, a site's latest, or a wake of the
site's open (or newest) session; the one before it; and whether it is a valid document.
The command line (``snapwatch inspect``) and the app (the inspect screen) choose alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from pydantic import ValidationError

from snapwatch.infra.errors import SnapwatchError
from snapwatch.inspection.timeline import SNAPSHOT_COLUMNS, stored
from snapwatch.inspection.view import StoredSnapshot
from snapwatch.schedule.sitestate import load_sites, resolve_site
from snapwatch.snapshot.model import SnapshotDocument
from snapwatch.text.lines import one_line
from snapwatch.text.numbers import ranges

Conn = AsyncConnection[dict[str, Any]]

BY_ID_SQL = SNAPSHOT_COLUMNS + " WHERE w.snapshot_id = %(id)s"

LATEST_SQL = (
    SNAPSHOT_COLUMNS
    + " WHERE w.site_id = %(site)s ORDER BY w.wake_round_end DESC, w.created_at DESC"
    " LIMIT 1"
)

BY_WAKE_SQL = SNAPSHOT_COLUMNS + " WHERE w.session_id = %(session)s AND w.wake_number = %(wake)s"

PREVIOUS_SQL = (
    SNAPSHOT_COLUMNS + " WHERE w.session_id = %(session)s AND w.wake_number < %(wake)s"
    " ORDER BY w.wake_number DESC LIMIT 1"
)

# The site's newest session holding snapshots (when no session is open).
NEWEST_SESSION_SQL = """
SELECT ss.session_id, ss.session_date
  FROM site_device_sessions ss
 WHERE ss.site_id = %(site)s
   AND EXISTS (SELECT 1 FROM session_wake_snapshots w WHERE w.session_id = ss.session_id)
 ORDER BY ss.session_start_time DESC
 LIMIT 1
"""

WAKES_SQL = """
SELECT coalesce(array_agg(wake_number ORDER BY wake_number), '{}') AS wakes
  FROM session_wake_snapshots WHERE session_id = %(session)s
"""


async def select_snapshot(
    conn: Conn,
    *,
    snapshot: str | None,
    site: str | None,
    wake: int | None,
    now: datetime,
) -> StoredSnapshot:
    """The chosen snapshot, or :class:`SnapwatchError` naming what was not found."""
    if snapshot is not None:
        snapshot_id = _uuid(snapshot)
        if snapshot_id is None:
            raise SnapwatchError(
                f"not a snapshot id: {snapshot!r} (a UUID; use --site to choose by site)"
            )
        found = await _one(conn, BY_ID_SQL, {"id": snapshot_id})
        if found is None:
            raise SnapwatchError(f"snapshot {snapshot_id} not found")
        return found
    assert site is not None
    ref = await resolve_site(conn, site)
    site_id, site_name = ref.site_id, ref.name
    if wake is None:
        found = await _one(conn, LATEST_SQL, {"site": site_id})
        if found is None:
            raise SnapwatchError(f"site {site_name!r} has no snapshots")
        return found
    (view,) = await load_sites(conn, now, site_id)
    if view.open_session is not None:
        facts = view.open_session.facts
        session = {"session_id": facts.session_id, "session_date": facts.session_date}
        which = "open session"
    else:
        cur = await conn.execute(NEWEST_SESSION_SQL, {"site": site_id})
        newest = await cur.fetchone()
        if newest is None:
            raise SnapwatchError(f"site {site_name!r} has no open session and no snapshots")
        session, which = newest, "latest session with snapshots"
    found = await _one(conn, BY_WAKE_SQL, {"session": session["session_id"], "wake": wake})
    if found is None:
        cur = await conn.execute(WAKES_SQL, {"session": session["session_id"]})
        row = await cur.fetchone()
        held = _held(row["wakes"] if row else [])
        raise SnapwatchError(
            f"site {site_name!r} has no snapshot for wake {wake} in its {which} "
            f"({session['session_date']}; {held})"
        )
    return found


async def previous_snapshot(conn: Conn, row: StoredSnapshot) -> StoredSnapshot | None:
    """The snapshot of the same session with the highest wake number below this one's."""
    return await _one(
        conn,
        PREVIOUS_SQL,
        {"session": row.session_id, "wake": row.wake_number},
    )


async def _one(conn: Conn, query: str, params: dict[str, Any]) -> StoredSnapshot | None:
    row = await (await conn.execute(query, params)).fetchone()
    return None if row is None else stored(row)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text.strip())
    except ValueError:
        return None


def validation_problem(document: Any) -> str | None:
    """``None`` when ``document`` is a valid version-1 document, else a one-line reason."""
    try:
        SnapshotDocument.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        message = one_line(str(first["msg"]))
        more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
        return f"{where}: {message}{more}"
    return None


def _held(wakes: list[int]) -> str:
    """``it has wakes 1-32, 35-80 (33-34 missing)``."""
    if not wakes:
        return "it has no snapshots yet"
    gaps = [n for n in range(wakes[0], wakes[-1]) if n not in set(wakes)]
    missing = f" ({ranges(gaps)} missing)" if gaps else ""
    return f"it has wakes {ranges(wakes)}{missing}"
