"""The audit: for each past session, every slot it should have (by the scheduler's own
rules) against what is stored, and each kind of problem, per session, site and in total.

Expected: every completed slot (ended more than the scheduler's settle and late grace
ago: until then a running scheduler may still write it on time) of a session dated in
the range, by the site's cadence
today (the platform keeps no cadence history), of the time the session owns (overlapping
sessions: :func:`snapwatch.schedule.sessions.owned_spans`), less slots that ended inside
a recorded pause or after the session was locked. Present: the rows stored, judged by
:mod:`snapwatch.schedule.history.stored`. Sites are read a batch at a time: memory stays
bounded whatever the range.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.config import SchedulerSettings
from snapwatch.schedule.history.stored import StoredRow, read_rows, read_sessions
from snapwatch.schedule.pauses import PauseRecord, read_pauses
from snapwatch.schedule.plan import session_slots
from snapwatch.schedule.sessions import SessionWindow, owned_spans
from snapwatch.schedule.sitestate import SessionView, SiteView, read_site_views
from snapwatch.schedule.slots import Slot, Span, slot_at
from snapwatch.snapshot.program import site_timezone

DEFAULT_DAYS = 30
"""An audit without ``--since`` covers the last this many days (site-local)."""
BATCH_SITES = 25
"""Sites read and judged together."""


class Status(StrEnum):
    """What an expected slot holds."""

    PRESENT = "present"
    MISSING = "missing"
    OTHER_SHAPE = "other_shape"
    """A row for the slot, in a shape the v1 reader does not recognise as version 1."""
    INVALID_V1 = "invalid_v1"
    """A version-1 row for the slot that breaks the schema or disagrees with its row."""
    PROVISIONAL = "provisional_left"
    """Only a forced (provisional) row, though the slot completed long ago."""


PROBLEMS = (
    "missing",
    "other_shape",
    "invalid_v1",
    "off_grid",
    "overlapping",
    "provisional_left",
    "wake_gaps",
)
"""Every kind of problem an audit counts, in the order it reports them."""


@dataclass(frozen=True)
class DateRange:
    """Site-local session dates, both ends included; None: the default."""

    since: date | None = None
    until: date | None = None

    def for_site(self, timezone: str | None, now: datetime) -> tuple[date, date]:
        """The range at a site: ``until`` defaults to the site's today, ``since`` to
        :data:`DEFAULT_DAYS` before it."""
        today = now.astimezone(site_timezone(timezone).zone).date()
        until = self.until or today
        return self.since or until - timedelta(days=DEFAULT_DAYS), until

    def widest(self, now: datetime) -> tuple[date, date]:
        """A range holding the range of every site, whatever its zone."""
        until = self.until or (now + timedelta(days=1)).date()
        since = self.since or (now - timedelta(days=1)).date() - timedelta(days=DEFAULT_DAYS)
        return since, until


@dataclass(frozen=True)
class SlotAudit:
    wake_number: int
    start: datetime
    end: datetime
    status: Status
    row: StoredRow | None = None
    """The row holding the slot (None when missing)."""
    blocked_by: tuple[StoredRow, ...] = ()
    """For a missing slot: the rows holding its wake number with another window, and the
    regular rows whose window overlaps it (no snapshot can be written there while they
    stay)."""


@dataclass(frozen=True)
class OffGrid:
    """A row whose window is none of its session's slots (an older job's 09:07-09:12)."""

    row: StoredRow
    slot: Slot | None
    """The slot its start falls in (None: outside the session)."""
    uncovered: tuple[Span, ...]
    """The parts of that slot the row leaves uncovered."""


@dataclass(frozen=True)
class Counts:
    sessions: int = 0
    expected: int = 0
    present: int = 0
    missing: int = 0
    other_shape: int = 0
    invalid_v1: int = 0
    off_grid: int = 0
    overlapping: int = 0
    provisional_left: int = 0
    wake_gaps: int = 0

    @property
    def coverage(self) -> float | None:
        """Present ÷ expected, in percent (None when nothing is expected)."""
        return None if not self.expected else 100.0 * self.present / self.expected

    @property
    def problems(self) -> int:
        return sum(getattr(self, kind) for kind in PROBLEMS)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            **{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__}
        )


@dataclass
class SessionAudit:
    session_id: UUID
    session_date: date
    start: datetime
    end: datetime
    status: str
    slots: list[SlotAudit] = field(default_factory=list)
    off_grid: list[OffGrid] = field(default_factory=list)
    overlapping: list[tuple[StoredRow, StoredRow]] = field(default_factory=list)
    wake_gaps: list[int] = field(default_factory=list)
    rows: int = 0
    """Rows stored for the session."""

    @property
    def counts(self) -> Counts:
        by = Counter(slot.status for slot in self.slots)
        return Counts(
            sessions=1,
            expected=len(self.slots),
            present=by[Status.PRESENT],
            missing=by[Status.MISSING],
            other_shape=by[Status.OTHER_SHAPE],
            invalid_v1=by[Status.INVALID_V1],
            provisional_left=by[Status.PROVISIONAL],
            off_grid=len(self.off_grid),
            overlapping=len(self.overlapping),
            wake_gaps=len(self.wake_gaps),
        )


@dataclass(frozen=True)
class SiteContext:
    """What a site's audit was judged from: its facts and the sessions read."""

    view: SiteView
    sessions: Sequence[SessionView]


