"""Database schema: the platform tables (on snapwatch's own database) and snapwatch's schema.

``migrate`` brings a database to what snapwatch needs; ``plan`` says what that would
change; ``require_current`` is the check every other command runs first.
See ``design/domain.md`` ("snapwatch works in two situations").
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.errors import AccessRefused, ConfigError, SchemaError
from snapwatch.infra.migrations.catalog import read_catalog
from snapwatch.infra.migrations.own import LATEST_VERSION
from snapwatch.infra.migrations.owners import plan_refusal
from snapwatch.infra.migrations.planner import build_plan
from snapwatch.infra.migrations.runner import acquire_lock, apply_plan, release_lock
from snapwatch.infra.migrations.steps import MigrationPlan, Step

__all__ = ["MigrationPlan", "Step", "migrate", "plan", "plan_refusal", "require_current"]

NOT_CURRENT = "database schema is not up to date: run `snapwatch migrate`"


async def plan(conn: AsyncConnection[Any]) -> MigrationPlan:
    """What ``migrate`` would change on this connection's database. Read-only.

    Raises :class:`SchemaError` when the database is one snapwatch must not change
    (a platform database missing tables or columns snapwatch reads, or a newer schema).
    """
    catalog = await read_catalog(conn)
    todo = build_plan(catalog)
    todo.schema_version = max(catalog.applied_versions, default=0)
    todo.latest_version = LATEST_VERSION
    return todo


async def require_current(conn: AsyncConnection[Any]) -> None:
    """Raise :class:`SchemaError` unless the schema is exactly what snapwatch needs."""
    if not (await plan(conn)).is_empty:
        raise SchemaError(NOT_CURRENT)


def refuse_transaction_pooler(target: Target) -> None:
    """``migrate`` holds a session advisory lock, sets the session's statement timeout and
    builds indexes outside a transaction: none of it works through a transaction pooler."""
    pooler = target.pooler
    if pooler is not None and pooler.transaction:
        raise ConfigError(
            f"migrate cannot run through a {pooler.describe()}: connect it directly or "
            "through a session pooler (Supabase: port 5432), or set database.pooler"
        )


async def migrate(target: Target, settings: Settings) -> MigrationPlan:
    """Apply what is missing and return it.

    Safe to run from several processes at once: they take turns on an advisory lock, and
    each plans again once it holds the lock, so the later ones find nothing to do.
    A role that cannot run every step (a non-owner) is refused before the first one:
    :class:`AccessRefused` names the statement and the role it needs.
    """
    if settings.read_only:
        raise ConfigError("read_only is set: migrate would change the database (use --check)")
    conn = await connect(target, settings)
    async with conn:
        refuse_transaction_pooler(target)
        # No transaction may stay open while waiting for the lock or building indexes.
        await conn.set_autocommit(True)
        # Index builds on a large existing table may take longer than any statement timeout.
        await conn.execute("SET statement_timeout = 0")
        await acquire_lock(conn)
        try:
            todo = await plan(conn)
            refusal = await plan_refusal(conn, todo)
            if refusal is not None:
                raise AccessRefused(refusal)
            lock_timeout_ms = int(settings.database.statement_timeout_seconds * 1000)
            await apply_plan(conn, todo, target, lock_timeout_ms)
        finally:
            await release_lock(conn)
    return todo
