"""The scheduler: one interval job per process that ticks, records and heartbeats.

The only module that imports APScheduler. It decides nothing about due-ness (the
database and :func:`snapwatch.schedule.tick.run_tick` do); it runs a tick every
``tick_seconds`` (``AsyncIOScheduler``, in-memory job store, ``coalesce=True``,
``max_instances=1``, ``misfire_grace_time=None``, a small jitter that spreads processes,
and a first tick at once). Around each tick, its
:class:`~snapwatch.schedule.tick_runner.TickRunner`:

- (re)connects through the :class:`~snapwatch.infra.dbsession.DbSession` (an outage is the
  session's to report, once);
- registers the instance on the first tick that reaches the database;
- runs the tick (paused sites are reported, not written; a global pause also shows on the
  instance row), records it in the run history and heartbeats with its figures;
- records how far a shared accelerated clock got, and prunes old run history hourly.

The instance row, the shared clock and the run history's pruning are kept by an
:class:`~snapwatch.schedule.instance_bookkeeping.InstanceBookkeeping`, for the ticks and
for stopping.

Stopping takes a few seconds at most, whatever the database does: the tick in hand stops
after the site it is writing; a statement still running after ``STOP_GRACE_SECONDS``
(waiting for a lock, say) is cancelled, its site's transaction rolls back and the tick is
recorded as stopped; a tick still running ``CANCEL_SECONDS`` later is cancelled as a
whole; marking the instance stopped gives up after ``GOODBYE_SECONDS`` (in
:mod:`snapwatch.schedule.instance_bookkeeping`).

No failure escapes the job: a tick that raises is recorded (when the database is there
to record it), logged once for a run of identical failures, reported through
``on_tick``, and the next tick tries again. Every tick, good or bad, is reported through
``on_tick(TickOutcome)`` so that a daemon (logs, metrics) or an app can show it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any
from uuid import UUID

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from snapwatch.infra.clock import LIVE_SECONDS, Clock, SystemClock
from snapwatch.infra.config import Settings
from snapwatch.infra.dbsession import DbSession
from snapwatch.infra.logs import log_event
from snapwatch.schedule.instance_bookkeeping import InstanceBookkeeping
from snapwatch.schedule.instances import Mode
from snapwatch.schedule.tick_runner import AfterTick, TickOutcome, TickRunner

log = logging.getLogger(__name__)

TICK_JOB = "tick"
CLOCK_JOB = "clock"
CLOCK_BEAT_SECONDS = LIVE_SECONDS / 3
"""A shared clock is marked live at least this often, also between slow ticks."""
STOP_GRACE_SECONDS = 1.0
"""On stop, the site being written has this long to finish before its statement is
cancelled (a write takes milliseconds; a wait for a lock may take ``lock_timeout``)."""
CANCEL_SECONDS = 1.0
"""Once its statement is cancelled, a tick has this long to record itself before it is
cancelled as a whole (and then as long again to unwind)."""
JITTER_SHARE = 0.1
"""Unless ``jitter_seconds`` is configured, the default jitter is capped at this share of
the tick interval (a 0.5 s tick must not wait up to the 2 s meant for minute ticks)."""


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
        wall = wall or SystemClock()
        self._books = InstanceBookkeeping(
            db, settings, clock, wall, mode=mode, tick_seconds=self.tick_seconds
        )
        self._runner = TickRunner(
            db,
            settings,
            clock,
            wall,
            self._books,
            stopping=self._should_stop,
            interrupt=self._interrupt,
            next_tick_at=lambda: self.next_tick_at,
            on_tick=on_tick,
            after_tick=after_tick,
        )

    # -- what an app or a daemon shows ------------------------------------------------

    @property
    def instance_id(self) -> UUID | None:
        return self._books.instance_id

    @property
    def last_tick(self) -> TickOutcome | None:
        return self._runner.last

    @property
    def last_success(self) -> TickOutcome | None:
        return self._runner.last_success

    @property
    def next_tick_at(self) -> datetime | None:
        """When the interval job fires next (wall clock), None when not running."""
        if self._aps is None or self._stopping:
            return None
        job = self._aps.get_job(TICK_JOB)
        at = job.next_run_time if job is not None else None
        return at.astimezone(UTC) if at is not None else None

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
        if self._books.shared_clock is not None and self.tick_seconds > CLOCK_BEAT_SECONDS:
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
        await self._books.goodbye()
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
            return await self._runner.tick()
        finally:
            self._ticking = None

    async def _keep_clock(self) -> None:
        """Between slow ticks, keep the shared clock marked live (see ``open_shared_clock``)."""
        if self._books.shared_clock is None or self._stopping or self._lock.locked():
            return
        async with self._lock:
            await self._books.keep_clock()

    def _should_stop(self) -> bool:
        return self._stopping


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
