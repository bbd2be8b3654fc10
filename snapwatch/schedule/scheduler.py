"""The scheduler: one interval job per process that ticks, records and heartbeats.

The only module that imports APScheduler. It decides nothing about due-ness (the
database and :func:`snapwatch.schedule.tick.run_tick` do); it runs a tick every
``tick_seconds`` (``AsyncIOScheduler``, in-memory job store, ``coalesce=True``,
``max_instances=1``, ``misfire_grace_time=None``, a small jitter that spreads processes,
and a first tick at once), and around each tick:

- (re)connects through the :class:`~snapwatch.infra.dbsession.DbSession` (an outage is the
  session's to report, once);
- registers the instance on the first tick that reaches the database;
- runs the tick (paused sites are reported, not written; a global pause also shows on the
  instance row), records it in the run history and heartbeats with its figures;
- records how far a shared accelerated clock got, and prunes old run history hourly.

Stopping takes a few seconds at most, whatever the database does: the tick in hand stops
after the site it is writing; a statement still running after ``STOP_GRACE_SECONDS``
(waiting for a lock, say) is cancelled, its site's transaction rolls back and the tick is
recorded as stopped; a tick still running ``CANCEL_SECONDS`` later is cancelled as a
whole; marking the instance stopped gives up after ``GOODBYE_SECONDS``.

No failure escapes the job: a tick that raises is recorded (when the database is there
to record it), logged once for a run of identical failures, reported through
``on_tick``, and the next tick tries again. Every tick, good or bad, is reported through
``on_tick(TickOutcome)`` so that a daemon (logs, metrics) or an app can show it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID

import psycopg
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from psycopg import AsyncConnection

from snapwatch.infra.access import Job, require_access
from snapwatch.infra.clock import (
    LIVE_SECONDS,
    AcceleratedClock,
    Clock,
    SystemClock,
    database_clock,
    offset_text,
    offset_warning,
    record_reached,
    sync_clock,
)
from snapwatch.infra.config import Settings
from snapwatch.infra.dbsession import DbSession
from snapwatch.infra.errors import DatabaseUnreachable, error_line, known_error
from snapwatch.infra.logs import log_event
from snapwatch.schedule.instances import Mode, mark_stopped, record_tick, register
from snapwatch.schedule.pauses import active_pauses
from snapwatch.schedule.runlog import prune_runs, record_run
from snapwatch.schedule.tick import TickReport, run_tick

log = logging.getLogger(__name__)

Conn = AsyncConnection[dict[str, Any]]
AfterTick = Callable[[Conn, datetime], Awaitable[None]]

TICK_JOB = "tick"
CLOCK_JOB = "clock"
PRUNE_EVERY_SECONDS = 3600.0
CLOCK_BEAT_SECONDS = LIVE_SECONDS / 3
"""A shared clock is marked live at least this often, also between slow ticks."""
STOP_GRACE_SECONDS = 1.0
"""On stop, the site being written has this long to finish before its statement is
cancelled (a write takes milliseconds; a wait for a lock may take ``lock_timeout``)."""
CANCEL_SECONDS = 1.0
"""Once its statement is cancelled, a tick has this long to record itself before it is
cancelled as a whole (and then as long again to unwind)."""
GOODBYE_SECONDS = 1.5
"""Marking the instance stopped gives up after this (a lock on it must not hold a stop)."""
JITTER_SHARE = 0.1
"""Unless ``jitter_seconds`` is configured, the default jitter is capped at this share of
the tick interval (a 0.5 s tick must not wait up to the 2 s meant for minute ticks)."""


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


class Scheduler:
    """Ticks on an interval in the running event loop until :meth:`stop`."""

    def __init__(
        self,
        db: DbSession,
        settings: Settings,
        clock: Clock,
        *,
        mode: Mode,
        wall: Clock | None = None,
        on_tick: Callable[[TickOutcome], None] | None = None,
        tick_seconds: float | None = None,
        jitter_seconds: float | None = None,
        after_tick: AfterTick | None = None,
    ) -> None:
        """``clock`` gives the as-of instant of each tick (it may be accelerated);
        ``wall`` times ticks and stamps them. ``after_tick`` runs after a recorded tick on
        its connection (e.g. to read site health for metrics); its failures are logged
        and never fail the tick."""
        self._db = db
        self._settings = settings
        self.clock = clock
        self._mode: Mode = mode
        self._wall: Clock = wall or SystemClock()
        self._on_tick = on_tick
        self._after_tick = after_tick
        self.tick_seconds = float(tick_seconds or settings.scheduler.tick_seconds)
        if self.tick_seconds <= 0:
            raise ValueError("tick_seconds must be positive")
        sched = settings.scheduler
        if jitter_seconds is None:
            jitter_seconds = sched.jitter_seconds
            if "jitter_seconds" not in sched.model_fields_set:  # the default: keep it small
                jitter_seconds = min(jitter_seconds, self.tick_seconds * JITTER_SHARE)
        self.jitter_seconds = jitter_seconds
        self._aps: Any = None
        self._lock = asyncio.Lock()
        self._stopping = False
        self._stopped = False
        self._ticking: asyncio.Task[Any] | None = None
        """The task running the tick in hand (the interval job's, or ``tick_now``'s)."""
        self._interrupt = asyncio.Event()
        self._instance_id: UUID | None = None
        self._last: TickOutcome | None = None
        self._last_success: TickOutcome | None = None
        self._logged_error: str | None = None
        self._pruned_at: float | None = None
        self._clock_off = False
        self._warned: tuple[str, ...] = ()

    # -- what an app or a daemon shows ------------------------------------------------

    @property
    def instance_id(self) -> UUID | None:
        return self._instance_id

    @property
    def last_tick(self) -> TickOutcome | None:
        return self._last

    @property
    def last_success(self) -> TickOutcome | None:
        return self._last_success

    @property
    def next_tick_at(self) -> datetime | None:
        """When the interval job fires next (wall clock), None when not running."""
        if self._aps is None or self._stopping:
            return None
        job = self._aps.get_job(TICK_JOB)
        at = job.next_run_time if job is not None else None
        return at.astimezone(UTC) if at is not None else None

    @property
    def shared_clock(self) -> AcceleratedClock | None:
        clock = self.clock
        return clock if isinstance(clock, AcceleratedClock) and clock.name is not None else None

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Start ticking in the running loop; the first tick runs at once."""
        if self._aps is not None or self._stopped:
            raise RuntimeError("a scheduler starts once")
        aps = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        aps.add_job(
            self._job,
            IntervalTrigger(seconds=self.tick_seconds, jitter=self.jitter_seconds, timezone=UTC),
            id=TICK_JOB,
            name="snapwatch tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=SystemClock().now(),
        )
        if self.shared_clock is not None and self.tick_seconds > CLOCK_BEAT_SECONDS:
            aps.add_job(
                self._keep_clock,
                IntervalTrigger(seconds=CLOCK_BEAT_SECONDS, timezone=UTC),
                id=CLOCK_JOB,
                name="snapwatch shared clock",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
        aps.start()
        self._aps = aps

    async def stop(self) -> None:
        """Stop ticking within a few seconds: the tick in hand finishes the site it is
        writing, or has its statement cancelled (see the module's note); the sites not
        reached are left for the next process to tick; the instance is marked stopped.
        Idempotent."""
        if self._stopped:
            return
        self._stopping = True
        if self._aps is not None:
            self._aps.pause()
        await self._end_tick()
        await self._goodbye()
        if self._aps is not None:
            self._aps.shutdown(wait=False)
        self._stopped = True

    async def _end_tick(self) -> None:
        """Let the tick in hand end: it stops after the site it is writing; still running
        after the grace, its statement is cancelled; still running after that, the tick."""
        task = self._ticking
        if task is None or task is asyncio.current_task():
            return
        if await _ended(task, STOP_GRACE_SECONDS):
            return
        log_event(log, logging.INFO, "tick_interrupted", "cancelling the statement in hand")
        self._interrupt.set()
        if await _ended(task, CANCEL_SECONDS):
            return
        log_event(log, logging.WARNING, "tick_cancelled", "cancelling the tick in hand")
        task.cancel()
        await _ended(task, CANCEL_SECONDS)

    async def tick_now(self) -> TickOutcome:
        """Tick at once (an app's "run now", tests); waits for a tick in progress first,
        never runs beside one."""
        if self._stopping:
            raise RuntimeError("the scheduler is stopping")
        async with self._lock:
            return await self._tracked()

    # -- the jobs ---------------------------------------------------------------------

    async def _job(self) -> None:
        async with self._lock:
            if self._stopping:
                return
            try:
                await self._tracked()
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                # cancelled by stop(): the job ends here (APScheduler would log it a failure)

    async def _tracked(self) -> TickOutcome:
        """A tick, known to :meth:`stop` as the one in hand."""
        self._ticking = asyncio.current_task()
        try:
            return await self._tick()
        finally:
            self._ticking = None

    async def _keep_clock(self) -> None:
        """Between slow ticks, keep the shared clock marked live (see ``open_shared_clock``)."""
        clock = self.shared_clock
        if clock is None or self._stopping or self._lock.locked():
            return
        async with self._lock:
            try:
                async with self._db.use() as conn:
                    await record_reached(conn, clock)
            except DatabaseUnreachable:
                pass
            except Exception as exc:
                log_event(log, logging.WARNING, "clock_unrecorded", error=self._said(exc))

    def _should_stop(self) -> bool:
        return self._stopping

    def _said(self, exc: BaseException) -> str:
        """``exc`` as one line (a timeout with the limit it ran out of)."""
        return error_line(exc, limits=self._settings.database)

    async def _tick(self) -> TickOutcome:
        started = self._wall.now()
        try:
            async with self._db.use(check=True) as conn:
                outcome = await self._run(conn, started)
        except DatabaseUnreachable as exc:
            outcome = self._failed(started, str(exc), db_down=True)
        except Exception as exc:  # the scheduler outlives any tick
            outcome = self._failed(started, self._said(exc))
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
        self._last = outcome
        if outcome.ok:
            self._last_success = outcome
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
        if self._instance_id is None:
            self._instance_id = await register(
                conn, self._mode, clock=self.clock.describe(), tick_seconds=self.tick_seconds
            )
        as_of = self.clock.now()
        paused = await global_pause_active(conn, as_of)
        report = await run_tick(
            conn,
            self._settings,
            as_of,
            wall=self._wall,
            should_stop=self._should_stop,
            interrupt=self._interrupt,
        )
        await record_run(conn, report, self._instance_id)
        error = first_failure(report)
        next_tick = self.next_tick_at
        finished = self._wall.now()
        await record_tick(
            conn,
            self._instance_id,
            started=started,
            finished=finished,
            next_tick_at=next_tick,
            paused=paused,
            error=error,
            clock_offset=self.clock_offset_seconds,
        )
        if self.shared_clock is not None:
            await record_reached(conn, self.shared_clock)
        if not self._stopping:  # a stopping tick only records itself
            await self._prune(conn)
            if self._after_tick is not None:
                await self._guarded(conn, self._after_tick(conn, as_of), "after_tick_failed")
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

    async def _sync_clocks(self, conn: Conn) -> None:
        """Measure the database's clock again: the as-of clock's and the wall's."""
        offset = await sync_clock(conn, self.clock)
        if database_clock(self._wall) is not database_clock(self.clock):
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
        db = database_clock(self.clock) or database_clock(self._wall)
        return None if db is None else db.offset_seconds

    def _warn(self, warnings: tuple[str, ...]) -> None:
        """Log the role check's warnings when they change (not on every tick)."""
        if warnings == self._warned:
            return
        self._warned = warnings
        for line in warnings:
            log_event(log, logging.WARNING, "access_warning", line, warning=line)

    async def _prune(self, conn: Conn) -> None:
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        days = self._settings.scheduler.run_retention_days
        before = self._wall.now() - timedelta(days=days)
        deleted = await self._guarded(conn, prune_runs(conn, before), "prune_failed")
        if deleted:
            log_event(
                log,
                logging.INFO,
                "runs_pruned",
                f"deleted {deleted} run(s) older than {days:g} days",
                deleted=deleted,
                before=before,
            )

    async def _guarded(self, conn: Conn, work: Awaitable[Any], event: str) -> Any:
        """Side work of a tick: its failure is logged, never the tick's (unless the
        connection itself broke, which the session must hear about)."""
        try:
            return await work
        except psycopg.Error as exc:
            if conn.closed or conn.broken:
                raise
            log_event(log, logging.WARNING, event, error=self._said(exc))
        except Exception as exc:
            log_event(log, logging.WARNING, event, error=self._said(exc), exc_info=exc)
        return None

    def _failed(self, started: datetime, error: str, *, db_down: bool = False) -> TickOutcome:
        return TickOutcome(
            started,
            self._wall.now(),
            None,
            error,
            db_down=db_down,
            next_tick_at=self.next_tick_at,
        )

    async def _record_failure(self, outcome: TickOutcome) -> None:
        """Put a failed tick on the instance row, when the database is there for it."""
        if self._instance_id is None:
            return
        try:
            async with self._db.use() as conn:
                await record_tick(
                    conn,
                    self._instance_id,
                    started=outcome.started_at,
                    finished=outcome.finished_at,
                    next_tick_at=outcome.next_tick_at,
                    paused=False,
                    error=outcome.error,
                )
        except Exception as exc:
            log.debug("failed tick not recorded: %s", self._said(exc))

    def _report(self, outcome: TickOutcome) -> None:
        if self._on_tick is None:
            return
        try:
            self._on_tick(outcome)
        except Exception:
            log.exception("tick listener failed")

    async def _goodbye(self) -> None:
        """Record the clock one last time and mark the instance stopped (given up after
        ``GOODBYE_SECONDS``)."""
        if self._instance_id is None:
            return
        try:
            async with asyncio.timeout(GOODBYE_SECONDS), self._db.use() as conn:
                if self.shared_clock is not None:
                    await record_reached(conn, self.shared_clock)
                await mark_stopped(conn, self._instance_id)
        except Exception as exc:
            log_event(
                log,
                logging.WARNING,
                "stop_unrecorded",
                f"instance not marked stopped: {self._said(exc)}",
                error=self._said(exc),
            )


async def _ended(task: asyncio.Task[Any], seconds: float) -> bool:
    """Whether ``task`` ends within ``seconds``."""
    done, _ = await asyncio.wait({task}, timeout=seconds)
    return bool(done)


def crontab_trigger(expr: str, tz: tzinfo) -> Any:
    """APScheduler's ``CronTrigger`` for a five-field crontab line in ``tz`` (its
    ``get_next_fire_time(previous, now)`` gives fire times). Cron expressions anywhere in
    snapwatch (pg_cron jobs, the demo's device schedules) are read through this one
    function, so APScheduler stays behind this module. Raises ValueError (or TypeError /
    KeyError from APScheduler) when ``expr`` is not a crontab line."""
    return CronTrigger.from_crontab(expr, timezone=tz)
