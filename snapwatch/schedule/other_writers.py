"""Writers of snapshots besides snapwatch, shown from the database's code, never from names.

Before snapwatch the platform wrote ``session_wake_snapshots`` from SQL: a pg_cron job
(``generate_scheduled_snapshots()``, which calls ``generate_session_wake_snapshot()``), a
trigger on wake payloads and a function the web app calls. Other jobs look alike by name
and write something else (``generate_scheduled_report_snapshots()`` writes report
snapshots, another table). So a job, trigger or grant is a writer of snapshots only when
its code is shown to write the table:

* the functions a piece of SQL calls (a name followed by ``(``, optionally
  schema-qualified) are looked up in ``pg_proc``; functions of ``pg_catalog``,
  ``information_schema`` and extensions, SQL keywords and type names are not followed;
* their definitions (``prosrc``, or ``pg_get_functiondef`` for SQL-standard bodies) are
  followed up to :data:`MAX_DEPTH` functions deep to an ``INSERT INTO``, ``UPDATE``,
  ``DELETE FROM`` or ``MERGE INTO`` of ``session_wake_snapshots`` (plain, ``public.``-
  qualified or quoted), with comments and string literals taken out first; the statement
  of ``EXECUTE '…'`` with a literal and the body of ``DO $$…$$`` are read as SQL;
* the result is :class:`Evidence`: **writes**, with the chain that shows it; **does not
  write**, when everything was resolved and nothing writes; or **unknown**, with the
  reason (``EXECUTE`` of a statement built at run time, a function that does not exist or
  is not written in SQL or PL/pgSQL, a chain deeper than :data:`MAX_DEPTH`) and the chain
  down to where it stopped. Unknown is never a writer.

A name with several definitions (overloads, or one name in several schemas) writes only
when every definition writes: the text does not say which one runs.

Reading is set-based. :func:`follow_commands` (pg_cron's commands) reads the definitions
of every name of one level of calls in one query, level after level.
:func:`read_other_writers` works from the table outwards: each query reads the functions
whose code mentions the table or a writer found so far, then the triggers and the grants
of ``EXECUTE`` to the web app's roles (:data:`WEB_ROLES`) of the writers found. The text
analysis (:mod:`snapwatch.schedule.sqltext`) and the following of calls over a
:class:`~snapwatch.schedule.evidence.Catalog` (:mod:`snapwatch.schedule.evidence`) need
no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors

from snapwatch.schedule.evidence import (
    FOLLOWED_LANGUAGES,
    MAX_DEPTH,
    SYSTEM_SCHEMAS,
    Catalog,
    Evidence,
    Function,
    follow_code,
    follow_function,
    unknown,
)
from snapwatch.schedule.sqltext import SNAPSHOT_TABLE, scan
from snapwatch.text.lines import one_line

WEB_ROLES = ("anon", "authenticated")
"""The roles the platform's web app calls functions as (when the database has them)."""
Conn = psycopg.AsyncConnection[dict[str, Any]]


# --- reading ---------------------------------------------------------------------------

