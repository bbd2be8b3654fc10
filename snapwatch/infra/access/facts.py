"""What the connected role has, as plain values: read in two catalog queries.

Catalogs are readable by every role, so these queries work for a role that can do
nothing else. Objects that do not exist yet (no ``snapwatch`` schema before
``migrate``) are left out: the schema check says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.infra.access.needs import Need

# Where a read-only default comes from. The session's own value is authoritative, except
# when snapwatch set it itself (``--read-only``: source "client"); then the database's
# and the role's settings say whether a writer would be refused too.
ROLE_SQL = """
SELECT current_user AS name,
       r.rolsuper OR r.rolbypassrls AS bypasses_rls,
       pg_catalog.pg_is_in_recovery() AS in_recovery,
       CASE WHEN s.source <> 'client' THEN CASE WHEN s.setting = 'on' THEN s.source END
            ELSE (SELECT CASE WHEN d.setrole <> 0 AND d.setdatabase <> 0 THEN 'database user'
                              WHEN d.setrole <> 0 THEN 'user' ELSE 'database' END
                    FROM pg_catalog.pg_db_role_setting d, unnest(d.setconfig) AS c(item)
                   WHERE d.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database
                                                WHERE datname = current_database()))
                     AND d.setrole IN (0, r.oid)
                     AND split_part(c.item, '=', 1) = 'default_transaction_read_only'
                     AND lower(split_part(c.item, '=', 2)) IN ('on', 'true', 'yes', '1')
                   LIMIT 1)
       END AS read_only_source
  FROM pg_catalog.pg_roles r, pg_catalog.pg_settings s
 WHERE r.rolname = current_user AND s.name = 'default_transaction_read_only'
"""

# One row per need, in order: whether its object exists and the right is held, and for
# a table its row-level security with the policies that apply to this role (TO PUBLIC
# or to a role whose rights it has, as PostgreSQL decides it).
NEEDS_SQL = """
SELECT n.ord,
       ns.oid IS NOT NULL AND (n.tbl IS NULL OR c.oid IS NOT NULL)
           AND (n.col IS NULL OR a.attnum IS NOT NULL) AS present,
       CASE WHEN ns.oid IS NULL THEN NULL
            WHEN n.tbl IS NULL THEN pg_catalog.has_schema_privilege(ns.oid, n.priv)
            WHEN c.oid IS NULL THEN NULL
            WHEN n.col IS NULL THEN pg_catalog.has_table_privilege(c.oid, n.priv)
            WHEN a.attnum IS NULL THEN NULL
            ELSE pg_catalog.has_column_privilege(c.oid, a.attnum, n.priv)
       END AS granted,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       pg_catalog.pg_has_role(c.relowner, 'USAGE') AS owned,
       c.relrowsecurity AS rls,
       c.relforcerowsecurity AS forced,
       pol.policies
  FROM unnest(%(schemas)s::text[], %(tables)s::text[], %(columns)s::text[],
              %(rights)s::text[]) WITH ORDINALITY AS n(nsp, tbl, col, priv, ord)
  LEFT JOIN pg_catalog.pg_namespace ns ON ns.nspname = n.nsp
  LEFT JOIN pg_catalog.pg_class c
         ON c.relnamespace = ns.oid AND c.relname = n.tbl AND c.relkind IN ('r', 'p')
  LEFT JOIN pg_catalog.pg_attribute a
         ON a.attrelid = c.oid AND a.attname = n.col AND NOT a.attisdropped
  LEFT JOIN LATERAL (
       SELECT coalesce(json_agg(json_build_object(
                  'name', p.polname, 'command', p.polcmd, 'permissive', p.polpermissive,
                  'using', pg_catalog.pg_get_expr(p.polqual, p.polrelid),
                  'check', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
                  ORDER BY p.polname), '[]') AS policies
         FROM pg_catalog.pg_policy p
        WHERE p.polrelid = c.oid
          AND (0::oid = ANY (p.polroles)
               OR EXISTS (SELECT 1 FROM unnest(p.polroles) AS r(oid)
                           WHERE pg_catalog.pg_has_role(r.oid, 'USAGE')))
  ) pol ON c.oid IS NOT NULL
 ORDER BY n.ord
"""


@dataclass(frozen=True)
class RoleFacts:
    name: str
    bypasses_rls: bool
    """Superuser or BYPASSRLS: row-level security never applies."""
    in_recovery: bool
    """A hot standby: nothing can be written."""
    read_only_default: str | None
    """Where ``default_transaction_read_only = on`` comes from (``database``, ``user``,
    ``configuration file``...), None when it is off (or only snapwatch's own connection
    set it, with ``--read-only``): a database that accepts no writes, not a standby."""


@dataclass(frozen=True)
class Policy:
    """A row-level security policy that applies to the role."""

    name: str
    command: str
    """``r`` SELECT, ``a`` INSERT, ``w`` UPDATE, ``d`` DELETE, ``*`` ALL."""
    permissive: bool
    using: str | None
    check: str | None


@dataclass(frozen=True)
class TableFacts:
    schema: str
    table: str
    owner: str
    owned: bool
    """The role has the owner's rights (it is the owner or inherits from it)."""
    rls: bool
    forced: bool
    """FORCE ROW LEVEL SECURITY: it applies to the owner too."""
    policies: tuple[Policy, ...]


@dataclass(frozen=True)
class AccessFacts:
    role: RoleFacts
    granted: dict[Need, bool]
    """Needs whose object exists, and whether the role holds the right."""
    tables: dict[tuple[str, str], TableFacts]


async def read_facts(conn: AsyncConnection[Any], needs: tuple[Need, ...]) -> AccessFacts:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ROLE_SQL)
        row = await cur.fetchone()
        assert row is not None  # current_user always has a pg_roles row
        role = RoleFacts(
            name=row["name"],
            bypasses_rls=row["bypasses_rls"],
            in_recovery=row["in_recovery"],
            read_only_default=row["read_only_source"],
        )
        await cur.execute(
            NEEDS_SQL,
            {
                "schemas": [n.schema for n in needs],
                "tables": [n.table for n in needs],
                "columns": [n.column for n in needs],
                "rights": [n.right.value for n in needs],
            },
        )
        rows = await cur.fetchall()
    granted: dict[Need, bool] = {}
    tables: dict[tuple[str, str], TableFacts] = {}
    for need, r in zip(needs, rows, strict=True):
        if not r["present"]:
            continue
        granted[need] = bool(r["granted"])
        if need.table is not None and r["owner"] is not None:
            tables[(need.schema, need.table)] = TableFacts(
                schema=need.schema,
                table=need.table,
                owner=r["owner"],
                owned=r["owned"],
                rls=r["rls"],
                forced=r["forced"],
                policies=tuple(_policy(p) for p in r["policies"]),
            )
    return AccessFacts(role, granted, tables)


def _policy(p: dict[str, Any]) -> Policy:
    return Policy(p["name"], p["command"], p["permissive"], p["using"], p["check"])
