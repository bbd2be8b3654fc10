"""Applying a plan safely, also when several processes migrate at once.

Processes serialise on a PostgreSQL advisory lock. A waiting process polls
``pg_try_advisory_lock`` in autocommit mode instead of blocking in ``pg_advisory_lock``:
``CREATE INDEX CONCURRENTLY`` in the process holding the lock waits for every other
session's open transaction, so a waiter must never sit inside one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.infra.db import Target
from snapwatch.infra.errors import SchemaError, error_words
from snapwatch.infra.migrations.steps import MigrationPlan, Step

log = logging.getLogger(__name__)

# Identifies snapwatch's migration lock among the database's advisory locks.
LOCK_KEY = int.from_bytes(b"snapmigr", "big")
_POLL_SECONDS = (0.05, 0.2)


async def acquire_lock(conn: AsyncConnection[Any]) -> None:
    """Wait for the migration lock; the connection must be in autocommit mode."""
    announced = False
    while True:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute("SELECT pg_try_advisory_lock(%s) AS got", (LOCK_KEY,))
            row = await cur.fetchone()
        if row and row["got"]:
            return
        if not announced:
            log.info("waiting for another snapwatch migrate to finish")
            announced = True
        await asyncio.sleep(random.uniform(*_POLL_SECONDS))


async def release_lock(conn: AsyncConnection[Any]) -> None:
    if conn.closed:
        return  # the server released the session's lock with the session
    with contextlib.suppress(psycopg.Error):
        await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


async def apply_plan(
    conn: AsyncConnection[Any], plan: MigrationPlan, target: Target, lock_timeout_ms: int
) -> None:
    """Ordinary steps in one transaction (all or nothing), then each concurrent step in
    autocommit. ``lock_timeout_ms`` bounds how long the transaction waits for a table
    lock, so a long-running query never queues every other query behind the migration."""
    ordinary = [s for s in plan.steps if not s.concurrently]
    concurrent = [s for s in plan.steps if s.concurrently]
    if ordinary:
        step = ordinary[0]
        try:
            async with conn.transaction():
                await conn.execute(
                    "SELECT set_config('lock_timeout', %s, true),"
                    " set_config('search_path', 'public, pg_catalog', true)",
                    (f"{lock_timeout_ms}ms",),
                )
                for step in ordinary:
                    log.info("migrate: %s", step.description)
                    await conn.execute(step.sql.encode())
        except psycopg.Error as exc:
            raise _failed(step, exc, target) from None
    for step in concurrent:
        log.info("migrate: %s", step.description)
        try:
            await conn.execute(step.sql.encode())
        except psycopg.Error as exc:
            raise _failed(step, exc, target) from None


def _failed(step: Step, exc: psycopg.Error, target: Target) -> SchemaError:
    text = error_words(exc, *target.secrets)
    return SchemaError(f"migration step failed ({step.description}): {text}")
