"""Connections through a transaction pooler: each transaction sets its own limits.

Through a transaction pooler (:mod:`snapwatch.pooler`) a setting made for the session
reaches only the server session that happens to run it, so the statement timeout cannot
be a startup option or a ``SET``. A :class:`PooledConnection` (autocommit, as all of
snapwatch's connections) applies it inside every transaction instead:

- an outermost ``conn.transaction()`` starts with ``BEGIN`` (``BEGIN READ ONLY`` on a
  read-only connection, see ``set_read_only``) and then
  ``set_config('statement_timeout', ..., true)``, which ends with the transaction;
- a statement run outside a transaction (autocommit) is wrapped in such a transaction by
  :class:`PooledCursor`. Its rows are fetched after the commit as before: a client-side
  cursor holds the whole result.

The price is one more round trip per transaction, three more for a statement run outside
one (``BEGIN``, the limits, ``COMMIT``). snapwatch runs statements in no other way: no
``executemany``, ``stream`` or server-side cursors; ``copy`` (the demo's seed) runs
inside ``conn.transaction()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Self

from psycopg import AsyncConnection, AsyncCursor, AsyncTransaction, InterfaceError
from psycopg.abc import Params, Query
from psycopg.pq import TransactionStatus
from psycopg.rows import Row

LIMITS_SQL = "SELECT set_config('statement_timeout', %s, true)"


class PooledConnection(AsyncConnection[Row]):
    """An autocommit connection whose every transaction sets the statement timeout."""

    statement_timeout_ms: int | None = None
    """Set by whoever opens the connection, before it is used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_factory = PooledCursor

    @asynccontextmanager
    async def transaction(
        self, savepoint_name: str | None = None, force_rollback: bool = False
    ) -> AsyncIterator[AsyncTransaction]:
        outermost = self.pgconn.transaction_status == TransactionStatus.IDLE
        async with super().transaction(savepoint_name, force_rollback) as tx:
            if outermost:
                if self.statement_timeout_ms is None:
                    raise InterfaceError("statement_timeout_ms of a pooled connection not set")
                await self.execute(LIMITS_SQL, (str(self.statement_timeout_ms),))
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
