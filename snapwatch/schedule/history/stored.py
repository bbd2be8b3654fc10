"""What is stored for past sessions: the sessions of a date range and their snapshot rows,
read set-based and without the documents (an audit of a year never loads one).

Each row comes with the facts its kind is judged by: the document's JSON type and
``schema_version`` (the skeleton :func:`snapwatch.inspection.shapes.normalise` names the
shape from), its ``snapshot_metadata`` object, whether it is bookkept as provisional, and
whether it has every key the schema requires with the types it allows (the schema's own
rule, :func:`snapwatch.snapshot.schema.shallow_rule`, as one JSON path per read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.inspection.lenient import instant, integer
from snapwatch.inspection.shapes import normalise
from snapwatch.schedule.sitestate import SessionView, session_view
from snapwatch.snapshot.schema import shallow_rule

# Sessions of the sites dated inside the range, and those of the days on either side (a
# session that overlaps one in the range takes part in who owns which instant).
SESSIONS_SQL = """
SELECT ss.site_id, ss.session_id, ss.session_date, ss.session_start_time,
       ss.session_end_time, ss.status, ss.expected_wake_count, ss.locked_at
  FROM site_device_sessions ss
 WHERE ss.site_id = ANY(%(sites)s::uuid[])
   AND ss.session_date BETWEEN %(since)s::date - 1 AND %(until)s::date + 1
 ORDER BY ss.site_id, ss.session_start_time, ss.session_id
"""

# A stored document is compressed: each expression on it would decompress it again, so an
# object (the usual case) is decompressed once into ``d.doc`` (``|| '{}'`` copies it in
# memory; OFFSET 0 keeps the planner from folding it back into each use).
ROWS_SQL = """
SELECT w.snapshot_id, w.site_id, w.session_id, w.wake_number, w.wake_round_start,
       w.wake_round_end, w.created_at, p.session_id IS NOT NULL AS bookkept,
       jsonb_typeof(d.doc) AS json_type,
       CASE WHEN jsonb_typeof(d.doc) = 'string' THEN d.doc #>> '{}' END AS json_text,
       d.doc -> 'schema_version' AS schema_version,
       d.doc -> 'snapshot_metadata' AS metadata,
       jsonb_path_exists(d.doc, %(rule)s::jsonpath) AS has_required
  FROM session_wake_snapshots w
  CROSS JOIN LATERAL (
        SELECT CASE WHEN jsonb_typeof(w.site_state) = 'object'
                    THEN w.site_state || '{}'::jsonb ELSE w.site_state END AS doc
        OFFSET 0) d
  LEFT JOIN snapwatch.provisional_snapshots p
         ON p.session_id = w.session_id AND p.wake_number = w.wake_number
 WHERE w.session_id = ANY(%(sessions)s::uuid[])
 ORDER BY w.session_id, w.wake_round_start, w.wake_number
