"""What a database has now: tables, columns, indexes and snapwatch schema versions.

Read-only queries on pg_catalog; they see every object whatever the connecting role's
privileges (information_schema would hide tables the role cannot read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.infra.migrations.own import SCHEMA

_TABLES = """
SELECT n.nspname AS schema, c.relname AS name
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p')
"""

_COLUMNS = """
SELECT c.relname AS table, a.attname AS name
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
"""

# Key columns in order (NULL for an expression), validity, uniqueness and predicate.
_INDEXES = """
SELECT t.relname AS table, i.relname AS name, x.indisvalid AS valid, x.indisunique AS unique,
       pg_catalog.pg_get_expr(x.indpred, x.indrelid) AS predicate,
       ARRAY(
           SELECT a.attname
           FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           LEFT JOIN pg_catalog.pg_attribute a
               ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0
           WHERE k.ord <= x.indnkeyatts
           ORDER BY k.ord
       ) AS columns
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public'
"""

_VERSIONS = "SELECT version FROM snapwatch.schema_migrations"


@dataclass(frozen=True)
class ExistingIndex:
    table: str
    name: str
    columns: tuple[str | None, ...]
    valid: bool
    unique: bool
    predicate: str | None


@dataclass(frozen=True)
class Catalog:
    public_tables: frozenset[str]
    columns: dict[str, frozenset[str]]
    indexes: tuple[ExistingIndex, ...]
    own_tables: frozenset[str]
    applied_versions: frozenset[int]


async def read_catalog(conn: AsyncConnection[Any]) -> Catalog:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_TABLES, {"schemas": ["public", SCHEMA]})
        tables = await cur.fetchall()
        await cur.execute(_COLUMNS)
        columns: dict[str, set[str]] = {}
        for row in await cur.fetchall():
            columns.setdefault(row["table"], set()).add(row["name"])
        await cur.execute(_INDEXES)
        indexes = tuple(
            ExistingIndex(
                table=row["table"],
                name=row["name"],
                columns=tuple(row["columns"]),
                valid=row["valid"],
                unique=row["unique"],
                predicate=row["predicate"],
            )
            for row in await cur.fetchall()
        )
        own_tables = frozenset(r["name"] for r in tables if r["schema"] == SCHEMA)
        applied: set[int] = set()
        if "schema_migrations" in own_tables:
            await cur.execute(_VERSIONS)
            applied = {row["version"] for row in await cur.fetchall()}
    return Catalog(
        public_tables=frozenset(r["name"] for r in tables if r["schema"] == "public"),
        columns={table: frozenset(names) for table, names in columns.items()},
        indexes=indexes,
        own_tables=own_tables,
        applied_versions=frozenset(applied),
    )
