"""One scheduled tick, start to finish: run, recorded, heartbeated and reported as a TickOutcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from snapwatch.infra.access import Job, require_access
from snapwatch.infra.clock import (
    Clock,
    database_clock,
    offset_text,
    offset_warning,
    sync_clock,
)
from snapwatch.infra.config import Settings
from snapwatch.infra.dbsession import Conn, DbSession
from snapwatch.infra.errors import DatabaseUnreachable, known_error
from snapwatch.infra.logs import log_event
from snapwatch.schedule.instance_bookkeeping import InstanceBookkeeping
from snapwatch.schedule.instances import record_tick
from snapwatch.schedule.pauses import active_pauses
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_events import TickEvents
from snapwatch.schedule.tick_report import TickReport

# The scheduler's events keep the scheduler's logger name (``logger`` in a JSON log line).
log = logging.getLogger("snapwatch.schedule.scheduler")

AfterTick = Callable[[Conn, datetime], Awaitable[None]]


@dataclass(frozen=True)
class TickOutcome:
    """One tick as the scheduler saw it: the report (None when the tick did not get that
    far) or the error, on the wall clock."""

    started_at: datetime
    finished_at: datetime
    report: TickReport | None
    error: str | None
    """None = success. Else the first failed site's line or the tick's exception line."""
    paused: bool = False
    """A global pause was active (the tick wrote nothing)."""
    db_down: bool = False
    """The tick failed because the database was unreachable."""
    next_tick_at: datetime | None = None
    clock_offset_seconds: float | None = None
    """The database's clock minus this host's, measured by this tick (None: not
    measured, or not on the database's clock)."""
    warnings: tuple[str, ...] = ()
    """What the role check warns about (row-level security that lets the role through
    only conditionally): the tick ran, but may have missed rows."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


async def global_pause_active(conn: Conn, now: datetime) -> bool:
    """Whether a pause of every site is in force at ``now`` (the as-of clock's time)."""
    return bool(await active_pauses(conn, now, site=None, scoped=True))


def first_failure(report: TickReport) -> str | None:
    failed = report.failed
    if not failed:
        return None
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return f"site {failed[0].site_name} failed: {failed[0].error}{more}"


class TickRunner:
    """Runs the scheduler's ticks (one at a time, as the scheduler calls :meth:`tick`) and
    keeps the last outcome and the last success."""

    def __init__(
        self,
        db: DbSession,
        settings: Settings,
        clock: Clock,
        wall: Clock,
        books: InstanceBookkeeping,
        *,
        stopping: Callable[[], bool],
        interrupt: asyncio.Event,
        next_tick_at: Callable[[], datetime | None],
        on_tick: Callable[[TickOutcome], None] | None,
        after_tick: AfterTick | None,
    ) -> None:
        """``stopping`` says whether the scheduler is stopping (a stopping tick only
        records itself), ``interrupt`` cancels the statement in hand, ``next_tick_at``
        says when the scheduler ticks next; ``on_tick`` and ``after_tick`` as the
        scheduler's."""
        self._db = db
        self._settings = settings
        self._clock = clock
        self._wall = wall
        self._books = books
        self._stopping = stopping
        self._interrupt = interrupt
        self._next_tick_at = next_tick_at
        self._on_tick = on_tick
        self._after_tick = after_tick
        self.last: TickOutcome | None = None
        self.last_success: TickOutcome | None = None
        self._logged_error: str | None = None
        self._clock_off = False
        self._warned: tuple[str, ...] = ()
        self._events = TickEvents(books.mode)
        """What goes in the activity trail (writes, failures, outages, conflicts)."""

    async def tick(self) -> TickOutcome:
        started = self._wall.now()
        try:
            async with self._db.use(check=True) as conn:
                outcome = await self._run(conn, started)
        except DatabaseUnreachable as exc:
            outcome = self._failed(started, str(exc), db_down=True)
            self._events.unreachable(started, str(exc))
        except Exception as exc:  # the scheduler outlives any tick
            outcome = self._failed(started, self._books.said(exc))
            await self._record_failure(outcome)
            if outcome.error != self._logged_error:
                log_event(
                    log,
                    logging.ERROR,
                    "tick_failed",
                    f"tick failed: {outcome.error}",
                    error=outcome.error,
                    exc_info=None if known_error(exc) else exc,  # a bug's traceback only
                )
                self._logged_error = outcome.error
        self.last = outcome
        if outcome.ok:
            self.last_success = outcome
        if outcome.report is not None:
            self._logged_error = None
        self._report(outcome)
        return outcome

    async def _run(self, conn: Conn, started: datetime) -> TickOutcome:
        wall = database_clock(self._wall)
        before = wall.offset if wall is not None else None
        await self._sync_clocks(conn)
        if wall is not None and before is not None:
            started += wall.offset - before  # the tick's start on the clock just measured
        # Every tick: a right revoked or a policy changed since the last one is this
        # tick's failure with the role check's line, before anything is read or written.
        access = await require_access(conn, Job.SCHEDULE)
        self._warn(access.warnings)
        instance_id = await self._books.register(conn)
        await self._trail(conn, self._events.reached(conn, instance_id, started))
        as_of = self._clock.now()
        paused = await global_pause_active(conn, as_of)
        report = await run_tick(
            conn,
            self._settings,
            as_of,
            wall=self._wall,
            should_stop=self._stopping,
            interrupt=self._interrupt,
        )
        await record_run(conn, report, instance_id)
        await self._trail(conn, self._events.ticked(conn, instance_id, report))
        error = first_failure(report)
        next_tick = self._next_tick_at()
        finished = self._wall.now()
        await record_tick(
            conn,
            instance_id,
            started=started,
            finished=finished,
            next_tick_at=next_tick,
            paused=paused,
            error=error,
            clock_offset=self.clock_offset_seconds,
        )
        await self._books.record_clock(conn)
        if not self._stopping():  # a stopping tick only records itself
            await self._books.prune(conn)
            if self._after_tick is not None:
                await self._books.guarded(conn, self._after_tick(conn, as_of), "after_tick_failed")
        return TickOutcome(
            started,
            self._wall.now(),
            report,
            error,
            paused=paused,
            next_tick_at=next_tick,
            clock_offset_seconds=self.clock_offset_seconds,
            warnings=access.warnings,
        )

    async def _trail(self, conn: Conn, work: Awaitable[None]) -> None:
        """An entry of the activity trail: its failure is logged, never the tick's."""
        await self._books.guarded(conn, work, "activity_unrecorded")

    async def _sync_clocks(self, conn: Conn) -> None:
        """Measure the database's clock again: the as-of clock's and the wall's."""
        offset = await sync_clock(conn, self._clock)
        if database_clock(self._wall) is not database_clock(self._clock):
            offset = await sync_clock(conn, self._wall)
        bound = self._settings.scheduler.max_clock_offset_seconds
        off = offset_warning(offset, bound)
        if offset is not None and (off is not None) != self._clock_off:
            self._clock_off = off is not None
            level = logging.WARNING if off else logging.INFO
            text = f"{off} (more than {bound:g} s)" if off else offset_text(offset)
            log_event(log, level, "clock_offset", text, offset_seconds=round(offset, 3))

    @property
    def clock_offset_seconds(self) -> float | None:
        """This host's measured offset from the database's clock (None: not measured)."""
        db = database_clock(self._clock) or database_clock(self._wall)
        return None if db is None else db.offset_seconds

    def _warn(self, warnings: tuple[str, ...]) -> None:
        """Log the role check's warnings when they change (not on every tick)."""
        if warnings == self._warned:
            return
        self._warned = warnings
        for line in warnings:
            log_event(log, logging.WARNING, "access_warning", line, warning=line)

    def _failed(self, started: datetime, error: str, *, db_down: bool = False) -> TickOutcome:
        return TickOutcome(
            started,
            self._wall.now(),
            None,
            error,
            db_down=db_down,
            next_tick_at=self._next_tick_at(),
        )

    async def _record_failure(self, outcome: TickOutcome) -> None:
        """Put a failed tick on the instance row, when the database is there for it."""
        instance_id = self._books.instance_id
        if instance_id is None:
            return
        try:
            async with self._db.use() as conn:
                await record_tick(
                    conn,
                    instance_id,
                    started=outcome.started_at,
                    finished=outcome.finished_at,
                    next_tick_at=outcome.next_tick_at,
                    paused=False,
                    error=outcome.error,
                )
                assert outcome.error is not None
                await self._trail(conn, self._events.raised(conn, instance_id, outcome.error))
        except Exception as exc:
            log.debug("failed tick not recorded: %s", self._books.said(exc))

    def _report(self, outcome: TickOutcome) -> None:
        if self._on_tick is None:
            return
        try:
            self._on_tick(outcome)
        except Exception:
            log.exception("tick listener failed")
