"""``snapwatch inspect``: show one stored snapshot, its JSON, or its diff with the previous.

A snapshot is chosen by its id, or by site (id, site_code or name, any case) with
``--wake N`` (in the site's open session, else its newest session with snapshots) or
``--latest`` (the site's newest snapshot by round end, then creation time). The stored
document is shown as it is; when it does not validate as a version-1 document (written
by an older tool) a one-line warning goes to stderr and what can be read is shown.
``--diff`` lists the devices that changed since the previous snapshot of the session,
every device with ``--all``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, TextIO
from uuid import UUID

from psycopg import AsyncConnection
from pydantic import ValidationError

from snapwatch.commands.inspect_diff import diff_json, render_diff
from snapwatch.commands.inspect_json import document_json
from snapwatch.commands.inspect_render import render_snapshot
from snapwatch.inert import inert_json
from snapwatch.infra.access import Job, connect_for
from snapwatch.infra.clock import command_now
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_OK, SnapwatchError
from snapwatch.inspection.diff import diff_snapshots
from snapwatch.inspection.timeline import SNAPSHOT_COLUMNS, stored
from snapwatch.inspection.view import StoredSnapshot, read_view
from snapwatch.schedule.sitestate import load_sites, resolve_site
from snapwatch.snapshot.model import SnapshotDocument

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
SELECT count(*) AS n, min(wake_number) AS first, max(wake_number) AS last
  FROM session_wake_snapshots WHERE session_id = %(session)s
"""


async def inspect(
    target: Target,
    settings: Settings,
    *,
    snapshot: str | None,
    site: str | None,
    wake: int | None,
    latest: bool,
    as_json: bool,
    diff: bool,
    out: TextIO,
    all_devices: bool = False,
    err: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """Print the chosen snapshot (text, its stored JSON, or the diff); return the exit code.

    ``now`` decides which session is open for ``wake`` (default: the schedulers' clock);
    ``all_devices`` (only with ``diff``) lists unchanged devices too."""
    check_selection(snapshot, site, wake, latest, diff=diff, all_devices=all_devices)
    conn, _ = await connect_for(target, settings, Job.VIEW, read_only=True)
    try:
        row = await select_snapshot(
            conn,
            snapshot=snapshot,
            site=site,
            wake=wake,
            now=await command_now(conn, now),
        )
        previous = await previous_snapshot(conn, row) if diff else None
    finally:
        await conn.close()
    warnings = err if err is not None else sys.stderr
    for shown in (row, previous):
        if shown is not None and (problem := validation_problem(shown.site_state)):
            warnings.write(
                f"snapwatch: warning: snapshot {shown.snapshot_id} (wake "
                f"{shown.wake_number}) is not a valid version-1 document ({problem}); "
                "showing what it holds\n"
            )
    if diff:
        result = diff_snapshots(read_view(row), read_view(previous) if previous else None)
        changed_only = not all_devices
        if as_json:
            data = diff_json(result, changed_only=changed_only)
            out.write(inert_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
        else:
            out.write(render_diff(result, changed_only=changed_only))
    elif as_json:
        out.write(document_json(row.site_state) + "\n")
    else:
        out.write(render_snapshot(read_view(row)))
    return EXIT_OK


def check_selection(
    snapshot: str | None,
    site: str | None,
    wake: int | None,
    latest: bool,
    *,
    diff: bool,
    all_devices: bool,
) -> None:
    if snapshot is not None and site is not None:
        raise SnapwatchError("give a snapshot id or --site, not both")
    if snapshot is None and site is None:
        raise SnapwatchError("give a snapshot id, or --site S (with --wake N or --latest)")
    if snapshot is not None and (wake is not None or latest):
        raise SnapwatchError("--wake and --latest choose among a site's snapshots: use --site")
    if wake is not None and latest:
        raise SnapwatchError("--wake and --latest are mutually exclusive")
    if wake is not None and wake < 1:
        raise SnapwatchError(f"invalid wake number {wake}: wakes are numbered from 1")
    if all_devices and not diff:
        raise SnapwatchError("--all lists every device of a diff: use it with --diff")


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
        wakes = await cur.fetchone()
        held = (
            f"it has wakes {wakes['first']}-{wakes['last']}"
            if wakes and wakes["n"]
            else "it has no snapshots yet"
        )
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
        message = " ".join(str(first["msg"]).split())
        more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
        return f"{where}: {message}{more}"
    return None
