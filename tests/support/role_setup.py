"""Shaping a test database as the platform's is shaped: rights granted from snapwatch's
own rule, row-level security as Supabase has it, and a small fleet that is due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

import psycopg
from psycopg import sql

from snapwatch.infra.access.grants import grant_statements
from snapwatch.infra.access.needs import READER_JOBS, WRITER_JOBS
from snapwatch.infra.clock import SystemClock
from snapwatch.infra.migrations.platform import PLATFORM_TABLES
from support.overview_rows import Rows

H = timedelta(hours=1)


def execute(dsn: str, *statements: str | sql.SQL | sql.Composed) -> None:
    """Run ``statements`` as the superuser the test DSNs connect as."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def grant_writer(dsn: str, role: str) -> None:
    execute(dsn, *grant_statements(role, WRITER_JOBS))


def grant_reader(dsn: str, role: str) -> None:
    execute(dsn, *grant_statements(role, READER_JOBS))


def enable_row_security(dsn: str, tables: Iterable[str] = PLATFORM_TABLES) -> None:
    """Row-level security on ``tables``, as Supabase has it on every platform table."""
    execute(
        dsn,
        *(
            sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(sql.Identifier(t))
            for t in tables
        ),
    )


def policy(dsn: str, table: str, name: str, command: str, role: str, using: str) -> None:
    """``CREATE POLICY name ON table FOR command TO role USING (using)``; ``command`` and
    ``using`` are the test's own text."""
    check = "" if command == "SELECT" else f" WITH CHECK ({using})"
    using_clause = "" if command == "INSERT" else f" USING ({using})"
    execute(
        dsn,
        sql.SQL("CREATE POLICY {} ON {} FOR " + command + " TO {}" + using_clause + check).format(
            sql.Identifier(name), sql.Identifier(table), sql.Identifier(role)
        ),
    )


def let_through(dsn: str, role: str, tables: Iterable[str] = PLATFORM_TABLES) -> None:
    """A policy per table that lets ``role`` read, write and update every row."""
    for table in tables:
        policy(dsn, table, f"{role}_all", "ALL", role, "true")


def due_fleet(rows: Rows, sites: int = 2) -> list[UUID]:
    """Hourly sites with one device each and a session that opened three hours before the
    real current time (the commands and the daemon use the system clock): each is owed
    snapshots."""
    now = SystemClock().now()
    start = now.replace(minute=0, second=0, microsecond=0) - 3 * H
    program = rows.program(rows.company("Harbour Foods"), "Cold chain")
    made = []
    for n in range(sites):
        site = rows.site(program, f"Room {n + 1}", snapshot_cadence_hours=1, timezone="UTC")
        rows.session(site, start, start + 24 * H, "in_progress")
        rows.device(site)
        made.append(site)
    return made


def count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(table))).fetchone()
    assert row is not None
    return int(row[0])
