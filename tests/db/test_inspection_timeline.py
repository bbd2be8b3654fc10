"""A session's timeline (stepping, neighbouring sessions, the strip) and exports, on the
demo fleet seeded and ticked at a fixed instant (real documents, real database).

The fleet is written once for the module; a test that changes rows changes its own site's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from support.demo_fleet import seed_and_tick

from snapwatch.inspection.export import export_session, export_snapshot
from snapwatch.inspection.timeline import (
    fetch_timeline,
    load_session_snapshots,
    load_snapshot,
    strip,
)


@pytest.fixture(scope="module")
def demo(module_migrated_dsn: str) -> str:
    asyncio.run(seed_and_tick(module_migrated_dsn))
    return module_migrated_dsn


@pytest.fixture
def db(demo: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with psycopg.connect(demo, row_factory=dict_row) as conn:
        yield conn
        conn.rollback()


def sessions_of(db: psycopg.Connection[dict[str, Any]], site: str) -> list[UUID]:
    rows = db.execute(
        """SELECT ss.session_id FROM site_device_sessions ss JOIN sites s USING (site_id)
            WHERE s.name = %s AND EXISTS (SELECT 1 FROM session_wake_snapshots w
                                           WHERE w.session_id = ss.session_id)
            ORDER BY ss.session_start_time""",
        (site,),
    ).fetchall()
    return [r["session_id"] for r in rows]


def run(demo: str, work: Any) -> Any:
    async def go() -> Any:
        conn = await psycopg.AsyncConnection.connect(demo, row_factory=dict_row)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(go())


def test_a_timeline_lists_the_sessions_snapshots_in_wake_order_and_links_its_neighbours(
    demo: str, db: psycopg.Connection[dict[str, Any]]
) -> None:
    first, second = sessions_of(db, "Records Archive")
    earlier = run(demo, lambda conn: fetch_timeline(conn, first))
    later = run(demo, lambda conn: fetch_timeline(conn, second))
    assert earlier.site_name == later.site_name == "Records Archive"
    assert earlier.next_session == second and earlier.previous_session is None
    assert later.previous_session == first and later.next_session is None
    stored = db.execute(
        "SELECT wake_number FROM session_wake_snapshots WHERE session_id = %s ORDER BY 1",
        (second,),
    ).fetchall()
    assert [e.wake_number for e in later.entries] == [r["wake_number"] for r in stored]
    assert all(e.trigger in {"schedule", "catch_up"} for e in later.entries)
    assert later.index_of(later.entries[-1].snapshot_id) == len(later.entries) - 1
    assert later.index_of(UUID(int=1)) is None


def test_the_strip_marks_triggers_gaps_wakes_not_yet_written_and_the_current_one(
    demo: str, db: psycopg.Connection[dict[str, Any]]
) -> None:
    (session,) = sessions_of(db, "Drying Floor")
    rows = db.execute(
        "SELECT snapshot_id, wake_number FROM session_wake_snapshots"
        " WHERE session_id = %s ORDER BY wake_number",
        (session,),
    ).fetchall()
    assert len(rows) >= 5
    forced, gone, current = rows[1], rows[2], rows[3]
    db.execute(
        "UPDATE session_wake_snapshots SET site_state = jsonb_set(site_state,"
        " '{snapshot_metadata,trigger}', '\"force\"') WHERE snapshot_id = %s",
        (forced["snapshot_id"],),
    )
    db.execute("DELETE FROM session_wake_snapshots WHERE snapshot_id = %s", (gone["snapshot_id"],))
    db.commit()
    timeline = run(demo, lambda conn: fetch_timeline(conn, session))
    marks = strip(timeline, current["snapshot_id"])
    by_wake = {m.wake_number: m for m in marks}
    assert by_wake[forced["wake_number"]].mark == "▲"
    assert by_wake[gone["wake_number"]].kind == "gap"
    assert by_wake[current["wake_number"]].current
    assert sum(m.current for m in marks) == 1
    last_written = rows[-1]["wake_number"]
    # Drying Floor: a 30-minute cadence, a 24-hour session
    assert timeline.wake_count == 48
    assert len(marks) == max(48, last_written)
    assert all(m.kind == "ahead" for m in marks if m.wake_number > last_written)


def test_an_older_shape_without_a_trigger_is_marked_unknown_not_dropped(
    demo: str, db: psycopg.Connection[dict[str, Any]]
) -> None:
    (session,) = sessions_of(db, "Pier 4 Cold Room")
    row = db.execute(
        "SELECT snapshot_id, wake_number FROM session_wake_snapshots"
        " WHERE session_id = %s ORDER BY wake_number LIMIT 1",
        (session,),
    ).fetchone()
    assert row is not None
    db.execute(
        "UPDATE session_wake_snapshots SET site_state = %s WHERE snapshot_id = %s",
        (Jsonb([{"device_code": "X", "mgi_score": 0.3}]), row["snapshot_id"]),
    )
    db.commit()
    timeline = run(demo, lambda conn: fetch_timeline(conn, session))
    marks = strip(timeline, None)
    assert marks[row["wake_number"] - 1].mark == "○"
    assert marks[row["wake_number"] - 1].kind == "written"


def test_an_export_parses_back_to_the_stored_document_and_never_overwrites(
    demo: str, db: psycopg.Connection[dict[str, Any]], tmp_path: Path
) -> None:
    first, _ = sessions_of(db, "Newark Annex")
    snapshot = db.execute(
        "SELECT snapshot_id, site_state FROM session_wake_snapshots WHERE session_id = %s"
        " ORDER BY wake_number DESC LIMIT 1",
        (first,),
    ).fetchone()
    assert snapshot is not None
    row = run(demo, lambda conn: load_snapshot(conn, snapshot["snapshot_id"]))
    path = export_snapshot(row, tmp_path / "out")
    assert json.loads(path.read_text()) == snapshot["site_state"]
    text = path.read_text()
    assert text.index('"schema_version"') < text.index('"devices"')  # the document's order
    again = export_snapshot(row, tmp_path / "out")
    assert again != path and again.name.endswith("-2.json")
    assert path.read_text() == text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [path.name, again.name]
    )  # no temporary file left behind


def test_a_session_exports_as_one_json_line_per_snapshot_in_wake_order(
    demo: str, db: psycopg.Connection[dict[str, Any]], tmp_path: Path
) -> None:
    _, second = sessions_of(db, "Newark Annex")
    rows = run(demo, lambda conn: load_session_snapshots(conn, second))
    path = export_session(rows, tmp_path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    stored = db.execute(
        "SELECT snapshot_id, wake_number, site_state FROM session_wake_snapshots"
        " WHERE session_id = %s ORDER BY wake_number",
        (second,),
    ).fetchall()
    assert [line["wake_number"] for line in lines] == [r["wake_number"] for r in stored]
    assert [line["site_state"] for line in lines] == [r["site_state"] for r in stored]
    assert [line["snapshot_id"] for line in lines] == [str(r["snapshot_id"]) for r in stored]
    with pytest.raises(ValueError, match="no snapshots"):
        export_session([], tmp_path)
