"""Writing a tick's due sites, a batch at a time: read set-based, built and written per site."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import LockNotAvailable

from snapwatch.infra.config import Settings
from snapwatch.infra.db import lock_timeout_ms
from snapwatch.infra.errors import error_line
from snapwatch.infra.locks import LockWait, lock_wait
from snapwatch.schedule.interruptible import Interrupted, interruptible
from snapwatch.schedule.plan import PlannedSlot
from snapwatch.schedule.sitestate import SessionView, SiteView
from snapwatch.schedule.tick_report import SiteOutcome, Written, busy_reason, mark_busy
from snapwatch.snapshot.inputs import Round
from snapwatch.snapshot.prepare import prepare_snapshot
from snapwatch.snapshot.reader import RoundData, RoundKey, read_rounds
from snapwatch.snapshot.writer import PreparedSnapshot, SiteWrite, write_site

STOPPING = "stopping: left for the next tick"


@dataclass
class SiteJob:
    """The slots one site will get in this tick."""

    view: SiteView
    slots: list[tuple[SessionView, PlannedSlot]]
    outcome: SiteOutcome


@dataclass
class TickRun:
    """What the writing of one tick shares."""

    conn: AsyncConnection[dict[str, Any]]
    settings: Settings
    now: datetime
    should_stop: Callable[[], bool]
    interrupt: asyncio.Event
    blocked: LockWait | None = None
    """A table lock a statement ran out of lock_timeout on: the rest would wait alike."""


async def generate_and_write(run: TickRun, jobs: list[SiteJob]) -> bool:
    """Write every job's site, a batch at a time; True when stopped before the last one.
    Once a lock on a whole table held a read or a write past lock_timeout, the sites
    not written yet are left busy."""
    size = run.settings.scheduler.batch_sites
    for first in range(0, len(jobs), size):
        try:
            stopped = run.should_stop() or await _batch(run, jobs[first : first + size])
        except Interrupted:
            stopped = True
        if stopped:
            _leave(jobs[first:], STOPPING)
            return True
        if run.blocked is not None:
            _leave(jobs[first:], busy_reason(run.blocked), run.blocked)
            return False
    return False


def _leave(jobs: list[SiteJob], reason: str, wait: LockWait | None = None) -> None:
    """The sites not reached are skipped with ``reason``."""
    for job in jobs:
        if job.outcome.outcome == "skipped" and job.outcome.reason is None:
            job.outcome.reason = reason
            job.outcome.lock_wait = None if wait is None else str(wait)


async def _batch(run: TickRun, jobs: list[SiteJob]) -> bool:
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
                await interruptible(writing, run.interrupt)
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
        await interruptible(in_flight, run.interrupt)
    return stopped


async def _read(run: TickRun, jobs: list[SiteJob]) -> dict[RoundKey, RoundData] | None:
    """The batch's rounds, each with its devices and readings as of its end; None when a
    lock held them past lock_timeout (then ``run.blocked`` says which)."""
    keys = [
        RoundKey(j.view.facts.site_id, slot.slot.start, slot.slot.end)
        for j in jobs
        for _, slot in j.slots
    ]
    try:
        return await interruptible(read_rounds(run.conn, keys), run.interrupt)
    except LockNotAvailable as exc:
        run.blocked = await lock_wait(run.conn, exc)
        return None


def _documents(
    job: SiteJob,
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


async def _write(run: TickRun, job: SiteJob, prepared: list[PreparedSnapshot]) -> None:
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
        mark_busy(outcome, result.lock_wait)
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
