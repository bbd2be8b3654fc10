"""The backfill: writes what the audit finds missing, oldest first, with the scheduler's
reader, document builder and writer, so it may run while daemons tick.

Each site-day (a session) is written a few slots per transaction: the site row is
claimed for one write statement at a time, never across writes, so a tick that wants the
site waits at most one statement. A killed backfill leaves whole snapshots or none, and
the next run's audit finds what is still missing. Asked to stop, it finishes the
site-day in hand. Rows of another shape, invalid rows and off-grid rows stay unless the
operator names their kind to replace; a replaced row is copied whole into
``snapwatch.replaced_snapshots`` in the transaction that writes over it
(:mod:`snapwatch.schedule.history.restore` puts it back).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.config import Settings
from snapwatch.infra.db import lock_timeout_ms
from snapwatch.infra.errors import error_line
from snapwatch.schedule.history.audit import (
    DateRange,
    SiteAudit,
    SlotAudit,
    Status,
    audit_sites,
)
from snapwatch.schedule.history.runs import (
    BackfillTally,
    finish_run,
    record_progress,
    record_site,
    start_run,
)
from snapwatch.schedule.history.stored import StoredRow
from snapwatch.schedule.pauses import active_pauses
from snapwatch.schedule.sessions import overlapping
from snapwatch.snapshot.inputs import Round
from snapwatch.snapshot.prepare import prepare_snapshot
from snapwatch.snapshot.reader import RoundKey, read_rounds
from snapwatch.snapshot.writer import PreparedSnapshot, Replacing, write_site

ReplaceKind = Literal["other_shape", "invalid_v1", "off_grid"]
REPLACE_WORDS: dict[ReplaceKind, str] = {
    "other_shape": "other-shape",
    "invalid_v1": "invalid",
    "off_grid": "off-grid",
}
"""Each kind of row a backfill may replace, as ``--replace`` names it."""
CHUNK = 24
"""Slots written per transaction at most (a site-day at a 1 h cadence)."""
BUSY_RETRIES = 5
"""Times a write finds the site claimed by a tick before the slots are left for later."""


@dataclass(frozen=True)
class BackfillOptions:
    dates: DateRange
    site: UUID | None = None
    """One site (None: all)."""
    rate: float | None = None
    """Snapshots per second at most (None: as fast as the database writes)."""
    replace: frozenset[ReplaceKind] = frozenset()
    include_paused: bool = False
    who: str = "snapwatch"


@dataclass(frozen=True)
class Fill:
    """One slot to write, and the rows to move aside first (asked to be replaced)."""

    slot: SlotAudit
    wake_number: int
    replace: tuple[tuple[StoredRow, ReplaceKind], ...] = ()


@dataclass
class SessionWork:
    index: int
    """The session among the site's sessions read (:attr:`SiteAudit.context`)."""
    fills: list[Fill] = field(default_factory=list)


@dataclass
class SitePlan:
    audit: SiteAudit
    sessions: list[SessionWork] = field(default_factory=list)
    left: list[tuple[SlotAudit, str]] = field(default_factory=list)
    """Slots not written, and why (a row holds them that was not asked to be replaced)."""
    skipped: str | None = None
    """Why the whole site is left (paused, no cadence)."""

    @property
    def slots(self) -> int:
        return sum(len(s.fills) for s in self.sessions)


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


def plan_site(audit: SiteAudit, replace: frozenset[ReplaceKind]) -> SitePlan:
    """What a backfill writes at one site: every missing slot (and every slot held only by
    a forced row left over), oldest first, plus the slots whose row is of a kind asked to
    be replaced; a slot whose wake number or window another row holds is left, with why,
    unless that row's kind is asked to be replaced."""
    plan = SitePlan(audit)
    if audit.note is not None:
        plan.skipped = audit.note
        return plan
    context = audit.context
    assert context is not None
    index_of = {s.facts.session_id: i for i, s in enumerate(context.sessions)}
    for session in sorted(audit.sessions, key=lambda s: s.start):
        kinds = _row_kinds(session.off_grid)
        work = SessionWork(index_of[session.session_id])
        for slot in session.slots:
            fill = _fill(slot, kinds, replace)
            if isinstance(fill, str):
                plan.left.append((slot, fill))
            elif fill is not None:
                work.fills.append(fill)
        if work.fills:
            plan.sessions.append(work)
    return plan


def _row_kinds(off_grid: Iterable[Any]) -> dict[UUID, ReplaceKind]:
    return {o.row.snapshot_id: "off_grid" for o in off_grid}


