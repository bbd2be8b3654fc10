"""Whether SQL writes snapshots: the evidence, and calls followed through a catalog.

:func:`follow_code` follows the calls of a piece of SQL through the definitions in a
:class:`Catalog` up to :data:`MAX_DEPTH` deep, to :class:`Evidence` (writes, does not
write, unknown). No database: :mod:`snapwatch.schedule.other_writers` reads the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from snapwatch.schedule.sqltext import SNAPSHOT_TABLE, Call, scan

MAX_DEPTH = 4
"""Functions followed in one chain: a job's command → f1 → f2 → f3 → f4."""
FOLLOWED_LANGUAGES = frozenset({"sql", "plpgsql"})
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


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