# Definitions of the names asked for, and of every name whose code mentions one of the
# words (lower case), except names already known; with, for each name, whether it is a
# system function and whether it is an extension function, a keyword or a type name.
_CATALOG = """
WITH platform AS (
    SELECT p.oid, n.nspname AS schema, p.proname AS name, l.lanname AS language,
           p.oid::regprocedure::text AS signature,
           COALESCE(NULLIF(p.prosrc, ''), pg_get_functiondef(p.oid)) AS body
    FROM pg_proc AS p
    JOIN pg_namespace AS n ON n.oid = p.pronamespace
    JOIN pg_language AS l ON l.oid = p.prolang
    WHERE n.nspname <> ALL (%(system)s::text[]) AND NOT starts_with(n.nspname, 'pg_')
      AND NOT EXISTS (
          SELECT FROM pg_depend AS d
          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      )
),
wanted AS (
    SELECT unnest(%(names)s::text[]) AS name
    UNION
    SELECT f.name FROM platform AS f
    WHERE EXISTS (
        SELECT FROM unnest(%(words)s::text[]) AS w (word)
        WHERE strpos(lower(f.body), w.word) > 0
    )
    EXCEPT
    SELECT unnest(%(known)s::text[])
)
SELECT w.name, f.oid, f.schema, f.signature, f.language, f.body,
       EXISTS (
           SELECT FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
           WHERE p.proname = w.name
             AND (n.nspname = ANY (%(system)s::text[]) OR starts_with(n.nspname, 'pg_'))
       ) AS system,
       EXISTS (SELECT FROM pg_get_keywords() AS k WHERE k.word = w.name)
       OR EXISTS (SELECT FROM pg_type AS t WHERE t.typname = w.name)
       OR EXISTS (
           SELECT FROM pg_proc AS p
           JOIN pg_depend AS d
             ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
           WHERE p.proname = w.name
       ) AS not_followed
FROM wanted AS w
LEFT JOIN platform AS f ON f.name = w.name
ORDER BY w.name, f.schema, f.signature
"""


async def _read_catalog(
    conn: Conn,
    *,
    names: Iterable[str] = (),
    words: Iterable[str] = (),
    known: Iterable[str] = (),
) -> Catalog:
    cur = await conn.execute(
        _CATALOG,
        {
            "system": list(SYSTEM_SCHEMAS),
            "names": sorted(names),
            "words": sorted(words),
            "known": sorted(known),
        },
    )
    functions: dict[str, list[Function]] = {}
    system: set[str] = set()
    not_followed: set[str] = set()
    looked_up: set[str] = set()
    for row in await cur.fetchall():
        name: str = row["name"]
        looked_up.add(name)
        if row["system"]:
            system.add(name)
        if row["not_followed"]:
            not_followed.add(name)
        if row["oid"] is not None:
            functions.setdefault(name, []).append(
                Function(
                    oid=row["oid"],
                    schema=row["schema"],
                    name=name,
                    signature=row["signature"],
                    language=row["language"],
                    body=row["body"],
                )
            )
    return Catalog(
        {name: tuple(found) for name, found in functions.items()},
        frozenset(system),
        frozenset(not_followed),
        frozenset(looked_up),
    )


def _called(sources: Iterable[str]) -> set[str]:
    return {call.name for sql in sources for call in scan(sql).calls}


async def _read_called(conn: Conn, commands: Sequence[str]) -> Catalog:
    """Every name the commands call, down to :data:`MAX_DEPTH` functions, and the names
    the deepest ones call (so that a built-in there is known as one): a query per level."""
    catalog = Catalog()
    names = _called(commands)
    async with conn.transaction():
        for _ in range(MAX_DEPTH + 1):
            names -= catalog.looked_up
            if not names:
                break
            level = await _read_catalog(conn, names=names)
            catalog = catalog.merged(level)
            names = _called(f.body for f in level.definitions() if f.language in FOLLOWED_LANGUAGES)
    return catalog


def _unreadable(exc: Exception) -> str:
    return "function definitions are not readable: " + one_line(str(exc))


async def follow_commands(conn: Conn, commands: Sequence[str]) -> list[Evidence]:
    """What each command (a pg_cron job's) does with snapshots, in the order given."""
    if not commands:
        return []
    try:
        catalog = await _read_called(conn, commands)
    except errors.InsufficientPrivilege as exc:
        why = unknown(_unreadable(exc))
        return [why for _ in commands]
    return [follow_code(command, catalog) for command in commands]


@dataclass(frozen=True, slots=True)
class TriggerWriter:
    """An enabled trigger on a platform table whose function writes snapshots."""

    trigger: str
    table: str
    evidence: Evidence
    """From the trigger's function (first in the chain) to the write."""

    @property
    def origin(self) -> str:
        return f"trigger {self.trigger} on {self.table}"

    def describe(self) -> str:
        return self.evidence.describe(self.origin)


