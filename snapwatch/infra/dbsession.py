"""A reconnecting database holder for processes that outlive database outages.

One autocommit connection with dict rows (:func:`snapwatch.infra.db.connect`), handed out on
demand and checked against the schema (:func:`snapwatch.infra.migrations.require_current`)
after every (re)connect. When the server goes away the connection is dropped and the
next request reconnects; failed attempts back off exponentially with jitter (0.5 s
doubling to 30 s, each wait drawn from half to all of that, reset on success:
:mod:`snapwatch.infra.backoff`) so an outage costs a handful of attempts, not one per
request, and processes that lost the same server do not all come back at one instant.

An outage is reported once when it starts and once when it ends (log events
``db_unreachable`` / ``db_reachable`` and the ``on_change`` callback), never once per
attempt: a daemon's log or an app's banner shows one line for one outage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection

from snapwatch.infra.backoff import Backoff
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.errors import AuthenticationFailed, DatabaseUnreachable, error_words
from snapwatch.infra.logs import log_event
from snapwatch.infra.migrations import require_current

log = logging.getLogger(__name__)

Conn = AsyncConnection[dict[str, Any]]


@dataclass(frozen=True)
class DbState:
    """A change of reachability: ``up`` False with the one-line ``error`` when an outage
    starts; ``up`` True with ``down_seconds`` (None on the first connect) when it ends."""

    up: bool
    error: str | None = None
    down_seconds: float | None = None


class DbSession:
    """Hands out one live connection; not thread-safe, use from one event loop."""

    def __init__(
        self,
        target: Target,
        settings: Settings,
        *,
        on_change: Callable[[DbState], None] | None = None,
        read_only: bool = False,
        check: Callable[[Conn], Awaitable[object]] | None = None,
        logger: logging.Logger | None = log,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``check`` runs on every new connection before the schema check (the role
        check of :mod:`snapwatch.infra.access`); what it raises is raised to the caller."""
        self.target = target
        self._check = check
        self._settings = settings
        self._on_change = on_change
        self._read_only = read_only
        self._log = logger
        self._monotonic = monotonic
        self._conn: Conn | None = None
        self._up: bool | None = None
        self._down_since: float | None = None
        self._last_error: str | None = None
        self._backoff = Backoff()
        self._next_attempt = 0.0
        self.attempts = 0
        """Connection attempts made (successful or not)."""

    @property
    def up(self) -> bool | None:
        """True once connected, False during an outage, None before the first attempt."""
        return self._up

    @property
    def last_error(self) -> str | None:
        """Why the database is unreachable (None while it is reachable)."""
        return self._last_error if self._up is False else None

    @property
    def retry_in(self) -> float:
        """Seconds until the next connection attempt is allowed (0 = now)."""
        return max(0.0, self._next_attempt - self._monotonic())

    async def connection(self) -> Conn:
        """The live connection, connecting first if there is none.

        Raises :class:`DatabaseUnreachable` while the database cannot be reached (without
        a new attempt before the backoff allows one), :class:`SchemaError` when the schema
        is not current, what ``check`` raises, and :class:`ConfigError` for a DSN that
        cannot be parsed."""
        conn = self._conn
        if conn is not None and not (conn.closed or conn.broken):
            return conn
        if conn is not None:
            await self._drop()
        if self._monotonic() < self._next_attempt:
            raise DatabaseUnreachable(self._last_error or "database unreachable")
        self.attempts += 1
        try:
            conn = await connect(self.target, self._settings, read_only=self._read_only)
        except DatabaseUnreachable as exc:
            self._attempt_failed(str(exc))
            raise
        try:
            if self._check is not None:
                await self._check(conn)
            await require_current(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:  # gone again at once
            await conn.close()
            self._attempt_failed(self._line(exc))
            raise DatabaseUnreachable(self._last_error or "database unreachable") from None
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._connected()
        return conn

    async def ping(self) -> Conn:
        """A connection known to work now: an idle connection whose server restarted only
        says so when used, so it is tried first and replaced at once when dead."""
        conn = await self.connection()
        try:
            await conn.execute("SELECT 1")
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            await self.lost(exc)
            return await self.connection()
        return conn

    @asynccontextmanager
    async def use(self, *, check: bool = False) -> AsyncIterator[Conn]:
        """The connection for a unit of work (with ``check``, tried first: see
        :meth:`ping`); when the work fails because the connection broke, the connection
        is dropped, the outage reported, and :class:`DatabaseUnreachable` raised instead."""
        conn = await (self.ping() if check else self.connection())
        try:
            yield conn
        except psycopg.Error as exc:
            if not (conn.closed or conn.broken or isinstance(exc, psycopg.InterfaceError)):
                raise  # a statement failed on a healthy connection
            await self.lost(exc)
            raise DatabaseUnreachable(self._last_error or "database unreachable") from None

    async def wait_connected(self, stop: asyncio.Event) -> Conn | None:
        """Connect, retrying with backoff until it works or ``stop`` is set (then None).

        Refused credentials are not an outage: :class:`AuthenticationFailed` is raised."""
        while not stop.is_set():
            try:
                return await self.connection()
            except AuthenticationFailed:
                raise
            except DatabaseUnreachable:
                pass
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(self.retry_in, 0.05))
            except TimeoutError:
                continue
        return None

    async def lost(self, exc: BaseException) -> None:
        """The connection broke while in use: drop it; the next request reconnects at once
        (only failed attempts back off)."""
        await self._drop()
        self._went_down(f"connection lost: {self._line(exc)}")
        self._next_attempt = 0.0

    async def close(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            with suppress(psycopg.Error):
                await conn.close()

    def _attempt_failed(self, error: str) -> None:
        self._went_down(error)
        self._next_attempt = self._monotonic() + self._backoff.next()

    def _went_down(self, error: str) -> None:
        self._last_error = error
        if self._up is False:
            return
        self._up = False
        self._down_since = self._monotonic()
        text = (
            error if error.startswith("database unreachable") else f"database unreachable: {error}"
        )
        if self._log is not None:
            log_event(self._log, logging.WARNING, "db_unreachable", text, error=error)
        self._notify(DbState(up=False, error=error))

    def _connected(self) -> None:
        self._backoff = Backoff()
        self._next_attempt = 0.0
        was_down, since = self._up is False, self._down_since
        self._up, self._down_since, self._last_error = True, None, None
        if not was_down or since is None:
            if self._log is not None:
                log_event(self._log, logging.INFO, "db_connected", "database reachable")
            self._notify(DbState(up=True))
            return
        down = round(self._monotonic() - since, 1)
        if self._log is not None:
            log_event(
                self._log,
                logging.INFO,
                "db_reachable",
                f"database reachable again after {down:.1f} s",
                down_seconds=down,
            )
        self._notify(DbState(up=True, down_seconds=down))

    def _notify(self, state: DbState) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(state)
        except Exception:  # a listener's bug must not take the connection down with it
            log.exception("database state listener failed")

    def _line(self, exc: BaseException) -> str:
        return error_words(exc, *self.target.secrets)
