"""Transactions that carry their own settings, and connections through a transaction pooler.

A setting made with ``set_config(name, value, true)`` inside a transaction ends with it:
nothing leaks to the session, nor, behind a transaction pooler, to the pooler's next
client. :func:`transaction_with` opens such a transaction (a snapshot write sets its
``lock_timeout`` and ``synchronous_commit`` that way, :mod:`snapwatch.snapshot.writer`).

Through a transaction pooler (:mod:`snapwatch.infra.pooler`) a setting made for the session
reaches only the server session that happens to run it, so the limits (statement and lock
timeouts) cannot be startup options or a ``SET``. A :class:`PooledConnection` (autocommit,
as all of snapwatch's connections) applies them inside every transaction instead:

- an outermost ``conn.transaction()`` starts with ``BEGIN`` (``BEGIN READ ONLY`` on a
  read-only connection, see ``set_read_only``) and then one ``set_config(..., true)`` per
  limit, in one statement; a :func:`transaction_with` adds its own settings to that same
  statement;
- a statement run outside a transaction (autocommit) is wrapped in such a transaction by
  :class:`PooledCursor`. Its rows are fetched after the commit as before: a client-side
  cursor holds the whole result.

The price is one more round trip per transaction, three more for a statement run outside
one (``BEGIN``, the limits, ``COMMIT``). snapwatch runs statements in no other way: no
``executemany``, ``stream`` or server-side cursors; ``copy`` (the demo's seed) runs
inside ``conn.transaction()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Self

from psycopg import AsyncConnection, AsyncCursor, AsyncTransaction, InterfaceError, sql
from psycopg.abc import Params, Query
from psycopg.pq import TransactionStatus
from psycopg.rows import Row


def set_local(settings: Mapping[str, str]) -> tuple[sql.Composed, list[str]]:
    """One statement (and its parameters) that sets ``settings`` for the current
    transaction alone."""
    calls = sql.SQL(", ").join([sql.SQL("set_config(%s, %s, true)")] * len(settings))
    return sql.SQL("SELECT {}").format(calls), [v for item in settings.items() for v in item]


@asynccontextmanager
async def transaction_with(
    conn: AsyncConnection[Any], settings: Mapping[str, str]
) -> AsyncIterator[None]:
    """A transaction (a savepoint inside one) whose first statement sets ``settings`` for
    it alone; on a :class:`PooledConnection` that statement also sets the limits."""
    if isinstance(conn, PooledConnection):
        async with conn.transaction_with(settings):
            yield
        return
    async with conn.transaction():
        if settings:
            await conn.execute(*set_local(settings))
        yield


class PooledConnection(AsyncConnection[Row]):
    """An autocommit connection whose every transaction sets the limits."""

    limits: dict[str, str] | None = None
    """The settings every transaction sets for itself (``statement_timeout``,
    ``lock_timeout``); set by whoever opens the connection, before it is used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_factory = PooledCursor

    @asynccontextmanager
    async def transaction(
        self, savepoint_name: str | None = None, force_rollback: bool = False
    ) -> AsyncIterator[AsyncTransaction]:
        async with self.transaction_with({}, savepoint_name, force_rollback) as tx:
            yield tx

    @asynccontextmanager
    async def transaction_with(
        self,
        settings: Mapping[str, str],
        savepoint_name: str | None = None,
        force_rollback: bool = False,
    ) -> AsyncIterator[AsyncTransaction]:
        """A transaction whose first statement sets the limits (when it is the outermost
        one) and ``settings``."""
        outermost = self.pgconn.transaction_status == TransactionStatus.IDLE
        async with super().transaction(savepoint_name, force_rollback) as tx:
            local = dict(settings)
            if outermost:
                if self.limits is None:
                    raise InterfaceError("limits of a pooled connection not set")
                local = {**self.limits, **local}
            if local:
                await self.execute(*set_local(local))
            yield tx


class PooledCursor(AsyncCursor[Row]):
    """Runs a statement outside a transaction inside one of its own (with the limits)."""

    async def execute(
        self,
        query: Query,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        run: Callable[..., Awaitable[Self]] = super().execute  # either overload
        conn = self.connection
        if conn.autocommit and conn.pgconn.transaction_status == TransactionStatus.IDLE:
            async with conn.transaction():
                return await run(query, params, prepare=prepare, binary=binary)
        return await run(query, params, prepare=prepare, binary=binary)