def _kind(row: StoredRow, kinds: dict[UUID, ReplaceKind]) -> ReplaceKind | None:
    """What a row is to the backfill: off-grid, other shape, invalid v1, or None (a
    regular version-1 row, never replaced)."""
    if row.snapshot_id in kinds:
        return kinds[row.snapshot_id]
    if row.shape != "v1":
        return "other_shape"
    return "invalid_v1" if row.fault is not None else None


def _fill(
    slot: SlotAudit, kinds: dict[UUID, ReplaceKind], replace: frozenset[ReplaceKind]
) -> Fill | str | None:
    if slot.status is Status.PRESENT:
        return None
    if slot.status is Status.PROVISIONAL:
        return Fill(slot, slot.wake_number)
    if slot.status in (Status.OTHER_SHAPE, Status.INVALID_V1):
        assert slot.row is not None
        kind: ReplaceKind = slot.status.value  # type: ignore[assignment]
        if kind not in replace:
            return None  # kept as it is: the audit reports it
        return Fill(slot, slot.row.wake_number, ((slot.row, kind),))
    moved: list[tuple[StoredRow, ReplaceKind]] = []
    for blocker in slot.blocked_by:
        blocker_kind = _kind(blocker, kinds)
        if blocker_kind is None or blocker_kind not in replace:
            what = blocker_kind or "regular"
            flag = f" (--replace {_flag(blocker_kind)})" if blocker_kind else ""
            return f"held by {what} row {blocker.snapshot_id} (wake {blocker.wake_number}){flag}"
        moved.append((blocker, blocker_kind))
    return Fill(slot, slot.wake_number, tuple(moved))


def _flag(kind: ReplaceKind) -> str:
    """The ``--replace`` word for a kind."""
    return REPLACE_WORDS[kind]


async def plan_backfill(
    conn: AsyncConnection[Any], now: datetime, settings: Settings, options: BackfillOptions
) -> list[SitePlan]:
    """Every site's plan (a paused site is skipped with its pause, unless asked)."""
    paused = [] if options.include_paused else await active_pauses(conn, now)
    plans = []
    async for audit in audit_sites(
        conn, now, settings.scheduler, dates=options.dates, site=options.site
    ):
        pause = next((p for p in paused if p.covers(audit.site_id)), None)
        if pause is not None:
            plan = SitePlan(audit, skipped=f"{pause.note(now)} (--include-paused writes it)")
        else:
            plan = plan_site(audit, options.replace)
        plans.append(plan)
    return plans


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

    async def run(self, plans: list[SitePlan]) -> list[SiteResult]:
        since, until = self.options.dates.since, self.options.dates.until
        tally = BackfillTally(
            since=str(since or "default"),
            until=str(until or "today"),
            scope="all sites" if self.options.site is None else str(self.options.site),
            planned=sum(p.slots for p in plans),
            sites_total=len(plans),
        )
        run = await start_run(self.conn, self.now(), self.options.who, tally)
        results: list[SiteResult] = []
        try:
            for plan in plans:
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
            raise
        await finish_run(self.conn, run, tally, self.now())
        return results

    async def _site(self, plan: SitePlan, run: UUID) -> SiteResult:
        audit = plan.audit
        result = SiteResult(audit.site_id, audit.site_name, planned=plan.slots)
        result.left = len(plan.left)
        if plan.skipped is not None:
            result.skipped = plan.skipped
            return result
        try:
            for work in plan.sessions:
                for chunk in _chunks(work.fills, self._chunk_size()):
                    await self._write(plan, work, chunk, result, run)
                if self.stop.is_set():  # the site-day in hand is finished
                    self.stopped = True
                    break
        except Exception as exc:  # one site's bad rows must not stop the others
            result.error = error_line(exc, limits=self.settings.database)
        return result

    def _chunk_size(self) -> int:
        rate = self.options.rate
        return CHUNK if rate is None else max(1, min(CHUNK, int(rate)))

    async def _write(
        self, plan: SitePlan, work: SessionWork, chunk: list[Fill], result: SiteResult, run: UUID
    ) -> None:
        await self._pace(len(chunk))
        prepared = await self._prepare(plan, work, chunk)
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
        """The chunk's documents, as of each window, through the scheduler's own reader and
        builder."""
        audit = plan.audit
        context = audit.context
        assert context is not None and audit.cadence_hours is not None
        view = context.view
        session = context.sessions[work.index]
        windows = [s.window() for s in context.sessions]
        others = tuple(
            context.sessions[i].facts.session_id for i in overlapping(windows, work.index)
        )
        keys = [RoundKey(audit.site_id, f.slot.start, f.slot.end) for f in chunk]
        data = await read_rounds(self.conn, keys)
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