@dataclass
class SiteAudit:
    site_id: UUID
    site_name: str
    timezone: str | None
    cadence_hours: float | None
    since: date
    until: date
    sessions: list[SessionAudit] = field(default_factory=list)
    note: str | None = None
    """Why nothing is expected (no cadence), when so."""
    context: SiteContext | None = field(default=None, repr=False, compare=False)

    @property
    def counts(self) -> Counts:
        total = Counts()
        for session in self.sessions:
            total += session.counts
        return total


async def audit_sites(
    conn: AsyncConnection[Any],
    now: datetime,
    sched: SchedulerSettings,
    *,
    dates: DateRange,
    site: UUID | None = None,
) -> AsyncIterator[SiteAudit]:
    """Every site (or the one given), a batch of sites at a time, as of ``now``."""
    views = await read_site_views(conn, site)
    widest = dates.widest(now)
    pauses = await read_pauses(conn, _midnight(widest[0]) - timedelta(days=1), now)
    for first in range(0, len(views), BATCH_SITES):
        batch = views[first : first + BATCH_SITES]
        sessions = await read_sessions(conn, [v.facts.site_id for v in batch], *widest)
        ids = [s.facts.session_id for group in sessions.values() for s in group]
        rows: dict[UUID, list[StoredRow]] = defaultdict(list)
        for row in await read_rows(conn, ids):
            rows[row.site_id].append(row)
        for view in batch:
            sid = view.facts.site_id
            yield judge_site(
                view,
                sessions.get(sid, []),
                rows.get(sid, []),
                [p for p in pauses if p.covers(sid)],
                now=now,
                wait_seconds=sched.settle_seconds + sched.late_grace_seconds,
                dates=dates,
            )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def judge_site(
    view: SiteView,
    sessions: Sequence[SessionView],
    rows: Sequence[StoredRow],
    pauses: Sequence[PauseRecord],
    *,
    now: datetime,
    wait_seconds: float,
    dates: DateRange,
) -> SiteAudit:
    """One site's audit from what was read (pure). A slot is expected once it ended
    ``wait_seconds`` ago (the scheduler's settle and late grace: until then a running
    scheduler may still write it on time)."""
    since, until = dates.for_site(view.facts.timezone, now)
    audit = SiteAudit(
        view.facts.site_id,
        view.facts.site_name,
        view.facts.timezone,
        view.cadence,
        since,
        until,
        context=SiteContext(view, sessions),
    )
    cadence = view.cadence
    if cadence is None:
        audit.note = f"{view.reason or 'no cadence'}: no slot is expected"
    windows = [s.window() for s in sessions]
    owned = owned_spans(windows, cadence) if cadence is not None else [[] for _ in windows]
    spans = [(p.paused_at, p.until) for p in pauses]
    by_session: dict[UUID, list[StoredRow]] = defaultdict(list)
    for row in rows:
        by_session[row.session_id].append(row)
    wait = timedelta(seconds=wait_seconds)
    for i, stored in enumerate(sessions):
        facts = stored.facts
        if not since <= facts.session_date <= until:
            continue  # a neighbour: read for who owns which instant, not audited
        session = SessionAudit(
            facts.session_id, facts.session_date, facts.start, facts.end, facts.status
        )
        mine = by_session.get(facts.session_id, [])
        session.rows = len(mine)
        if cadence is not None:
            expected = [
                p
                for p in session_slots(windows[i], owned[i], cadence, pauses=spans)
                if p.end + wait <= now
            ]
            _judge_session(
                session,
                expected,
                mine=mine,
                site_rows=rows,
                window=windows[i],
                owned=owned[i],
                cadence=cadence,
            )
        session.wake_gaps = _wake_gaps(mine)
        audit.sessions.append(session)
    _overlaps(audit, rows)
    return audit


