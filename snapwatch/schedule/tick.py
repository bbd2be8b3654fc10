"""One tick: decide what is due for every site, build the documents, write them per site.

Due sites are taken in batches of ``scheduler.batch_sites``, so a tick's memory does not
grow with the fleet. Each batch is read set-based (a fixed handful of queries); each site
is then written by one statement, its own transaction, so a failing site rolls back
alone and the others continue. While PostgreSQL writes one site, the next site's
document is built: the write is sent, and awaited only once that document is ready.

Every statement waits at most ``lock_timeout`` for a lock another process holds. A site
whose write runs out of it is skipped ``busy (lock wait on <table>)`` and the others go
on; once a write ran out of it on a whole table (``LOCK TABLE``, a migration), the sites
after it are left busy too rather than each waiting again. When the reads themselves
wait past it, every site is left busy. The next tick tries them all again.

A tick asked to stop (``should_stop``) finishes the site in hand and leaves the rest; once
``interrupt`` is set, the statement in hand is cancelled (its task is cancelled: psycopg
cancels the statement on the server, and a write's transaction rolls back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.errors import LockNotAvailable
from psycopg.rows import tuple_row

from snapwatch.infra.clock import Clock, SystemClock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import lock_timeout_ms
from snapwatch.infra.errors import error_line
from snapwatch.infra.locks import LockWait, lock_wait
from snapwatch.schedule.plan import PlannedSlot
from snapwatch.schedule.sitestate import SessionView, SiteView, load_sites
from snapwatch.snapshot.inputs import Round
from snapwatch.snapshot.prepare import prepare_snapshot
from snapwatch.snapshot.reader import RoundData, RoundKey, read_rounds
from snapwatch.snapshot.writer import PreparedSnapshot, SiteWrite, write_site

Outcome = Literal["written", "skipped", "failed"]
T = TypeVar("T")

STOPPING = "stopping: left for the next tick"

# Every site, when the reads that judge due-ness waited for a lock past lock_timeout.
SITE_NAMES_SQL = """
SELECT site_id, name FROM sites
 WHERE %(site)s::uuid IS NULL OR site_id = %(site)s::uuid
 ORDER BY name, site_id
