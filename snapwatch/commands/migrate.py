"""``snapwatch migrate --check`` and ``--print-owner-sql``: what would change, whether the
connected role may change it and what it can do, and the SQL an owner runs once."""

from __future__ import annotations

from typing import TextIO

from psycopg import errors as pg_errors

from snapwatch.infra.access import Job, check_access
from snapwatch.infra.access.facts import read_facts
from snapwatch.infra.access.grants import owner_script
from snapwatch.infra.access.needs import ALL_NEEDS
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.errors import EXIT_OK, EXIT_SITE_FAILED, AccessRefused
from snapwatch.infra.migrations import MigrationPlan, plan, plan_refusal


async def check_command(target: Target, settings: Settings, out: TextIO) -> int:
    """The plan, the role that may apply it, and what the connected role can do. Exits 1
    when changes are pending (like ``diff``), 0 otherwise."""
    async with await connect(target, settings, read_only=True) as conn:
        report = await check_access(conn)
        try:
            todo = await plan(conn)
        except pg_errors.InsufficientPrivilege:
            # The schema's version is unreadable: the role check says which right is missing.
            refused = report.verdicts[Job.VIEW].refusal
            if refused is None:
                raise
            raise AccessRefused(refused) from None
        refusal = await plan_refusal(conn, todo)
    out.write(f"{target.display}: {todo.version_line()}; would apply {len(todo.steps)} step(s)\n")
    out.write(todo.render() + "\n")
    if refusal is not None:
        out.write(f"note: {refusal}\n")
    out.write(report.summary() + "\n")
    for line in report.refusals():
        out.write(f"  {line}\n")
    for line in report.warnings:
        out.write(f"warning: {line}\n")
    if report.read_only is not None:
        out.write(f"note: {report.read_only}\n")
    return EXIT_SITE_FAILED if todo.steps else EXIT_OK


async def owner_sql_command(
    target: Target, settings: Settings, out: TextIO, *, writer: str | None, reader: str | None
) -> int:
    """Print the pending steps and the roles' GRANTs (and policies) as one script."""
    async with await connect(target, settings, read_only=True) as conn:
        facts = await read_facts(conn, ALL_NEEDS)
        try:
            todo: MigrationPlan | None = await plan(conn)
        except pg_errors.InsufficientPrivilege:  # the GRANTs are still worth printing
            todo = None
    secured = [key for key, table in facts.tables.items() if table.rls]
    out.write(owner_script(todo, writer=writer, reader=reader, rls_tables=secured))
    return EXIT_OK
