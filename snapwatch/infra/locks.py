"""Lock waits: which table a statement that ran out of ``lock_timeout`` waited on.

PostgreSQL's "canceling statement due to lock timeout" names a relation only when the
wait was for a row (or an index entry), in the error's context. A wait for a whole table
(``LOCK TABLE``, most DDL of a migration) names nothing: then the evidence is the tables
another process holds, or queues for, in a mode that conflicts with the statement's
(``pg_locks``, read right after the wait; a lock released in between is missed, and the
wait is reported without a table).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import tuple_row

CONTEXT_RELATION = re.compile(r'in relation "((?:[^"]|"")+)"')

# Lock modes that block a read (ACCESS SHARE); the ROW SHARE of FOR UPDATE and of a
# write's foreign-key checks; a write (ROW EXCLUSIVE).
READ_CONFLICTS = ["AccessExclusiveLock"]
ROW_SHARE_CONFLICTS = ["ExclusiveLock", *READ_CONFLICTS]
WRITE_CONFLICTS = ["ShareLock", "ShareRowExclusiveLock", *ROW_SHARE_CONFLICTS]

# A relation named by the context: a table, or an index (then its table).
TABLE_OF_SQL = """
SELECT coalesce(i.indrelid, c.oid)::regclass::text
  FROM pg_class c
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
 WHERE c.relname = %(relname)s
 ORDER BY pg_table_is_visible(c.oid) DESC, c.oid
 LIMIT 1
"""

# Tables another process holds, or waits for, in a mode that blocks ours (prepared
# transactions hold locks without a process: pid NULL).
HELD_SQL = """
SELECT DISTINCT l.relation::regclass::text
  FROM pg_locks l
 WHERE l.locktype = 'relation'
   AND l.pid IS DISTINCT FROM pg_backend_pid()
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND (l.mode = ANY(%(any_modes)s::text[])
        OR (l.mode = ANY(%(written_modes)s::text[])
            AND l.relation = ANY(%(written)s::regclass[])))
 ORDER BY 1
"""


@dataclass(frozen=True)
class LockWait:
    """A lock wait that ran out of ``lock_timeout``."""

    tables: tuple[str, ...]
    """The tables waited on, as far as they could be told (none: not known)."""
    whole_table: bool
    """The wait was for a table lock, not a row: every statement needing the table waits."""

    def __str__(self) -> str:
        return f"lock wait on {', '.join(self.tables)}" if self.tables else "lock wait"


def context_relation(exc: psycopg.Error) -> str | None:
    """The relation a lock wait's context names (a row's table, or an index), if any."""
    found = CONTEXT_RELATION.search(exc.diag.context or "")
    return found.group(1).replace('""', '"') if found else None


async def lock_wait(
    conn: AsyncConnection[Any], exc: psycopg.errors.LockNotAvailable, written: Sequence[str] = ()
) -> LockWait:
    """What the statement that raised ``exc`` on ``conn`` waited on. ``written``: the
    tables it writes (a write also waits for locks that let readers through)."""
    relname = context_relation(exc)
    try:
        if relname is not None:
            return LockWait((await _table_of(conn, relname),), whole_table=False)
        return LockWait(await _held(conn, written), whole_table=True)
    except psycopg.Error:  # the evidence is a courtesy: the wait is reported without it
        return LockWait((relname,) if relname else (), whole_table=relname is None)


async def _table_of(conn: AsyncConnection[Any], relname: str) -> str:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(TABLE_OF_SQL, {"relname": relname})
        row = await cur.fetchone()
    return str(row[0]) if row is not None else relname


async def _held(conn: AsyncConnection[Any], written: Sequence[str]) -> tuple[str, ...]:
    params = {
        "any_modes": ROW_SHARE_CONFLICTS if written else READ_CONFLICTS,
        "written_modes": WRITE_CONFLICTS,
        "written": list(written),
    }
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(HELD_SQL, params)
        return tuple(str(name) for (name,) in await cur.fetchall())