@dataclass(frozen=True, slots=True)
class GrantWriter:
    """A function that writes snapshots and that the web app's roles may execute."""

    function: str
    """Its signature, as ``REVOKE EXECUTE ON FUNCTION`` would name it."""
    roles: tuple[str, ...]
    evidence: Evidence
    """From what the function calls to the write."""

    @property
    def origin(self) -> str:
        return f"{', '.join(self.roles)} may execute {self.function}"

    def describe(self) -> str:
        return self.evidence.describe(self.origin)


@dataclass(frozen=True, slots=True)
class OtherWriters:
    """Triggers and grants shown to write snapshots; ``note`` says why none could be read."""

    triggers: tuple[TriggerWriter, ...] = ()
    grants: tuple[GrantWriter, ...] = ()
    note: str | None = None

    def lines(self) -> list[str]:
        """Each writer with its evidence, triggers first."""
        return [t.describe() for t in self.triggers] + [g.describe() for g in self.grants]


_TRIGGERS = """
SELECT t.tgname AS trigger, t.tgrelid::regclass::text AS table_name, t.tgfoid AS function
FROM pg_trigger AS t
JOIN pg_class AS c ON c.oid = t.tgrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'
  AND n.nspname <> ALL (%(system)s::text[]) AND NOT starts_with(n.nspname, 'pg_')
  AND t.tgfoid = ANY (%(writers)s::oid[])
ORDER BY table_name, t.tgname
"""

# PUBLIC holds EXECUTE on every new function unless revoked: has_function_privilege counts
# it, and role memberships. Trigger functions cannot be called, so they are not exposed.
_GRANTS = """
SELECT p.oid AS function, r.rolname AS role
FROM pg_proc AS p
JOIN pg_namespace AS n ON n.oid = p.pronamespace
JOIN pg_roles AS r ON r.rolname = ANY (%(roles)s::text[])
WHERE p.oid = ANY (%(writers)s::oid[])
  AND p.prorettype NOT IN ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype)
  AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
  AND has_schema_privilege(r.oid, n.oid, 'USAGE')
ORDER BY p.oid::regprocedure::text, array_position(%(roles)s::text[], r.rolname::text)
"""


async def _writer_functions(conn: Conn) -> dict[int, tuple[Function, Evidence]]:
    """Every platform function shown to write snapshots, up to :data:`MAX_DEPTH` deep:
    each query reads the functions that mention the table or a writer found before."""
    catalog = Catalog()
    writers: dict[int, tuple[Function, Evidence]] = {}
    words = {SNAPSHOT_TABLE}
    for _ in range(MAX_DEPTH):
        catalog = catalog.merged(await _read_catalog(conn, words=words, known=catalog.looked_up))
        found = {
            f.oid: (f, evidence)
            for f in catalog.definitions()
            if (evidence := follow_function(f, catalog)).writes
        }
        words = {f.name.lower() for oid, (f, _) in found.items() if oid not in writers}
        writers = found
        if not words:
            break
    return writers


async def read_other_writers(conn: Conn) -> OtherWriters:
    """Triggers on platform tables and grants to :data:`WEB_ROLES` that write snapshots."""
    try:
        async with conn.transaction():
            writers = await _writer_functions(conn)
            if not writers:
                return OtherWriters()
            params = {"system": list(SYSTEM_SCHEMAS), "writers": list(writers)}
            cur = await conn.execute(_TRIGGERS, params)
            triggers = await cur.fetchall()
            cur = await conn.execute(_GRANTS, {**params, "roles": list(WEB_ROLES)})
            grants = await cur.fetchall()
    except errors.InsufficientPrivilege as exc:
        return OtherWriters(note=_unreadable(exc))
    roles: dict[int, list[str]] = {}
    for row in grants:
        roles.setdefault(row["function"], []).append(row["role"])
    return OtherWriters(
        triggers=tuple(
            TriggerWriter(
                row["trigger"],
                row["table_name"],
                writers[row["function"]][1].via(writers[row["function"]][0].label),
            )
            for row in triggers
        ),
        grants=tuple(
            GrantWriter(writers[oid][0].signature, tuple(names), writers[oid][1])
            for oid, names in roles.items()
        ),
    )
