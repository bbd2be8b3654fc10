"""Snapshots announced by PostgreSQL: ``LISTEN snapwatch_snapshots``, or why not.

Every snapshot write sends ``pg_notify('snapwatch_snapshots', <json>)`` in its own
transaction (:mod:`snapwatch.snapshot.writer`), so a listener hears about a snapshot the
moment any process commits one, without polling faster. :class:`SnapshotListener` keeps
one connection of its own for that (notifications belong to a session, and a pool would
hand the session to someone else), reports its state by callback, and reconnects after an
outage with the backoff of :mod:`snapwatch.infra.backoff` (0.5 s doubling to 30 s, jittered).

LISTEN does not work through a transaction-mode pooler (PgBouncer in transaction mode,
Supabase's Supavisor on port 6543): the server session that ran LISTEN goes back to the
pool and the notifications go to whoever holds it next. The listener does not find out
by itself, so it checks: behind a transaction pooler (:mod:`snapwatch.infra.pooler`: known from
the settings or the DSN without connecting, or found out by connecting) it does not
listen, and after LISTEN it sends a test notification on a private channel from a
second connection, as a writer would; when it has not arrived within
:data:`SELF_TEST_SECONDS` the state is ``polling`` with the reason, and the app polls
instead (and says so). Notifications sent while the connection was down are lost: after
every ``listening`` state the app should refresh once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import AsyncConnection, sql

from snapwatch.infra.backoff import CAP_SECONDS, Backoff
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect, known_pooler
from snapwatch.infra.dbsession import DbSession, DbState
from snapwatch.infra.errors import SnapwatchError, error_words
from snapwatch.infra.pooler import Pooler

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "snapwatch_snapshots"
"""The channel every snapshot write notifies (:mod:`snapwatch.snapshot.writer`)."""

SELF_TEST_SECONDS = 2.0
"""How long the test notification may take to come back before LISTEN is judged useless."""
WAIT_SECONDS = 0.5
"""Longest wait for notifications before checking whether to stop (the stop latency)."""
PING_SECONDS = 30.0
"""A connection silent this long is pinged, so a dead one is noticed and replaced."""

Mode = Literal["listening", "polling", "down"]
Conn = AsyncConnection[dict[str, Any]]

_probes = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ListenState:
    """``listening``; ``polling`` with the one-line reason LISTEN cannot be used; ``down``
    with the error while the database cannot be reached (it will be retried)."""

    mode: Mode
    detail: str | None = None

    @classmethod
    def listening(cls) -> ListenState:
        return cls("listening")

    @classmethod
    def polling(cls, reason: str) -> ListenState:
        return cls("polling", reason)

    @classmethod
    def down(cls, error: str) -> ListenState:
        return cls("down", error)


def listen_blocked(pooler: Pooler | None) -> str | None:
    """Why LISTEN cannot work behind ``pooler`` (a transaction pooler), or None."""
    if pooler is None or not pooler.transaction:
        return None
    return f"{pooler.describe()}: LISTEN needs a session connection"


class SnapshotListener:
    """Calls ``on_snapshot`` with each announced snapshot (the parsed JSON payload:
    ``snapshot_id``, ``site_id``, ``session_id``, ``wake_number``, ``trigger``) and
    ``on_state`` when the state changes. Callbacks run on the event loop; they must be
    quick (post a message) and their exceptions are logged, never fatal."""

    def __init__(
        self,
        target: Target,
        settings: Settings,
        on_snapshot: Callable[[dict[str, Any]], None],
        on_state: Callable[[ListenState], None],
        *,
        self_test_seconds: float = SELF_TEST_SECONDS,
    ) -> None:
        self._target = target
        self._settings = settings
        self._on_snapshot = on_snapshot
        self._on_state = on_state
        self._self_test_seconds = self_test_seconds
        self._state: ListenState | None = None
        self._session = DbSession(
            target, settings, on_change=self._db_changed, read_only=True, logger=None
        )

    @property
    def state(self) -> ListenState | None:
        return self._state

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop`` is set. Returns early only when LISTEN cannot work (state
        ``polling``): then the caller polls."""
        blocked = listen_blocked(known_pooler(self._target, self._settings))
        if blocked is not None:
            self._report(ListenState.polling(blocked))
            return
        # Connecting backs off in DbSession; this backs off a connection that works but
        # breaks again before listening starts (a flapping server, the test sender).
        backoff = Backoff()
        try:
            while not stop.is_set():
                try:
                    conn = await self._session.wait_connected(stop)
                except SnapwatchError as exc:  # refused credentials, schema not ready
                    self._report(ListenState.down(str(exc)))
                    await _sleep(stop, CAP_SECONDS)
                    continue
                if conn is None:
                    return
                blocked = listen_blocked(self._target.pooler)  # found out by connecting
                if blocked is not None:
                    self._report(ListenState.polling(blocked))
                    return
                try:
                    reason = await self._start(conn)
                    if reason is not None:
                        self._report(ListenState.polling(reason))
                        return
                    self._report(ListenState.listening())
                    backoff.reset()
                    await self._pump(conn, stop)
                except (psycopg.OperationalError, psycopg.InterfaceError, SnapwatchError) as exc:
                    await self._session.lost(exc)
                    await _sleep(stop, backoff.next())
        finally:
            await self._session.close()

    async def _start(self, conn: Conn) -> str | None:
        """LISTEN and prove that notifications arrive; the reason when they cannot."""
        channel = f"snapwatch_listen_check_{os.getpid()}_{next(_probes)}"
        try:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(NOTIFY_CHANNEL)))
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        except (psycopg.OperationalError, psycopg.InterfaceError):
            raise
        except psycopg.Error as exc:
            return f"LISTEN refused: {self._line(exc)}"
        try:
            await self._send_test(channel)
            arrived = await self._await_test(conn, channel)
        finally:
            if not (conn.closed or conn.broken):
                await conn.execute(sql.SQL("UNLISTEN {}").format(sql.Identifier(channel)))
        if not arrived:
            return (
                f"a test notification did not arrive within {self._self_test_seconds:g} s "
                "(a transaction-mode pooler?)"
            )
        return None

    async def _send_test(self, channel: str) -> None:
        """NOTIFY from another session, as a writer would (a pooler may hand it the very
        server session this one listens on, so a NOTIFY on this connection proves nothing)."""
        sender = await connect(self._target, self._settings)
        try:
            await sender.execute("SELECT pg_notify(%s, 'check')", (channel,))
        finally:
            await sender.close()

    async def _await_test(self, conn: Conn, channel: str) -> bool:
        deadline = time.monotonic() + self._self_test_seconds
        while (left := deadline - time.monotonic()) > 0:
            async for note in conn.notifies(timeout=left):
                if note.channel == channel:
                    return True
                self._deliver(note.channel, note.payload)
        return False

    async def _pump(self, conn: Conn, stop: asyncio.Event) -> None:
        quiet_since = time.monotonic()
        while not stop.is_set():
            async for note in conn.notifies(timeout=WAIT_SECONDS):
                self._deliver(note.channel, note.payload)
                quiet_since = time.monotonic()
            if time.monotonic() - quiet_since > PING_SECONDS:
                await conn.execute("SELECT 1")
                quiet_since = time.monotonic()

    def _deliver(self, channel: str, payload: str) -> None:
        if channel != NOTIFY_CHANNEL:
            return
        try:
            parsed = json.loads(payload)
        except ValueError:
            log.warning("ignored a notification that is not JSON: %.80r", payload)
            return
        if not isinstance(parsed, dict):
            log.warning("ignored a notification that is not a JSON object: %.80r", payload)
            return
        try:
            self._on_snapshot(parsed)
        except Exception:  # a listener's bug must not stop the listening
            log.exception("snapshot callback failed")

    def _db_changed(self, state: DbState) -> None:
        if not state.up:
            self._report(ListenState.down(state.error or "database unreachable"))

    def _report(self, state: ListenState) -> None:
        if state == self._state:
            return
        self._state = state
        try:
            self._on_state(state)
        except Exception:
            log.exception("listen state callback failed")

    def _line(self, exc: BaseException) -> str:
        return error_words(exc, *self._target.secrets)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
