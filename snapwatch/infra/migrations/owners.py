"""Whether the connected role may run a plan's steps, judged before any of them runs.

``CREATE INDEX`` and ``ALTER TABLE`` need the table's owner, ``CREATE SCHEMA`` the CREATE
right on the database: a plan that would fail halfway (and leave a schema behind that
blocks every command) is refused whole, with the statement and the role it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.infra.migrations.steps import MigrationPlan, Requirement, Step
from snapwatch.text.inert import name

OWNER_SQL_COMMAND = "snapwatch migrate --print-owner-sql"

# One row per requirement, in order: whether the role holds it, and who does (the owner
# of the object; for CREATE, the owner holds it whoever else was granted it).
HOLDS_SQL = """
SELECT n.ord,
       CASE n.kind
            WHEN 'table' THEN pg_catalog.pg_has_role(c.relowner, 'USAGE')
            WHEN 'database' THEN pg_catalog.has_database_privilege(d.oid, 'CREATE')
            WHEN 'schema' THEN CASE n.priv
                WHEN 'owner' THEN pg_catalog.pg_has_role(s.nspowner, 'USAGE')
                ELSE pg_catalog.has_schema_privilege(s.oid, 'CREATE') END
       END AS holds,
       pg_catalog.pg_get_userbyid(
           CASE n.kind WHEN 'table' THEN c.relowner WHEN 'database' THEN d.datdba
                       ELSE s.nspowner END) AS holder,
       d.datname AS database
  FROM unnest(%(rights)s::text[], %(kinds)s::text[], %(names)s::text[])
       WITH ORDINALITY AS n(priv, kind, name, ord)
  JOIN pg_catalog.pg_database d ON d.datname = current_database()
  LEFT JOIN pg_catalog.pg_class c  -- to_regclass only ever sees table names
         ON c.oid = pg_catalog.to_regclass(CASE WHEN n.kind = 'table' THEN n.name END)
  LEFT JOIN pg_catalog.pg_namespace s ON n.kind = 'schema' AND s.nspname = n.name
 ORDER BY n.ord
"""


@dataclass(frozen=True)
class Held:
    requirement: Requirement
    holds: bool
    holder: str
    """The role that has it for sure: the object's owner."""
    database: str

    def describe(self) -> str:
        """``the owner of site_device_sessions (postgres)``, ``CREATE on database platform
        (owner postgres)``."""
        req, holder = self.requirement, name(self.holder)
        if req.kind == "table":
            return f"the owner of {req.name.removeprefix('public.')} ({holder})"
        where = f"schema {req.name}" if req.kind == "schema" else f"database {self.database}"
        if req.right == "owner":
            return f"the owner of {where} ({holder})"
        return f"CREATE on {where} (owner {holder})"


async def read_held(
    conn: AsyncConnection[Any], requirements: list[Requirement]
) -> dict[Requirement, Held]:
    if not requirements:
        return {}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            HOLDS_SQL,
            {
                "rights": [r.right for r in requirements],
                "kinds": [r.kind for r in requirements],
                "names": [r.name for r in requirements],
            },
        )
        rows = await cur.fetchall()
    return {
        req: Held(req, bool(row["holds"]), row["holder"] or "?", row["database"])
        for req, row in zip(requirements, rows, strict=True)
    }


def refusal(plan: MigrationPlan, held: dict[Requirement, Held]) -> str | None:
    """The one line that refuses the plan, naming its first step the role cannot run and
    the role that can; None when the role can run every step. Pure."""
    blocked: list[tuple[Step, Held]] = [
        (step, held[step.requires])
        for step in plan.steps
        if step.requires is not None and not held[step.requires].holds
    ]
    if not blocked:
        return None
    step, first = blocked[0]
    more = f" (and {len(blocked) - 1} more steps)" if len(blocked) > 1 else ""
    holder = name(first.holder)
    return (
        f"migrate needs {first.describe()} for: {step.description}{more}; run it as {holder},"
        f" or have {holder} run the SQL printed by {OWNER_SQL_COMMAND}"
    )


async def plan_refusal(conn: AsyncConnection[Any], plan: MigrationPlan) -> str | None:
    """Why the connected role cannot run ``plan`` (None: it can). Changes nothing."""
    requirements = list(dict.fromkeys(s.requires for s in plan.steps if s.requires is not None))
    return refusal(plan, await read_held(conn, requirements))
