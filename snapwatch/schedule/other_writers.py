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
analysis (:func:`strip_sql`, :func:`scan`, :func:`follow_code` over a :class:`Catalog`)
needs no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors

SNAPSHOT_TABLE = "session_wake_snapshots"
MAX_DEPTH = 4
"""Functions followed in one chain: a job's command → f1 → f2 → f3 → f4."""
WEB_ROLES = ("anon", "authenticated")
"""The roles the platform's web app calls functions as (when the database has them)."""
FOLLOWED_LANGUAGES = frozenset({"sql", "plpgsql"})
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")

Conn = psycopg.AsyncConnection[dict[str, Any]]


class Outcome(StrEnum):
    WRITES = "writes"
    DOES_NOT_WRITE = "does_not_write"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a piece of SQL does with snapshots, and how that was shown."""

    outcome: Outcome
    chain: tuple[str, ...] = ()
    """For a writer, the functions called down to the write (``INSERT INTO
    session_wake_snapshots``, last); for an unknown, the functions entered down to the one
    that could not be followed."""
    reason: str | None = None
    """Why an unknown could not be followed (``dynamic SQL``, ``gone() is not a function of
    this database``)."""

    @property
    def writes(self) -> bool:
        return self.outcome is Outcome.WRITES

    @property
    def unknown(self) -> bool:
        return self.outcome is Outcome.UNKNOWN

    def via(self, step: str) -> Evidence:
        """This evidence as seen from a caller: ``step`` first in the chain."""
        if self.outcome is Outcome.DOES_NOT_WRITE:
            return self
        return Evidence(self.outcome, (step, *self.chain), self.reason)

    def describe(self, origin: str) -> str:
        """``job 8 'x' → f() → g() → INSERT INTO session_wake_snapshots``, or ``job 9 'y' →
        f() could not be followed: dynamic SQL``, or that it does not write."""
        path = " → ".join((origin, *self.chain))
        if self.outcome is Outcome.WRITES:
            return path
        if self.outcome is Outcome.UNKNOWN:
            return f"{path} could not be followed: {self.reason}"
        return f"{origin} does not write {SNAPSHOT_TABLE}"


DOES_NOT_WRITE = Evidence(Outcome.DOES_NOT_WRITE)


def unknown(reason: str) -> Evidence:
    return Evidence(Outcome.UNKNOWN, reason=reason)


# --- text ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stripped:
    """SQL without its comments and with every string literal (quoted, ``E''``-quoted or
    dollar-quoted) replaced by ``'N'``, N its index in ``literals``."""

    code: str
    literals: tuple[str, ...]


_LEXEME = re.compile(r"--|/\*|'|\"|\$(?:[^\W\d]\w*)?\$")
_NAME_CHAR = re.compile(r"[\w$]")
_COMMENT_MARK = re.compile(r"/\*|\*/")
_QUOTED_NAME = re.compile(r'"[^"]*(?:""[^"]*)*"?')
_STRING = re.compile(r"[^']*(?:''[^']*)*")
_ESCAPE_STRING = re.compile(r"[^'\\]*(?:(?:''|\\.)[^'\\]*)*", re.S)
_BACKSLASH = re.compile(r"\\(.)", re.S)


def strip_sql(sql: str) -> Stripped:
    """Comments out (each becomes a space), literals replaced by markers, quoted names
    kept as written."""
    code: list[str] = []
    literals: list[str] = []
    pos = 0
    while (m := _LEXEME.search(sql, pos)) is not None:
        start, lexeme = m.start(), m.group()
        code.append(sql[pos:start])
        if lexeme == "--":
            end = sql.find("\n", start)
            pos = len(sql) if end < 0 else end
            code.append(" ")
        elif lexeme == "/*":
            pos = _comment_end(sql, start)
            code.append(" ")
        elif lexeme == '"':
            pos = _end_of(_QUOTED_NAME, sql, start)
            code.append(sql[start:pos])
        elif lexeme == "'":
            escapes = _escape_string(sql, start, pos)
            if escapes:
                code[-1] = code[-1][:-1]  # the E of E'…'
            value, pos = _string(sql, start + 1, escapes)
            code.append(f"'{len(literals)}'")
            literals.append(value)
        elif start > 0 and _NAME_CHAR.match(sql[start - 1]):
            code.append("$")  # a $ inside a name (a$b$c), not a dollar quote
            pos = start + 1
        else:
            end = sql.find(lexeme, m.end())
            literals_end = len(sql) if end < 0 else end
            code.append(f"'{len(literals)}'")
            literals.append(sql[m.end() : literals_end])
            pos = len(sql) if end < 0 else end + len(lexeme)
    code.append(sql[pos:])
    return Stripped("".join(code), tuple(literals))


def _comment_end(sql: str, start: int) -> int:
    """The end of the (nested) block comment starting at ``start``."""
    depth = 0
    for mark in _COMMENT_MARK.finditer(sql, start):
        depth += 1 if mark.group() == "/*" else -1
        if depth == 0:
            return mark.end()
    return len(sql)


def _escape_string(sql: str, quote: int, pos: int) -> bool:
    """Whether the literal opening at ``quote`` is an ``E''`` string (backslash escapes)."""
    e = quote - 1
    if e < pos or sql[e] not in "eE":
        return False
    return e == 0 or not _NAME_CHAR.match(sql[e - 1])


def _end_of(pattern: re.Pattern[str], sql: str, start: int) -> int:
    """Where a pattern that matches the empty string, matched at ``start``, ends."""
    m = pattern.match(sql, start)
    assert m is not None
    return m.end()


def _string(sql: str, start: int, escapes: bool) -> tuple[str, int]:
    """The value of the literal whose text starts at ``start``, and where it ends."""
    end = _end_of(_ESCAPE_STRING if escapes else _STRING, sql, start)
    value = sql[start:end]
    if escapes:
        value = _BACKSLASH.sub(r"\1", value)
    return value.replace("''", "'"), min(end + 1, len(sql))


@dataclass(frozen=True, slots=True)
class Call:
    """A function called by name: ``schema`` None when unqualified."""

    schema: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}()" if self.schema else f"{self.name}()"


@dataclass(frozen=True, slots=True)
class Scan:
    """What one piece of SQL says by itself."""

    write: str | None
    """``INSERT INTO session_wake_snapshots`` (or UPDATE, DELETE FROM, MERGE INTO)."""
    calls: tuple[Call, ...]
    dynamic: bool
    """Whether it ``EXECUTE``\\ s a statement built at run time."""


_IDENT = r'(?:[^\W\d][\w$]*|"(?:[^"]|"")+")'
_CALL = re.compile(rf'(?<![\w$."])({_IDENT})(?:\s*\.\s*({_IDENT}))?\s*\(')
_WORD_BEFORE = re.compile(r"(::|[\w$]+)\s*\Z")
_NOT_A_CALL_AFTER = frozenset(
    {"as", "exists", "function", "into", "procedure", "recursive", "references", "table", "with"}
)
"""A name followed by ``(`` after one of these words is a table, a column list, an alias or
a name being defined, not a call (``INSERT INTO t (a)``, ``AS x (a, b)``)."""
# fmt: off
_PLPGSQL_WORDS = frozenset({
    "assert", "case", "continue", "elseif", "elsif", "exit", "foreach", "if", "loop", "next",
    "perform", "query", "raise", "return", "when", "while",
})
# fmt: on
"""PL/pgSQL statements that may be followed by ``(`` (SQL's own keywords are the
database's: :class:`Catalog`)."""

_TABLE = (
    r'(?:(?:(?i:public)|"public")\s*\.\s*)?'
    rf'(?:(?i:{SNAPSHOT_TABLE})|"{SNAPSHOT_TABLE}")(?![\w$"])'
)
_WRITE = re.compile(
    r'(?<![\w$"])(?i:(INSERT)\s+INTO|(UPDATE)|(DELETE)\s+FROM|(MERGE)\s+INTO)'
    rf'(?:\s+(?i:ONLY))?(?:\s+|(?=")){_TABLE}'
)
_WRITE_VERBS = {
    "INSERT": "INSERT INTO",
    "UPDATE": "UPDATE",
    "DELETE": "DELETE FROM",
    "MERGE": "MERGE INTO",
}
_EXECUTE = re.compile(
    r'(?<![\w$"])(?i:EXECUTE)(?![\w$])(?!\s+(?i:FUNCTION|PROCEDURE|ON)(?![\w$]))(?!\s*,)'
)
"""EXECUTE of a statement (not ``EXECUTE FUNCTION`` of a trigger, nor the privilege)."""
_STATIC_STATEMENT = re.compile(r"\s*'(\d+)'\s*(?:;|\Z|(?i:INTO|USING)(?![\w$]))")
_DO_BLOCK = re.compile(r"(?<![\w$\"])(?i:DO)\s+(?:(?i:LANGUAGE)\s+(?:'\d+'|[\w\"]+)\s+)?'(\d+)'")


def _name(ident: str) -> str:
    """A name as the catalog stores it: folded to lower case unless quoted."""
    if ident.startswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident.lower()


def snapshot_write(code: str) -> str | None:
    """The write of ``session_wake_snapshots`` in stripped code, as ``INSERT INTO
    session_wake_snapshots``, or None."""
    if (m := _WRITE.search(code)) is None:
        return None
    verb = next(group for group in m.groups() if group is not None).upper()
    return f"{_WRITE_VERBS[verb]} {SNAPSHOT_TABLE}"


def calls(code: str) -> tuple[Call, ...]:
    """The functions stripped code calls, in order of first appearance, each once."""
    found: dict[Call, None] = {}
    for m in _CALL.finditer(code):
        before = _WORD_BEFORE.search(code, max(0, m.start() - 64), m.start())
        if before and (before.group(1) == "::" or before.group(1).lower() in _NOT_A_CALL_AFTER):
            continue  # a cast to a type with a modifier, or not a call at all
        first, second = m.group(1), m.group(2)
        call = Call(_name(first), _name(second)) if second else Call(None, _name(first))
        if call.schema is None and call.name in _PLPGSQL_WORDS:
            continue
        found[call] = None
    return tuple(found)


@lru_cache(maxsize=4096)
def scan(sql: str) -> Scan:
    """The write, the calls and any dynamic SQL of ``sql`` (a command or a function body),
    including the statements it runs from literals (``EXECUTE '…'``, ``DO $$…$$``)."""
    stripped = strip_sql(sql)
    code = stripped.code
    write, found, dynamic = snapshot_write(code), calls(code), False
    executed: list[str] = []
    for m in _EXECUTE.finditer(code):
        statement = _STATIC_STATEMENT.match(code, m.end())
        if statement is None:
            dynamic = True
        else:
            executed += _literal(stripped, statement.group(1))
    for m in _DO_BLOCK.finditer(code):
        executed += _literal(stripped, m.group(1))
    for inner in map(scan, executed):
        write = write or inner.write
        found += tuple(c for c in inner.calls if c not in found)
        dynamic = dynamic or inner.dynamic
    return Scan(write, found, dynamic)


def _literal(stripped: Stripped, index: str) -> list[str]:
    n = int(index)
    return [stripped.literals[n]] if n < len(stripped.literals) else []


# --- following calls -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Function:
    """One definition of a platform function (outside the system schemas and extensions)."""

    oid: int
    schema: str
    name: str
    signature: str
    """``oid::regprocedure``: ``generate_session_wake_snapshot(uuid,integer)``."""
    language: str
    body: str
    """``prosrc``, or ``pg_get_functiondef`` for a SQL-standard body."""

    @property
    def label(self) -> str:
        return f"{self.name}()" if self.schema == "public" else f"{self.schema}.{self.name}()"


@dataclass(frozen=True, slots=True)
class Catalog:
    """What the database says about the names looked up so far."""

    functions: Mapping[str, tuple[Function, ...]] = field(default_factory=dict)
    """The platform's definitions of each name (every schema, every overload)."""
    system: frozenset[str] = frozenset()
    """Names of functions of ``pg_catalog`` or ``information_schema``: first on every
    search path, so an unqualified call of one is built in."""
    not_followed: frozenset[str] = frozenset()
    """Functions of extensions, SQL keywords (``VALUES (``, ``ON CONFLICT (``) and type
    names (``numeric(5, 2)``, a table before its columns): followed only when the
    platform also defines a function of that name."""
    looked_up: frozenset[str] = frozenset()

    def merged(self, other: Catalog) -> Catalog:
        return Catalog(
            {**self.functions, **other.functions},
            self.system | other.system,
            self.not_followed | other.not_followed,
            self.looked_up | other.looked_up,
        )

    def definitions(self) -> Iterable[Function]:
        for functions in self.functions.values():
            yield from functions

    def resolve(self, call: Call) -> tuple[Function, ...] | Evidence:
        """The definitions a call may run, or the evidence that settles it."""
        if call.schema in SYSTEM_SCHEMAS or (call.schema is None and call.name in self.system):
            return DOES_NOT_WRITE
        defined = tuple(
            f for f in self.functions.get(call.name, ()) if call.schema in (None, f.schema)
        )
        if defined:
            return defined
        if call.name in self.not_followed:
            return DOES_NOT_WRITE
        if call.name in self.looked_up:
            return unknown(f"{call} is not a function of this database")
        return unknown(f"{call} was not read")


def follow_code(
    sql: str,
    catalog: Catalog,
    depth: int = MAX_DEPTH,
    seen: frozenset[int] = frozenset(),
) -> Evidence:
    """What ``sql`` does with snapshots, following its calls ``depth`` functions deep. A
    write found is evidence enough whatever else is unknown; the first unknown is kept
    otherwise."""
    found = scan(sql)
    if found.write is not None:
        return Evidence(Outcome.WRITES, (found.write,))
    first_unknown = unknown("dynamic SQL") if found.dynamic else None
    for call in found.calls:
        evidence = follow_call(call, catalog, depth, seen)
        if evidence.writes:
            return evidence
        if first_unknown is None and evidence.unknown:
            first_unknown = evidence
    return first_unknown or DOES_NOT_WRITE


def follow_call(call: Call, catalog: Catalog, depth: int, seen: frozenset[int]) -> Evidence:
    """What a call does: it writes when every definition it may run writes; the chain
    starts with the definition."""
    resolved = catalog.resolve(call)
    if isinstance(resolved, Evidence):
        return resolved
    if depth == 0:
        return unknown(f"{call} is deeper than {MAX_DEPTH} calls")
    each = [follow_function(f, catalog, depth - 1, seen).via(f.label) for f in resolved]
    writing = [e for e in each if e.writes]
    if writing and len(writing) == len(each):
        return writing[0]
    if writing:
        return unknown(
            f"{call} has {len(each)} definitions and only {len(writing)} write {SNAPSHOT_TABLE}"
        )
    return next((e for e in each if e.unknown), DOES_NOT_WRITE)


def follow_function(
    function: Function,
    catalog: Catalog,
    depth: int = MAX_DEPTH - 1,
    seen: frozenset[int] = frozenset(),
) -> Evidence:
    """What a function does; its chain starts with what it calls, not with itself."""
    if function.oid in seen:
        return DOES_NOT_WRITE  # recursion shows nothing the first visit did not
    if function.language not in FOLLOWED_LANGUAGES:
        return unknown(f"written in {function.language}")
    return follow_code(function.body, catalog, depth, seen | {function.oid})


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
    return "function definitions are not readable: " + " ".join(str(exc).split())


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
