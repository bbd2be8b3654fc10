"""What a piece of SQL calls and whether it writes snapshots, read from its text alone.

Comments and string literals are taken out first (:func:`strip_sql`); :func:`scan` finds
the calls (a name followed by ``(``, optionally schema-qualified), the writes of
``session_wake_snapshots`` and the SQL in ``EXECUTE '…'`` and ``DO $$…$$``. No database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SNAPSHOT_TABLE = "session_wake_snapshots"


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
