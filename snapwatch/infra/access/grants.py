"""The SQL an owner runs once: pending schema steps, then the rights of a writer role (the
daemon, the operator's actions) and of a read-only role (``status``, ``inspect``, the
app with ``--read-only``), printed from the same rule the role check reads
(:data:`snapwatch.infra.access.needs.NEEDS`).

Where a table has row-level security, each role also gets a policy per command it needs
that lets every row through (``TO`` that role only); ``ALTER ROLE ... BYPASSRLS`` is the
alternative, given as a comment.
"""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql

from snapwatch import __version__
from snapwatch.infra.access.needs import READER_JOBS, WRITER_JOBS, Job, Right, needs_of
from snapwatch.infra.migrations.steps import MigrationPlan

# What follows ``TO role`` in a policy that lets every row through for the command.
_POLICY_EXPRESSIONS = {
    Right.SELECT: "USING (true)",
    Right.INSERT: "WITH CHECK (true)",
    Right.UPDATE: "USING (true) WITH CHECK (true)",
    Right.DELETE: "USING (true)",
}


def grant_statements(role: str, jobs: tuple[Job, ...]) -> list[str]:
    """One GRANT per object, rights in the rule's order; a column's after its table's."""
    rights: dict[tuple[str, str | None, str | None], list[Right]] = {}
    for need in needs_of(jobs):
        rights.setdefault((need.schema, need.table, need.column), []).append(need.right)
    tables = list(dict.fromkeys((schema, table) for schema, table, _ in rights))
    ordered = sorted(rights, key=lambda key: (tables.index(key[:2]), key[2] is not None))
    return [_grant(*key, rights[key], role) for key in ordered]


def _grant(
    schema: str, table: str | None, column: str | None, rights: list[Right], role: str
) -> str:
    words = sql.SQL(", ").join(sql.SQL(r.value) for r in rights)
    grantee = sql.Identifier(role)
    if table is None:
        statement = sql.SQL("GRANT {} ON SCHEMA {} TO {}").format(
            words, sql.Identifier(schema), grantee
        )
    elif column is None:
        statement = sql.SQL("GRANT {} ON TABLE {} TO {}").format(
            words, sql.Identifier(schema, table), grantee
        )
    else:
        statement = sql.SQL("GRANT {} ({}) ON TABLE {} TO {}").format(
            words, sql.Identifier(column), sql.Identifier(schema, table), grantee
        )
    return statement.as_string() + ";"


def policy_statements(
    role: str, jobs: tuple[Job, ...], rls_tables: Iterable[tuple[str, str]]
) -> list[str]:
    """For each table with row-level security, a policy per command the role needs there."""
    secured = set(rls_tables)
    commands: dict[tuple[str, str], list[Right]] = {}
    for need in needs_of(jobs):
        if need.table is None or (need.schema, need.table) not in secured:
            continue
        held = commands.setdefault((need.schema, need.table), [])
        if need.right not in held:
            held.append(need.right)
    out = []
    for (schema, table), rights in commands.items():
        for right in rights:
            policy = sql.Identifier(f"{role}_{right.value.lower()}")
            relation = sql.Identifier(schema, table)
            out.append(
                sql.SQL("DROP POLICY IF EXISTS {} ON {};").format(policy, relation).as_string()
            )
            out.append(
                sql.SQL("CREATE POLICY {} ON {} FOR {} TO {} {};")
                .format(
                    policy,
                    relation,
                    sql.SQL(right.value),
                    sql.Identifier(role),
                    sql.SQL(_POLICY_EXPRESSIONS[right]),
                )
                .as_string()
            )
    return out


def owner_script(
    plan: MigrationPlan | None,
    *,
    writer: str | None,
    reader: str | None,
    rls_tables: Iterable[tuple[str, str]],
) -> str:
    """The whole script, for ``psql -f`` (each statement on its own: CREATE INDEX
    CONCURRENTLY cannot run in a transaction block). ``plan`` None: the role that asked
    may not read snapwatch's schema version, so the pending steps are unknown."""
    secured = sorted(set(rls_tables))
    lines = [
        f"-- SQL for the owner of the platform tables to run once (snapwatch {__version__}),",
        "-- with psql -v ON_ERROR_STOP=1 -f FILE over a direct (or session pooler) connection.",
        "",
        *_schema_part(plan),
    ]
    for role, jobs, who in (
        (
            writer,
            WRITER_JOBS,
            "the writer role: the daemon, run-once, force, pause, resume, backfill"
            " (backfill --replace and --restore also need DELETE on session_wake_snapshots"
            " and INSERT, UPDATE on snapwatch.replaced_snapshots)",
        ),
        (reader, READER_JOBS, "the read-only role: status, inspect, the app with --read-only"),
    ):
        if role is None:
            continue
        lines += ["", f"-- {who}"]
        lines += grant_statements(role, jobs)
        policies = policy_statements(role, jobs, secured)
        if policies:
            bypass = sql.SQL("ALTER ROLE {} BYPASSRLS;").format(sql.Identifier(role)).as_string()
            lines += [
                "-- row-level security is on for "
                + ", ".join(t if s == "public" else f"{s}.{t}" for s, t in secured),
                f"-- policies that let this role through (or instead: {bypass})",
                *policies,
            ]
    if writer is None and reader is None:
        lines += ["", "-- add --writer ROLE and --reader ROLE for the GRANTs of snapwatch's roles"]
    return "\n".join(lines) + "\n"


def _schema_part(plan: MigrationPlan | None) -> list[str]:
    if plan is None:
        return [
            "-- the pending schema steps are unknown: this role may not read schema snapwatch;",
            "-- snapwatch migrate --check run as the owner shows them",
        ]
    if plan.is_empty:
        return ["-- the schema is up to date: nothing to change"]
    ordinary = [s for s in plan.steps if not s.concurrently]
    concurrent = [s for s in plan.steps if s.concurrently]
    lines = ["-- the schema changes snapwatch migrate would make"]
    if ordinary:
        lines += ["BEGIN;", "SET LOCAL search_path = public, pg_catalog;"]
        for step in ordinary:
            lines += [f"-- {step.description}", step.sql.rstrip().rstrip(";") + ";"]
        lines.append("COMMIT;")
    for step in concurrent:
        lines += [f"-- {step.description}", step.sql.rstrip().rstrip(";") + ";"]
    return lines