def _judge_session(
    session: SessionAudit,
    expected: list[Slot],
    *,
    mine: list[StoredRow],
    site_rows: Sequence[StoredRow],
    window: SessionWindow,
    owned: list[Span],
    cadence: float,
) -> None:
    regular = [r for r in mine if not r.provisional]
    by_window: dict[tuple[datetime, datetime], StoredRow] = {}
    for r in regular:
        by_window.setdefault((r.start, r.end), r)
    forced = {r.start: r for r in mine if r.provisional}
    by_wake = {r.wake_number: r for r in mine}
    matched: set[UUID] = set()
    for part in expected:
        row = by_window.get((part.start, part.end))
        if row is not None:
            matched.add(row.snapshot_id)
            session.slots.append(
                SlotAudit(row.wake_number, part.start, part.end, _status(row), row)
            )
            continue
        held = forced.get(part.start)
        if held is not None:
            matched.add(held.snapshot_id)
            session.slots.append(
                SlotAudit(held.wake_number, part.start, part.end, Status.PROVISIONAL, held)
            )
            continue
        session.slots.append(
            SlotAudit(
                part.k,
                part.start,
                part.end,
                Status.MISSING,
                blocked_by=_blockers(part, by_wake.get(part.k), site_rows),
            )
        )
    on_grid = {(p.start, p.end) for p in session_slots(window, owned, cadence)}
    for row in regular:
        if row.snapshot_id in matched or (row.start, row.end) in on_grid:
            continue
        slot = slot_at(window.start, window.end, cadence, row.start)
        if slot is not None and (slot.start, slot.end) == (row.start, row.end):
            continue  # the whole grid slot, though the session owns less of it
        session.off_grid.append(OffGrid(row, slot, _uncovered(slot, row)))


def _status(row: StoredRow) -> Status:
    if row.shape != "v1":
        return Status.OTHER_SHAPE
    return Status.INVALID_V1 if row.fault is not None else Status.PRESENT


def _blockers(
    slot: Slot, same_wake: StoredRow | None, site_rows: Iterable[StoredRow]
) -> tuple[StoredRow, ...]:
    found = {} if same_wake is None or same_wake.provisional else {same_wake.snapshot_id: same_wake}
    for row in site_rows:
        if not row.provisional and row.start < slot.end and slot.start < row.end:
            found.setdefault(row.snapshot_id, row)
    return tuple(found.values())


def _uncovered(slot: Slot | None, row: StoredRow) -> tuple[Span, ...]:
    if slot is None:
        return ()
    parts: list[Span] = []
    if row.start > slot.start:
        parts.append((slot.start, min(row.start, slot.end)))
    if row.end < slot.end:
        parts.append((max(row.end, slot.start), slot.end))
    return tuple(parts)


def _wake_gaps(rows: Sequence[StoredRow]) -> list[int]:
    """Wake numbers missing below the session's highest one."""
    held = {r.wake_number for r in rows}
    return [n for n in range(1, max(held, default=0)) if n not in held]


def _overlaps(audit: SiteAudit, rows: Sequence[StoredRow]) -> None:
    """Pairs of the site's regular rows whose windows overlap, under the session of the
    first row of the pair (when that session is audited)."""
    sessions = {s.session_id: s for s in audit.sessions}
    ordered = sorted((r for r in rows if not r.provisional), key=lambda r: (r.start, r.end))
    open_rows: list[StoredRow] = []
    for row in ordered:
        open_rows = [r for r in open_rows if r.end > row.start]
        for earlier in open_rows:
            session = sessions.get(earlier.session_id) or sessions.get(row.session_id)
            if session is not None:
                session.overlapping.append((earlier, row))
        open_rows.append(row)


def total(audits: Iterable[SiteAudit]) -> Counts:
    out = Counts()
    for a in audits:
        out += a.counts
    return out
