"""What a backfill writes at each site: the audit's missing slots, oldest first, and the
rows to move aside where the operator named their kind (:mod:`snapwatch.schedule.history.backfill`
writes them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.config import Settings
from snapwatch.schedule.history.audit import DateRange, SiteAudit, SlotAudit, Status, audit_sites
from snapwatch.schedule.history.stored import StoredRow
from snapwatch.schedule.pauses import active_pauses

ReplaceKind = Literal["other_shape", "invalid_v1", "off_grid"]
REPLACE_WORDS: dict[ReplaceKind, str] = {
    "other_shape": "other-shape",
    "invalid_v1": "invalid",
    "off_grid": "off-grid",
}
"""Each kind of row a backfill may replace, as ``--replace`` names it."""


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
            what = _flag(blocker_kind) if blocker_kind else "regular"
            flag = f" (--replace {_flag(blocker_kind)})" if blocker_kind else ""
            return f"held by {what} row {blocker.snapshot_id} (wake {blocker.wake_number}){flag}"
        moved.append((blocker, blocker_kind))
    return Fill(slot, slot.wake_number, tuple(moved))


def _flag(kind: ReplaceKind) -> str:
    """The ``--replace`` word for a kind."""
    return REPLACE_WORDS[kind]


async def iter_plans(
    conn: AsyncConnection[Any], now: datetime, settings: Settings, options: BackfillOptions
) -> AsyncIterator[SitePlan]:
    """Every site's plan, a batch of sites at a time as the audit reads them (a paused
    site is skipped with its pause, unless asked): a run over a year holds one batch."""
    paused = [] if options.include_paused else await active_pauses(conn, now)
    async for audit in audit_sites(
        conn, now, settings.scheduler, dates=options.dates, site=options.site
    ):
        pause = next((p for p in paused if p.covers(audit.site_id)), None)
        if pause is not None:
            yield SitePlan(audit, skipped=f"{pause.note(now)} (--include-paused writes it)")
        else:
            yield plan_site(audit, options.replace)


async def plan_backfill(
    conn: AsyncConnection[Any], now: datetime, settings: Settings, options: BackfillOptions
) -> list[SitePlan]:
    """Every site's plan at once (a dry run, one site in the app)."""
    return [plan async for plan in iter_plans(conn, now, settings, options)]


async def count_plans(
    conn: AsyncConnection[Any], now: datetime, settings: Settings, options: BackfillOptions
) -> tuple[int, int]:
    """(slots, sites) the plans hold, read without holding them (a progress bar's total)."""
    slots = sites = 0
    async for plan in iter_plans(conn, now, settings, options):
        slots += plan.slots
        sites += 1
    return slots, sites