"""

# For the rows that miss the schema's rule: the first required key each one lacks.
FAULTS_SQL = """
SELECT w.snapshot_id,
       (SELECT k.path FROM unnest(%(paths)s::text[], %(types)s::text[]) WITH ORDINALITY
                         AS k(path, types, n)
         WHERE NOT coalesce(jsonb_typeof(w.site_state #> k.path::text[])
                            = ANY(string_to_array(k.types, ',')), false)
         ORDER BY k.n LIMIT 1) AS fault
  FROM session_wake_snapshots w
 WHERE w.snapshot_id = ANY(%(ids)s::uuid[])
"""


@dataclass(frozen=True)
class StoredRow:
    """One stored snapshot row, as an audit judges it."""

    snapshot_id: UUID
    site_id: UUID
    session_id: UUID
    wake_number: int
    start: datetime
    end: datetime
    created_at: datetime | None
    provisional: bool
    """Bookkept as forced, or marked provisional in its own metadata."""
    shape: str
    """``v1``, ``bare array``, ``unversioned``, ``schema vN``, ``JSON string``, ``empty``."""
    fault: str | None
    """For a v1 row, why it is not a valid one (a required key missing or of the wrong
    type, or metadata that disagrees with the row's columns); None when it is."""


@cache
def _rule_path() -> str:
    """The schema's shallow rule as one JSON path filter (true when it holds)."""
    tests = []
    for path, types in shallow_rule():
        accessor = "@" + "".join(f".{json.dumps(key)}" for key in path)
        either = " || ".join(f'{accessor}.type() == "{_path_type(t)}"' for t in types)
        tests.append(f"({either})")
    return f"$ ? ({' && '.join(tests)})"


def _path_type(jsonb_type: str) -> str:
    """``jsonb_typeof``'s name as the JSON path ``.type()`` method says it."""
    return {"object": "object", "array": "array", "number": "number"}.get(jsonb_type, jsonb_type)


async def read_sessions(
    conn: AsyncConnection[Any], sites: list[UUID], since: date, until: date
) -> dict[UUID, list[SessionView]]:
    """Each site's sessions dated ``since``..``until`` and those a day on either side (who
    owns an instant depends on its neighbours), in start order."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SESSIONS_SQL, {"sites": sites, "since": since, "until": until})
        rows = await cur.fetchall()
    out: dict[UUID, list[SessionView]] = {}
    for r in rows:
        out.setdefault(r["site_id"], []).append(session_view(r, None))
    return out


async def read_rows(conn: AsyncConnection[Any], sessions: list[UUID]) -> list[StoredRow]:
    """The snapshot rows of ``sessions``, judged (never their documents)."""
    if not sessions:
        return []
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ROWS_SQL, {"sessions": sessions, "rule": _rule_path()})
        rows = await cur.fetchall()
    faults = await _faults(
        conn, [r["snapshot_id"] for r in rows if _v1(r) and not r["has_required"]]
    )
    return [_stored(r, faults) for r in rows]


def _v1(r: dict[str, Any]) -> bool:
    return _shape(r) == "v1"


def _shape(r: dict[str, Any]) -> str:
    """The shape name, by the inspection's own rule, from the document's skeleton."""
    kind = r["json_type"]
    skeleton: Any
    if kind == "object":
        skeleton = {"schema_version": r["schema_version"]}
    elif kind == "array":
        skeleton = []
    elif kind == "string":
        skeleton = r["json_text"]
    else:
        skeleton = None
    return normalise(skeleton).shape


async def _faults(conn: AsyncConnection[Any], ids: list[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    rule = shallow_rule()
    paths = ["{" + ",".join(path) + "}" for path, _ in rule]
    types = [",".join(types) for _, types in rule]
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(FAULTS_SQL, {"ids": ids, "paths": paths, "types": types})
        rows = await cur.fetchall()
    return {
        r["snapshot_id"]: f"{r['fault'].strip('{}').replace(',', '.')} missing or of the wrong type"
        for r in rows
        if r["fault"]
    }


def _stored(r: dict[str, Any], faults: dict[UUID, str]) -> StoredRow:
    shape = _shape(r)
    meta = r["metadata"] if isinstance(r["metadata"], dict) else {}
    fault = None
    if shape == "v1":
        fault = faults.get(r["snapshot_id"]) or _disagreement(r, meta)
    return StoredRow(
        snapshot_id=r["snapshot_id"],
        site_id=r["site_id"],
        session_id=r["session_id"],
        wake_number=r["wake_number"],
        start=r["wake_round_start"],
        end=r["wake_round_end"],
        created_at=r["created_at"],
        provisional=bool(r["bookkept"]) or meta.get("provisional") is True,
        shape=shape,
        fault=fault,
    )


def _disagreement(r: dict[str, Any], meta: dict[str, Any]) -> str | None:
    """Where the document's metadata says another wake or window than its row."""
    if integer(meta.get("wake_number")) != r["wake_number"]:
        return "snapshot_metadata.wake_number is not the row's wake_number"
    if instant(meta.get("wake_round_start")) != r["wake_round_start"]:
        return "snapshot_metadata.wake_round_start is not the row's"
    if instant(meta.get("wake_round_end")) != r["wake_round_end"]:
        return "snapshot_metadata.wake_round_end is not the row's"
    return None
