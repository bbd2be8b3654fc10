"""The app's way to the database: one reconnecting session, one unit of work at a time.

Workers (never widgets) run their reads and the operator's actions through :meth:`run`.
The session (:class:`snapwatch.infra.dbsession.DbSession`) reconnects after an outage with
backoff and reports each outage once, when it starts and when it ends; the app shows
that as its banner. Work is serialised on a lock: a read never runs inside an action's
transaction on the shared connection. Every failure becomes one readable, redacted line
(:class:`snapwatch.infra.errors.SnapwatchError`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg

from snapwatch.infra.access import Job, connect_for, require_access
from snapwatch.infra.clock import Clock, sync_clock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.dbsession import Conn, DbSession, DbState
from snapwatch.infra.errors import InternalError, SnapwatchError, error_words, from_database

log = logging.getLogger(__name__)

T = TypeVar("T")


class AppData:
    """Not thread-safe: use from the app's event loop."""

    def __init__(
        self,
        target: Target,
        settings: Settings,
        *,
        on_change: Callable[[DbState], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``clock``: the app's clock; when it follows the database's, its offset is
        measured on every new connection (a scheduler, if any, measures it every tick)."""
        self.target = target
        self.settings = settings
        self.read_only = settings.read_only
        self.limits = settings.database
        self.session = DbSession(
            target, settings, on_change=on_change, read_only=self.read_only, check=_can_view
        )
        self._lock = asyncio.Lock()
        self._clock = clock
        self._synced: Conn | None = None

    @property
    def up(self) -> bool | None:
        return self.session.up

    async def run(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """``work(conn)`` on the live connection, after any work in progress.

        Raises :class:`SnapwatchError` with one line: the database unreachable
        (:class:`~snapwatch.infra.errors.DatabaseUnreachable`), a role that may not read
        (:class:`~snapwatch.infra.errors.AccessRefused`, checked on every connection), the
        schema not ready, what the database said about rights or state, or the
        statement that failed."""
        async with self._lock:
            try:
                async with self.session.use() as conn:
                    if self._clock is not None and conn is not self._synced:
                        await sync_clock(conn, self._clock)
                        self._synced = conn
                    return await work(conn)
            except psycopg.Error as exc:
                raise self._said(exc) from None

    async def run_apart(self, job: Job, work: Callable[[Conn], Awaitable[T]]) -> T:
        """``work(conn)`` on a connection of its own, opened for ``job`` (the role checked
        for it, then the schema) and closed after: long work, such as a backfill, that must
        not hold up the panes' reads on the shared one. Failures as :meth:`run` says."""
        try:
            conn, _ = await connect_for(self.target, self.settings, job)
            try:
                return await work(conn)
            finally:
                await conn.close()
        except psycopg.Error as exc:
            raise self._said(exc) from None

    def _said(self, exc: psycopg.Error) -> SnapwatchError:
        known = from_database(
            exc,
            read_only_connection=self.read_only,
            redact=self.target.redact,
            limits=self.limits,
        )
        if known is not None:
            return known
        return SnapwatchError(f"database error: {self._line(exc)}")

    async def close(self) -> None:
        async with self._lock:
            await self.session.close()

    def _line(self, exc: BaseException) -> str:
        return error_words(exc, *self.target.secrets)


async def _can_view(conn: Conn) -> None:
    """The app reads everything it shows: a role that may not (or that row-level security
    would show nothing) gets the role check's line in the banner, not empty panes."""
    await require_access(conn, Job.VIEW)


def error_line(exc: BaseException, target: Target) -> str:
    """Any exception as the one line the app shows (a bug is logged with its traceback)."""
    if isinstance(exc, SnapwatchError):
        return str(exc)
    log.error("unexpected error", exc_info=exc)
    return str(InternalError.of(exc, "details in the log: l", *target.secrets))