"""


@dataclass(frozen=True)
class Written:
    wake_number: int
    trigger: str
    snapshot_id: UUID
    start: datetime
    end: datetime
    late_by_seconds: float


@dataclass
class SiteOutcome:
    site_id: UUID
    site_name: str
    outcome: Outcome
    reason: str | None = None
    error: str | None = None
    written: list[Written] = field(default_factory=list)
    conflicts: int = 0
    skipped_slots: int = 0
    next_due_at: datetime | None = None
    lock_wait: str | None = None
    """Skipped busy: a lock another process held past lock_timeout ("lock wait on x")."""


@dataclass
class TickReport:
    as_of: datetime
    """The instant due-ness was judged at (the injected clock's now)."""
    outcomes: list[SiteOutcome]
    started_at: datetime
    """Wall-clock start and finish, apart from ``as_of`` (which may be simulated)."""
    finished_at: datetime
    duration_seconds: float = 0.0
    stopped: bool = False
    """Stopped early on request: the sites not reached are reported as skipped."""

    @property
    def failed(self) -> list[SiteOutcome]:
        return [o for o in self.outcomes if o.outcome == "failed"]

    @property
    def busy(self) -> list[SiteOutcome]:
        """The sites left for a lock another process held past lock_timeout."""
        return [o for o in self.outcomes if o.lock_wait is not None]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


@dataclass
class _Job:
    """The slots one site will get in this tick."""

    view: SiteView
    slots: list[tuple[SessionView, PlannedSlot]]
    outcome: SiteOutcome


@dataclass
class _Run:
    """What the writing of one tick shares."""

    conn: AsyncConnection[dict[str, Any]]
    settings: Settings
    now: datetime
    should_stop: Callable[[], bool]
    interrupt: asyncio.Event
    blocked: LockWait | None = None
    """A table lock a statement ran out of lock_timeout on: the rest would wait alike."""


class _Interrupted(Exception):
    """The statement in hand was cancelled: the tick stops where it is."""


async def run_tick(
    conn: AsyncConnection[dict[str, Any]],
    settings: Settings,
    now: datetime,
    *,
    site: UUID | None = None,
    force: bool = False,
    wall: Clock | None = None,
    should_stop: Callable[[], bool] | None = None,
    interrupt: asyncio.Event | None = None,
) -> TickReport:
    """Write what is due as of ``now`` (or, with ``force``, the current slot) for all sites.

    ``now`` is the instant due-ness is judged at and the documents' ``generated_at``; the
    caller takes it from the clock. ``wall`` times the run (default the system clock).
    ``should_stop`` is asked between sites: once it says so, the site being written is
    finished and the rest are reported as skipped ("stopping"). Once ``interrupt`` is set,
    the statement in hand is cancelled and the tick reports what it got to."""
    wall = wall or SystemClock()
    started = wall.now()
    run = _Run(conn, settings, now, should_stop or _never, interrupt or asyncio.Event())
    outcomes, stopped = await _plan_and_write(run, site, force)
    finished = wall.now()
    elapsed = (finished - started).total_seconds()
    return TickReport(now, outcomes, started, finished, elapsed, stopped)


async def _plan_and_write(
    run: _Run, site: UUID | None, force: bool
) -> tuple[list[SiteOutcome], bool]:
    """Every site's outcome, and whether the tick stopped before the end."""
    try:
        views = await _interruptible(load_sites(run.conn, run.now, site), run.interrupt)
    except _Interrupted:
        return [], True
    except LockNotAvailable as exc:
        return await _unread(run.conn, site, await lock_wait(run.conn, exc)), False
    jobs: list[_Job] = []
    outcomes: list[SiteOutcome] = []
    for view in views:
        outcome = SiteOutcome(view.facts.site_id, view.facts.site_name, "skipped")
        outcomes.append(outcome)
        slots = (
            _force_slots(view, run.now, outcome)
            if force
            else _due_slots(view, run.now, run.settings, outcome)
        )
        if not slots:
            outcome.reason = outcome.reason or "not_due"
            continue
        jobs.append(_Job(view, slots, outcome))
    return outcomes, await _generate_and_write(run, jobs)


async def _unread(
    conn: AsyncConnection[dict[str, Any]], site: UUID | None, wait: LockWait
) -> list[SiteOutcome]:
    """Every site (or the one asked for) left busy: due-ness could not be read."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SITE_NAMES_SQL, {"site": site})
        rows = await cur.fetchall()
    outcomes = [SiteOutcome(site_id, name, "skipped") for site_id, name in rows]
    for outcome in outcomes:
        _busy(outcome, wait)
    return outcomes


async def _interruptible(work: Awaitable[T], interrupt: asyncio.Event) -> T:
    """``work``, unless ``interrupt`` is set first: then its task is cancelled (psycopg
    cancels the statement on the server) and :class:`_Interrupted` raised. Cancelled
    itself, it cancels ``work`` first."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(interrupt.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            if not task.cancelling():  # a second cancel would cut psycopg's own short
                task.cancel()
            await asyncio.wait({task})
    if task.cancelled():
        raise _Interrupted
    return task.result()


def _never() -> bool:
    return False


def _due_slots(
    view: SiteView, now: datetime, settings: Settings, outcome: SiteOutcome
) -> list[tuple[SessionView, PlannedSlot]]:
    plan = view.plan(now, settings.scheduler)
    outcome.reason = view.reason.value if view.reason is not None else None
    if plan is None:
        return []
    outcome.skipped_slots = plan.skipped
    outcome.next_due_at = plan.next_due_at
    return [(view.sessions[index], slot) for index, slot in plan.slots]


def _force_slots(
    view: SiteView, now: datetime, outcome: SiteOutcome
) -> list[tuple[SessionView, PlannedSlot]]:
    if view.reason is not None:
        outcome.reason = view.reason.value
        return []
    session, slot = view.force(now)
    if isinstance(slot, str):
        outcome.reason = slot
        return []
    return [(session, slot)]


async def _generate_and_write(run: _Run, jobs: list[_Job]) -> bool:
    """Write every job's site, a batch at a time; True when stopped before the last one.
    Once a lock on a whole table held a read or a write past lock_timeout, the sites
    not written yet are left busy."""
    size = run.settings.scheduler.batch_sites
    for first in range(0, len(jobs), size):
        try:
            stopped = run.should_stop() or await _batch(run, jobs[first : first + size])
        except _Interrupted:
            stopped = True
        if stopped:
            _leave(jobs[first:], STOPPING)
            return True
        if run.blocked is not None:
            _leave(jobs[first:], _busy_reason(run.blocked), run.blocked)
            return False
    return False


def _leave(jobs: list[_Job], reason: str, wait: LockWait | None = None) -> None:
    """The sites not reached are skipped with ``reason``."""
    for job in jobs:
        if job.outcome.outcome == "skipped" and job.outcome.reason is None:
            job.outcome.reason = reason
            job.outcome.lock_wait = None if wait is None else str(wait)


async def _batch(run: _Run, jobs: list[_Job]) -> bool:
    """Read, build and write one batch of sites; True when stopped before the last one.

    Each site's write is sent before the next site's document is built and awaited after
    it, so the database writes while Python builds (one write in flight at a time)."""
    data = await _read(run, jobs)
    if data is None:
        return False
    in_flight: asyncio.Task[None] | None = None
    stopped = False
    try:
        for job in jobs:
            if stopped := run.should_stop():
                break
            prepared = _documents(job, data, run.settings, run.now)
            if in_flight is not None:
                writing, in_flight = in_flight, None
                await _interruptible(writing, run.interrupt)
                # asked while the last site was written: this one waits
                if stopped := run.should_stop():
                    break
            if run.blocked is not None:
                break
            if prepared:
                in_flight = asyncio.create_task(_write(run, job, prepared))
                await asyncio.sleep(0)  # let it send the statement, then build the next
    except BaseException:
        if in_flight is not None:
            in_flight.cancel()  # its statement is cancelled, its transaction rolls back
            await asyncio.wait({in_flight})
        raise
    if in_flight is not None:
        await _interruptible(in_flight, run.interrupt)
    return stopped


async def _read(run: _Run, jobs: list[_Job]) -> dict[RoundKey, RoundData] | None:
    """The batch's rounds, each with its devices and readings as of its end; None when a
    lock held them past lock_timeout (then ``run.blocked`` says which)."""
    keys = [
        RoundKey(j.view.facts.site_id, slot.slot.start, slot.slot.end)
        for j in jobs
        for _, slot in j.slots
    ]
    try:
        return await _interruptible(read_rounds(run.conn, keys), run.interrupt)
    except LockNotAvailable as exc:
        run.blocked = await lock_wait(run.conn, exc)
        return None


def _documents(
    job: _Job,
    data: dict[RoundKey, RoundData],
    settings: Settings,
    now: datetime,
) -> list[PreparedSnapshot]:
    """The site's documents; none (and the site failed) when its rows cannot be built."""
    try:
        return [
            _prepare(
                job.view,
                session=session,
                slot=slot,
                data=data,
                settings=settings,
                now=now,
                skipped_slots=job.outcome.skipped_slots,
            )
            for session, slot in job.slots
        ]
    except Exception as exc:  # bad rows of one site must not stop the others
        _fail(job.outcome, exc, "document", settings)
        return []


async def _write(run: _Run, job: _Job, prepared: list[PreparedSnapshot]) -> None:
    try:
        result = await write_site(
            run.conn,
            job.view.facts.site_id,
            prepared,
            run.now,
            lock_timeout_ms=lock_timeout_ms(run.settings),
            durable=run.settings.scheduler.durable_commit,
        )
    except Exception as exc:
        _fail(job.outcome, exc, "write", run.settings)
        return
    if result.lock_wait is not None and result.lock_wait.whole_table:
        run.blocked = result.lock_wait
    _record(job.outcome, result)


def _record(outcome: SiteOutcome, result: SiteWrite) -> None:
    if result.busy:
        outcome.reason = "busy: another process is writing this site"
        return
    if result.lock_wait is not None:
        _busy(outcome, result.lock_wait)
        return
    outcome.conflicts = len(result.conflicts)
    outcome.written = [
        Written(s.wake_number, s.trigger, sid, s.start, s.end, s.late_by_seconds)
        for s, sid in result.written
    ]
    if outcome.written:
        outcome.outcome = "written"
    else:
        outcome.reason = result.conflicts[0][1] if result.conflicts else "not_due"


def _busy_reason(wait: LockWait) -> str:
    return f"busy ({wait})"


def _busy(outcome: SiteOutcome, wait: LockWait) -> None:
    outcome.reason = _busy_reason(wait)
    outcome.lock_wait = str(wait)


def _fail(outcome: SiteOutcome, exc: Exception, stage: str, settings: Settings) -> None:
    """The site failed, with the stage and the exception's line (a statement the server
    cancelled or refused rights in the words a user acts on)."""
    outcome.outcome = "failed"
    outcome.error = f"{stage}: {error_line(exc, limits=settings.database)}"


def _prepare(
    view: SiteView,
    *,
    session: SessionView,
    slot: PlannedSlot,
    data: dict[RoundKey, RoundData],
    settings: Settings,
    now: datetime,
    skipped_slots: int,
) -> PreparedSnapshot:
    assert view.cadence is not None
    round_ = Round(
        session_id=session.facts.session_id,
        wake_number=slot.wake_number,
        start=slot.slot.start,
        end=slot.slot.end,
        trigger=slot.trigger,
        provisional=slot.provisional,
        late_by_seconds=slot.late_by_seconds,
        cadence_hours=view.cadence,
        skipped_slots=skipped_slots,
        cadence_unused=view.cadence_choice.unused,
        overlapping_sessions=tuple(s.facts.session_id for s in view.overlapping(session)),
    )
    read = data[RoundKey(view.facts.site_id, slot.slot.start, slot.slot.end)]
    return prepare_snapshot(
        site=view.facts,
        session=session.facts,
        round_=round_,
        devices=read.devices,
        data=read,
        settings=settings,
        now=now,
    )
