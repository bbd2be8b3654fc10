"""One tick: decide what is due for every site, build the documents, write them per site.

Due sites are taken in batches of ``scheduler.batch_sites``, so a tick's memory does not
grow with the fleet. Each batch is read set-based (a fixed handful of queries); each site
is then written by one statement, its own transaction, so a failing site rolls back
alone and the others continue. While PostgreSQL writes one site, the next site's
document is built: the write is sent, and awaited only once that document is ready.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch import __version__
from snapwatch.cadence import PlannedSlot
from snapwatch.clock import Clock, SystemClock
from snapwatch.config import Settings
from snapwatch.redact import redact
from snapwatch.sitestate import SessionView, SiteView, load_sites
from snapwatch.snapshot.document import document_aggregates, document_data
from snapwatch.snapshot.inputs import DeviceFacts, Round, RoundInputs
from snapwatch.snapshot.jsontext import dumps
from snapwatch.snapshot.reader import RoundData, RoundKey, read_devices, read_rounds
from snapwatch.snapshot.writer import PreparedSnapshot, SiteWrite, write_site

Outcome = Literal["written", "skipped", "failed"]

STOPPING = "stopping: left for the next tick"


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

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


@dataclass
class _Job:
    """The slots one site will get in this tick."""

    view: SiteView
    slots: list[tuple[SessionView, PlannedSlot]]
    outcome: SiteOutcome


async def run_tick(
    conn: AsyncConnection[dict[str, Any]],
    settings: Settings,
    now: datetime,
    *,
    site: UUID | None = None,
    force: bool = False,
    wall: Clock | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TickReport:
    """Write what is due as of ``now`` (or, with ``force``, the current slot) for all sites.

    ``now`` is the instant due-ness is judged at and the documents' ``generated_at``; the
    caller takes it from the clock. ``wall`` times the run (default the system clock).
    ``should_stop`` is asked between sites: once it says so, the site being written is
    finished and the rest are reported as skipped ("stopping")."""
    wall = wall or SystemClock()
    started = wall.now()
    views = await load_sites(conn, now, site)
    jobs: list[_Job] = []
    outcomes: list[SiteOutcome] = []
    for view in views:
        outcome = SiteOutcome(view.facts.site_id, view.facts.site_name, "skipped")
        outcomes.append(outcome)
        slots = (
            _force_slots(view, now, outcome) if force else _due_slots(view, now, settings, outcome)
        )
        if not slots:
            outcome.reason = outcome.reason or "not_due"
            continue
        jobs.append(_Job(view, slots, outcome))
    stopped = await _generate_and_write(conn, settings, now, jobs, should_stop or _never)
    finished = wall.now()
    elapsed = (finished - started).total_seconds()
    return TickReport(now, outcomes, started, finished, elapsed, stopped)


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


async def _generate_and_write(
    conn: AsyncConnection[dict[str, Any]],
    settings: Settings,
    now: datetime,
    jobs: list[_Job],
    should_stop: Callable[[], bool],
) -> bool:
    """Write every job's site, a batch at a time; True when stopped before the last one."""
    size = settings.scheduler.batch_sites
    for first in range(0, len(jobs), size):
        if should_stop() or await _batch(
            conn, settings, now, jobs[first : first + size], should_stop
        ):
            for rest in jobs[first:]:
                if rest.outcome.outcome == "skipped" and rest.outcome.reason is None:
                    rest.outcome.reason = STOPPING
            return True
    return False


async def _batch(
    conn: AsyncConnection[dict[str, Any]],
    settings: Settings,
    now: datetime,
    jobs: list[_Job],
    should_stop: Callable[[], bool],
) -> bool:
    """Read, build and write one batch of sites; True when stopped before the last one.

    Each site's write is sent before the next site's document is built and awaited after
    it, so the database writes while Python builds (one write in flight at a time)."""
    devices = await read_devices(conn, [j.view.facts.site_id for j in jobs])
    keys = [
        RoundKey(j.view.facts.site_id, slot.slot.start, slot.slot.end)
        for j in jobs
        for _, slot in j.slots
    ]
    data = await read_rounds(conn, keys, devices)
    in_flight: asyncio.Task[None] | None = None
    try:
        for job in jobs:
            if should_stop():
                return True
            prepared = _documents(job, devices, data, settings, now)
            if in_flight is not None:
                await in_flight
                in_flight = None
                if should_stop():  # asked while the last site was written: this one waits
                    return True
            if prepared:
                durable = settings.scheduler.durable_commit
                in_flight = asyncio.create_task(_write(conn, job, prepared, now, durable))
                await asyncio.sleep(0)  # let it send the statement, then build the next
    finally:
        if in_flight is not None:
            await in_flight
    return False


def _documents(
    job: _Job,
    devices: dict[UUID, tuple[DeviceFacts, ...]],
    data: dict[RoundKey, RoundData],
    settings: Settings,
    now: datetime,
) -> list[PreparedSnapshot]:
    """The site's documents; none (and the site failed) when its rows cannot be built."""
    site_devices = devices.get(job.view.facts.site_id, ())
    try:
        return [
            _prepare(
                job.view,
                session=session,
                slot=slot,
                devices=site_devices,
                data=data,
                settings=settings,
                now=now,
                skipped_slots=job.outcome.skipped_slots,
            )
            for session, slot in job.slots
        ]
    except Exception as exc:  # bad rows of one site must not stop the others
        _fail(job.outcome, exc, "document")
        return []


async def _write(
    conn: AsyncConnection[dict[str, Any]],
    job: _Job,
    prepared: list[PreparedSnapshot],
    now: datetime,
    durable: bool,
) -> None:
    try:
        result = await write_site(conn, job.view.facts.site_id, prepared, now, durable=durable)
    except Exception as exc:
        _fail(job.outcome, exc, "write")
        return
    _record(job.outcome, result)


def _record(outcome: SiteOutcome, result: SiteWrite) -> None:
    if result.busy:
        outcome.reason = "busy: another process is writing this site"
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


def _fail(outcome: SiteOutcome, exc: Exception, stage: str) -> None:
    outcome.outcome = "failed"
    outcome.error = redact(f"{stage}: {type(exc).__name__}: {' '.join(str(exc).split())}")


def _prepare(
    view: SiteView,
    *,
    session: SessionView,
    slot: PlannedSlot,
    devices: tuple[DeviceFacts, ...],
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
    round_data = data[RoundKey(view.facts.site_id, slot.slot.start, slot.slot.end)]
    inputs = RoundInputs(
        site=view.facts,
        session=session.facts,
        round=round_,
        devices=devices,
        observations=round_data.observations,
        site_alerts=round_data.site_alerts,
    )
    doc = document_data(
        inputs,
        generated_at=now,
        settings=settings.snapshot,
        plausibility=settings.plausibility,
        generator_version=__version__,
    )
    return PreparedSnapshot(
        company_id=view.facts.company_id,
        program_id=view.facts.program_id,
        site_id=view.facts.site_id,
        session_id=session.facts.session_id,
        wake_number=slot.wake_number,
        start=slot.slot.start,
        end=slot.slot.end,
        trigger=slot.trigger,
        provisional=slot.provisional,
        document=dumps(doc),
        late_by_seconds=slot.late_by_seconds,
        aggregate=document_aggregates(doc),
    )
