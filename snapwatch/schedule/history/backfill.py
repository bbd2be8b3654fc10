"""The backfill: writes what the audit finds missing, oldest first, with the scheduler's
reader, document builder and writer, so it may run while daemons tick.

Each site-day (a session) is written a few slots per transaction: the site row is
claimed for one write statement at a time, never across writes, so a tick that wants the
site waits at most one statement. While one chunk is written the next one's documents
are built (its observations read just before), so Python and PostgreSQL work at once.
A killed backfill leaves whole snapshots or none, and
the next run's audit finds what is still missing. Asked to stop, it finishes the
site-day in hand. Rows of another shape, invalid rows and off-grid rows stay unless the
operator names their kind to replace; a replaced row is copied whole into
``snapwatch.replaced_snapshots`` in the transaction that writes over it
(:mod:`snapwatch.schedule.history.restore` puts it back).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.config import Settings
from snapwatch.infra.db import lock_timeout_ms
from snapwatch.infra.errors import error_line
from snapwatch.schedule import activity
from snapwatch.schedule.history.plan import BackfillOptions, Fill, SessionWork, SitePlan
from snapwatch.schedule.history.runs import (
    BackfillTally,
    finish_run,
    record_progress,
    record_site,
    start_run,
)
from snapwatch.schedule.sessions import overlapping
from snapwatch.snapshot.inputs import Round
from snapwatch.snapshot.prepare import prepare_snapshot
from snapwatch.snapshot.reader import RoundData, RoundKey, read_rounds
from snapwatch.snapshot.writer import PreparedSnapshot, Replacing, write_site

CHUNK = 24
"""Slots written per transaction at most (a site-day at a 1 h cadence)."""
BUSY_RETRIES = 5
"""Times a write finds the site claimed by a tick before the slots are left for later."""


@dataclass
class SiteResult:
    site_id: UUID
    site_name: str
    planned: int = 0
    written: int = 0
    replaced: int = 0
    conflicts: int = 0
    left: int = 0
    busy: int = 0
    error: str | None = None
    skipped: str | None = None


Event = dict[str, Any]
"""Progress: ``{"event": "site", ...}``, ``{"event": "written", ...}``..."""


class Backfill:
    """One run over the plans: writes, records the run, reports progress."""

    def __init__(
        self,
        conn: AsyncConnection[Any],
        settings: Settings,
        options: BackfillOptions,
        *,
        now: Callable[[], datetime],
        progress: Callable[[Event], None] = lambda event: None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.options = options
        self.now = now
        self.progress = progress
        self.stop = stop or asyncio.Event()
        self._next_write = 0.0
        self.stopped = False

    async def run(
        self,
        plans: list[SitePlan] | AsyncIterable[SitePlan],
        *,
        totals: tuple[int, int] | None = None,
    ) -> list[SiteResult]:
        """Write every plan's slots, a site at a time. ``plans`` may be a stream
        (:func:`snapwatch.schedule.history.plan.iter_plans`); then ``totals`` (slots,
        sites) are what the run record says is planned
        (:func:`~snapwatch.schedule.history.plan.count_plans`)."""
        since, until = self.options.dates.since, self.options.dates.until
        if isinstance(plans, list):
            totals = sum(p.slots for p in plans), len(plans)
        planned, sites = totals or (0, 0)
        tally = BackfillTally(
            since=str(since or "default"),
            until=str(until or "today"),
            scope="all sites" if self.options.site is None else str(self.options.site),
            planned=planned,
            sites_total=sites,
        )
        run = await start_run(self.conn, self.now(), self.options.who, tally)
        results: list[SiteResult] = []
        try:
            async for plan in _each(plans):
                if self.stop.is_set():
                    self.stopped = True
                    break
                result = await self._site(plan, run)
                results.append(result)
                _count(tally, result)
                await record_site(self.conn, run, plan.audit.site_id, _site_outcome(result))
                await record_progress(self.conn, run, tally)
                self.progress({"event": "site", "result": result})
        except BaseException as exc:
            await finish_run(self.conn, run, tally, self.now(), error=error_line(exc))
            await self._record(run, tally, activity.failed(error_line(exc)))
            raise
        await finish_run(self.conn, run, tally, self.now())
        await self._record(run, tally, _result(tally, self.stopped))
        return results

    async def _record(self, run: UUID, tally: BackfillTally, result: str) -> None:
        """The backfill in the activity trail, with its run and its counts."""
        await activity.record(
            self.conn,
            activity.BACKFILL,
            site_id=self.options.site,
            scope=tally.scope,
            detail={
                "run_id": run,
                "since": tally.since,
                "until": tally.until,
                "replace": sorted(self.options.replace),
                "planned": tally.planned,
                "written": tally.written,
                "replaced": tally.replaced,
                "sites_failed": tally.sites_failed,
            },
            result=result,
            actor=self.options.who,
        )

    async def _site(self, plan: SitePlan, run: UUID) -> SiteResult:
        audit = plan.audit
        result = SiteResult(audit.site_id, audit.site_name, planned=plan.slots)
        result.left = len(plan.left)
        if plan.skipped is not None:
            result.skipped = plan.skipped
            return result
        try:
            await self._chunks(plan, run, result)
        except Exception as exc:  # one site's bad rows must not stop the others
            result.error = error_line(exc, limits=self.settings.database)
        return result

    async def _chunks(self, plan: SitePlan, run: UUID, result: SiteResult) -> None:
        """Chunk by chunk: read the next chunk's observations, send this chunk's write,
        build the next chunk's documents while it runs, then wait for it. Asked to stop,
        the site-day in hand is finished first."""
        steps = [
            (work, chunk)
            for work in plan.sessions
            for chunk in _chunks(work.fills, self._chunk_size())
        ]
        if not steps:
            return
        ready = await self._prepare(plan, *steps[0])
        for i, (work, chunk) in enumerate(steps):
            following = steps[i + 1] if i + 1 < len(steps) else None
            data = await self._read(plan, following[1]) if following else None
            await self._pace(len(chunk))
            writing = asyncio.ensure_future(self._write(plan, chunk, ready, result, run))
            await asyncio.sleep(0)  # the write is sent; build the next chunk meanwhile
            try:
                if following is not None and data is not None:
                    ready = self._build(plan, *following, data)
            finally:
                await asyncio.wait({writing})
            writing.result()
            if following is None:
                return
            if following[0] is not work and self.stop.is_set():
                self.stopped = True
                return

    def _chunk_size(self) -> int:
        rate = self.options.rate
        return CHUNK if rate is None else max(1, min(CHUNK, int(rate)))

    async def _write(
        self,
        plan: SitePlan,
        chunk: list[Fill],
        prepared: list[PreparedSnapshot],
        result: SiteResult,
        run: UUID,
    ) -> None:
        replacing = _replacing(chunk, self.options.who, run)
        for attempt in range(BUSY_RETRIES + 1):
            written = await write_site(
                self.conn,
                plan.audit.site_id,
                prepared,
                self.now(),
                lock_timeout_ms=lock_timeout_ms(self.settings),
                durable=self.settings.scheduler.durable_commit,
                fill=True,
                replacing=replacing,
            )
            if not written.busy and written.lock_wait is None:
                break
            if attempt == BUSY_RETRIES:
                result.busy += len(chunk)
                return
            await asyncio.sleep(0.2 * (attempt + 1))
        result.written += len(written.written)
        result.conflicts += len(written.conflicts)
        result.replaced += written.replaced
        self.progress(
            {"event": "written", "site": plan.audit.site_name, "count": len(written.written)}
        )

    async def _pace(self, count: int) -> None:
        """Waits so that writes keep to ``rate`` snapshots per second."""
        rate = self.options.rate
        if rate is None:
            return
        wait = self._next_write - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_write = max(self._next_write, time.monotonic()) + count / rate

    async def _prepare(
        self, plan: SitePlan, work: SessionWork, chunk: list[Fill]
    ) -> list[PreparedSnapshot]:
        return self._build(plan, work, chunk, await self._read(plan, chunk))

    async def _read(self, plan: SitePlan, chunk: list[Fill]) -> dict[RoundKey, RoundData]:
        """The chunk's observations, as of each window (the scheduler's own reader)."""
        return await read_rounds(self.conn, _keys(plan, chunk))

    def _build(
        self,
        plan: SitePlan,
        work: SessionWork,
        chunk: list[Fill],
        data: dict[RoundKey, RoundData],
    ) -> list[PreparedSnapshot]:
        """The chunk's documents (the scheduler's own builder)."""
        audit = plan.audit
        context = audit.context
        assert context is not None and audit.cadence_hours is not None
        view = context.view
        session = context.sessions[work.index]
        windows = [s.window() for s in context.sessions]
        others = tuple(
            context.sessions[i].facts.session_id for i in overlapping(windows, work.index)
        )
        keys = _keys(plan, chunk)
        now = self.now()
        settle = timedelta(seconds=self.settings.scheduler.settle_seconds)
        out = []
        for fill, key in zip(chunk, keys, strict=True):
            round_ = Round(
                session_id=session.facts.session_id,
                wake_number=fill.wake_number,
                start=fill.slot.start,
                end=fill.slot.end,
                trigger="backfill",
                provisional=False,
                late_by_seconds=max(0.0, (now - (fill.slot.end + settle)).total_seconds()),
                cadence_hours=audit.cadence_hours,
                cadence_unused=view.cadence_choice.unused,
                overlapping_sessions=others,
            )
            out.append(
                prepare_snapshot(
                    site=view.facts,
                    session=session.facts,
                    round_=round_,
                    devices=data[key].devices,
                    data=data[key],
                    settings=self.settings,
                    now=now,
                )
            )
        return out


async def _each(plans: list[SitePlan] | AsyncIterable[SitePlan]) -> AsyncIterable[SitePlan]:
    if isinstance(plans, list):
        for plan in plans:
            yield plan
    else:
        async for plan in plans:
            yield plan


def _keys(plan: SitePlan, chunk: list[Fill]) -> list[RoundKey]:
    return [RoundKey(plan.audit.site_id, f.slot.start, f.slot.end) for f in chunk]


def _chunks(fills: list[Fill], size: int) -> Iterable[list[Fill]]:
    """Slots in chunks of ``size``; a slot that replaces rows is written alone (all or
    nothing is then about that one slot)."""
    chunk: list[Fill] = []
    for fill in fills:
        if fill.replace:
            if chunk:
                yield chunk
                chunk = []
            yield [fill]
            continue
        chunk.append(fill)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _replacing(chunk: list[Fill], who: str, run: UUID) -> Replacing | None:
    rows = [(row, kind) for fill in chunk for row, kind in fill.replace]
    if not rows:
        return None
    return Replacing(
        snapshot_ids=tuple(row.snapshot_id for row, _ in rows),
        kinds=tuple(kind for _, kind in rows),
        who=who,
        reason="snapwatch backfill --replace " + ",".join(sorted({k for _, k in rows})),
        run_id=run,
    )


def _result(tally: BackfillTally, stopped: bool) -> str:
    if tally.sites_failed:
        return activity.failed(f"{tally.sites_failed} site(s) failed")
    return "ok: stopped early" if stopped else activity.OK


def _count(tally: BackfillTally, result: SiteResult) -> None:
    tally.sites_done += 1
    tally.written += result.written
    tally.replaced += result.replaced
    tally.conflicts += result.conflicts
    if result.error is not None:
        tally.sites_failed += 1
    elif result.skipped is not None:
        tally.sites_skipped += 1


def _site_outcome(result: SiteResult) -> tuple[str, str | None, str | None]:
    if result.error is not None:
        return "failed", None, result.error
    if result.skipped is not None:
        return "skipped", result.skipped, None
    reason = f"backfilled {result.written} of {result.planned} slots"
    if result.replaced:
        reason += f", {result.replaced} rows replaced"
    if result.left:
        reason += f", {result.left} left (held by other rows)"
    return ("written" if result.written else "skipped"), reason, None
