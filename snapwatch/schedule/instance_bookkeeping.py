"""A scheduler's bookkeeping: its instance row, the shared clock, run history pruning, goodbye."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg

from snapwatch.infra.clock import AcceleratedClock, Clock, record_reached
from snapwatch.infra.config import Settings
from snapwatch.infra.dbsession import Conn, DbSession
from snapwatch.infra.errors import DatabaseUnreachable, error_line
from snapwatch.infra.logs import log_event
from snapwatch.schedule.instances import Mode, mark_stopped, register
from snapwatch.schedule.runlog import prune_runs

# The scheduler's events keep the scheduler's logger name (``logger`` in a JSON log line).
log = logging.getLogger("snapwatch.schedule.scheduler")

PRUNE_EVERY_SECONDS = 3600.0
GOODBYE_SECONDS = 1.5
"""Marking the instance stopped gives up after this (a lock on it must not hold a stop)."""


class InstanceBookkeeping:
    """What one scheduler keeps in the database beside its ticks' figures: the instance it
    registers and marks stopped, how far a shared clock got, and its pruned run history."""

    def __init__(
        self,
        db: DbSession,
        settings: Settings,
        clock: Clock,
        wall: Clock,
        *,
        mode: Mode,
        tick_seconds: float,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._wall = wall
        self._mode: Mode = mode
        self._tick_seconds = tick_seconds
        self._instance_id: UUID | None = None
        self._pruned_at: float | None = None

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def instance_id(self) -> UUID | None:
        return self._instance_id

    @property
    def shared_clock(self) -> AcceleratedClock | None:
        clock = self._clock
        return clock if isinstance(clock, AcceleratedClock) and clock.name is not None else None

    def said(self, exc: BaseException) -> str:
        """``exc`` as one line (a timeout with the limit it ran out of)."""
        return error_line(exc, limits=self._settings.database)

    async def register(self, conn: Conn) -> UUID:
        """The instance's id, registered on the first call that reaches the database."""
        if self._instance_id is None:
            self._instance_id = await register(
                conn, self._mode, clock=self._clock.describe(), tick_seconds=self._tick_seconds
            )
        return self._instance_id

    async def record_clock(self, conn: Conn) -> None:
        """Record how far the shared clock got (nothing without a shared clock)."""
        if self.shared_clock is not None:
            await record_reached(conn, self.shared_clock)

    async def keep_clock(self) -> None:
        """Record the shared clock on a connection of its own: an outage is the session's
        to report, any other failure is logged."""
        try:
            async with self._db.use() as conn:
                await self.record_clock(conn)
        except DatabaseUnreachable:
            pass
        except Exception as exc:
            log_event(log, logging.WARNING, "clock_unrecorded", error=self.said(exc))

    async def prune(self, conn: Conn) -> None:
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        days = self._settings.scheduler.run_retention_days
        before = self._wall.now() - timedelta(days=days)
        deleted = await self.guarded(conn, prune_runs(conn, before), "prune_failed")
        if deleted:
            log_event(
                log,
                logging.INFO,
                "runs_pruned",
                f"deleted {deleted} run(s) older than {days:g} days",
                deleted=deleted,
                before=before,
            )

    async def guarded(self, conn: Conn, work: Awaitable[Any], event: str) -> Any:
        """Side work of a tick: its failure is logged, never the tick's (unless the
        connection itself broke, which the session must hear about)."""
        try:
            return await work
        except psycopg.Error as exc:
            if conn.closed or conn.broken:
                raise
            log_event(log, logging.WARNING, event, error=self.said(exc))
        except Exception as exc:
            log_event(log, logging.WARNING, event, error=self.said(exc), exc_info=exc)
        return None

    async def goodbye(self) -> None:
        """Record the clock one last time and mark the instance stopped (given up after
        ``GOODBYE_SECONDS``)."""
        if self._instance_id is None:
            return
        try:
            async with asyncio.timeout(GOODBYE_SECONDS), self._db.use() as conn:
                await self.record_clock(conn)
                await mark_stopped(conn, self._instance_id)
        except Exception as exc:
            log_event(
                log,
                logging.WARNING,
                "stop_unrecorded",
                f"instance not marked stopped: {self.said(exc)}",
                error=self.said(exc),
            )
