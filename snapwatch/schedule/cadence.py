"""When a site gets snapshots: cadence, eligibility, the slot grid and due slots.

Pure functions of their arguments (no database, no I/O, no clock). Every instant is a
timezone-aware datetime and every result is in UTC. Slot arithmetic is done on UTC
instants only, so DST days simply have fewer or more slots. Windows are half-open
``[start, end)``: an instant exactly on a boundary belongs to the later slot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal
from uuid import UUID

from snapwatch.snapshot.inputs import MAX_CADENCE_HOURS, Trigger

CatchUp = Literal["all", "latest"]
Pause = tuple[datetime, datetime | None]
Span = tuple[datetime, datetime]
"""A half-open stretch of time ``[start, end)``."""

OPEN_SESSION_STATUSES = frozenset({"pending", "in_progress"})
MIN_CADENCE_HOURS = 1 / 3600  # one second: anything shorter is not a schedule

_US_PER_HOUR = 3_600_000_000
_ONE_US = timedelta(microseconds=1)


class Reason(StrEnum):
    """Why a site gets no snapshots right now (checked in this order)."""

    NO_CADENCE = "no_cadence"
    INVALID_CADENCE = "invalid_cadence"
    NO_DEVICES = "no_devices"
    NO_OPEN_SESSION = "no_open_session"
    PAUSED = "paused"


# --- who is eligible -------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    """A site's cadence as chosen from its two columns, and why.

    ``hours`` is the usable cadence (None: not scheduled); ``column`` names the column it
    came from (None when neither is set); ``invalid`` when that column holds a value that
    is not a cadence (``reason`` is then ``invalid_cadence``: never replaced by the other
    column). ``note`` is what an operator must be told: the invalid value, or which column
    was used and why when both are set and disagree (``unused`` is then the other column
    and its value)."""

    hours: float | None
    column: str | None = None
    invalid: bool = False
    note: str | None = None
    unused: tuple[str, float] | None = None

    @property
    def reason(self) -> Reason | None:
        if self.hours is not None:
            return None
        return Reason.INVALID_CADENCE if self.invalid else Reason.NO_CADENCE


HOURS_COLUMN = "snapshot_cadence_hours"
PER_DAY_COLUMN = "snapshot_cadence_per_day"
SUB_HOUR_PER_DAY = 24
"""A ``snapshot_cadence_per_day`` above this is a sub-hour cadence, which the platform's
integer hours column cannot hold: it takes precedence (design/platform.md)."""

Number = Decimal | int | float


def choose_cadence(hours: Number | None, per_day: int | None) -> Cadence:
    """The cadence of a site with ``snapshot_cadence_hours`` = ``hours`` and
    ``snapshot_cadence_per_day`` = ``per_day``:

    - ``per_day`` above 24 (every 15 minutes is 96) wins: an integer hours column cannot
      hold a sub-hour cadence, so the platform left ``hours = 1`` beside ``per_day = 96``;
    - otherwise ``hours`` when set;
    - otherwise ``24 / per_day``.

    The chosen column must hold a cadence (finite, at least one second, at most 24 hours;
    ``per_day`` at least 1): otherwise the site has an invalid cadence with that value,
    never silently the other column's."""
    hours = None if isinstance(hours, bool) else hours
    per_day = None if isinstance(per_day, bool) else per_day
    if per_day is not None and per_day > SUB_HOUR_PER_DAY:
        return _chosen(PER_DAY_COLUMN, per_day, HOURS_COLUMN, hours)
    if hours is not None:
        return _chosen(HOURS_COLUMN, hours, PER_DAY_COLUMN, per_day)
    if per_day is not None:
        return _chosen(PER_DAY_COLUMN, per_day, HOURS_COLUMN, None)
    return Cadence(None)


def _hours_of(column: str, value: Number) -> float | None:
    """The cadence a column's value gives, or None when it is not a cadence."""
    if column == HOURS_COLUMN:
        return _valid_cadence(value)
    return None if value <= 0 else _valid_cadence(MAX_CADENCE_HOURS / float(value))


def _chosen(column: str, value: Number, other: str, other_value: Number | None) -> Cadence:
    hours = _hours_of(column, value)
    if hours is None:
        limits = "1 s to 24 h" if column == HOURS_COLUMN else "1 to 86400 a day"
        note = f"{column} = {_number(value)} (must be {limits})"
        return Cadence(None, column, invalid=True, note=note)
    if other_value is None or _hours_of(other, other_value) == hours:
        return Cadence(hours, column)
    why = (
        "an integer hours column cannot hold a sub-hour cadence"
        if column == PER_DAY_COLUMN
        else f"{other} is used only when {column} is unset"
    )
    note = f"{column} = {_number(value)} used, {other} = {_number(other_value)} disagrees: {why}"
    return Cadence(hours, column, note=note, unused=(other, float(other_value)))


def _valid_cadence(value: Number) -> float | None:
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    hours = float(value)
    if not math.isfinite(hours) or not MIN_CADENCE_HOURS <= hours <= MAX_CADENCE_HOURS:
        return None
    return hours


def _number(value: Number) -> str:
    number = float(value)
    return f"{number:g}" if math.isfinite(number) else str(value)


def session_is_open(status: str, start: datetime, end: datetime, t: datetime) -> bool:
    """Open at instant ``t``: status 'pending' or 'in_progress' and ``start <= t < end``.

    Sessions are found by instant, never by a date ('locked' is closed; there is no
    'active' status)."""
    return status in OPEN_SESSION_STATUSES and start <= t < end


def eligibility(
    cadence: Cadence, counting_devices: int, open_session: bool, paused: bool
) -> Reason | None:
    """The first reason the site is not eligible, or None when it is."""
    if cadence.reason is not None:
        return cadence.reason
    if counting_devices < 1:
        return Reason.NO_DEVICES
    if not open_session:
        return Reason.NO_OPEN_SESSION
    if paused:
        return Reason.PAUSED
    return None


# --- the slot grid ---------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """Slot ``k`` (1-based) of a session: the half-open window ``[start, end)``."""

    k: int
    start: datetime
    end: datetime


class _Grid:
    """Slot boundaries of one session as exact microsecond offsets from its start.

    Boundary k sits at ``round(k * c)`` microseconds (not ``k * round(c)``), so the
    grid of any cadence that divides the session lands exactly on its end.
    """

    def __init__(self, start: datetime, end: datetime, cadence: float) -> None:
        self.start = _utc(start, "session_start")
        self.end = _utc(end, "session_end")
        self.step = _step_us(cadence)
        self.length = max(0, (self.end - self.start) // _ONE_US)
        self.count = self._count()

    def offset(self, k: int) -> int:
        return min(round(k * self.step), self.length)

    def _count(self) -> int:
        if self.length == 0:
            return 0
        n = max(1, math.ceil(self.length / self.step))
        while n > 1 and self.offset(n - 1) >= self.length:
            n -= 1
        while self.offset(n) < self.length:
            n += 1
        return n

    def slot(self, k: int) -> Slot:
        return Slot(
            k=k,
            start=self.start + timedelta(microseconds=self.offset(k - 1)),
            end=self.start + timedelta(microseconds=self.offset(k)),
        )

    def slots(self, after: datetime | None = None) -> Iterable[Slot]:
        """The slots in order; with ``after``, only those ending after that instant (the
        first is found by arithmetic, so a long covered session costs nothing)."""
        first = 1
        if after is not None:
            if after >= self.end:
                return iter(())
            first = self.index_at(after) or 1
        return (self.slot(k) for k in range(first, self.count + 1))

    def index_at(self, t: datetime) -> int | None:
        at = (t - self.start) // _ONE_US
        if at < 0 or at >= self.length:
            return None
        k = int(at // self.step) + 1
        while k > 1 and self.offset(k - 1) > at:
            k -= 1
        while self.offset(k) <= at:
            k += 1
        return k


def slot_count(session_start: datetime, session_end: datetime, cadence_hours: float) -> int:
    """How many slots (wakes) a session has at this cadence."""
    return _Grid(session_start, session_end, cadence_hours).count


def slot_grid(session_start: datetime, session_end: datetime, cadence_hours: float) -> list[Slot]:
    """All slots of a session: contiguous, half-open, the last one clamped to its end."""
    return list(_Grid(session_start, session_end, cadence_hours).slots())


def slot_at(
    session_start: datetime, session_end: datetime, cadence_hours: float, t: datetime
) -> Slot | None:
    """The slot containing ``t`` (a boundary instant belongs to the later slot), or None
    when ``t`` is outside the session."""
    grid = _Grid(session_start, session_end, cadence_hours)
    k = grid.index_at(_utc(t, "t"))
    return None if k is None else grid.slot(k)


# --- what is due -----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionState:
    """What the database says about one session's snapshots so far."""

    covered_from: datetime | None
    """``min(wake_round_start)`` of the session's non-provisional snapshots."""
    covered_until: datetime | None
    """``max(wake_round_end)`` of the session's non-provisional snapshots."""
    last_wake_number: int
    """``max(wake_number)`` of the session's non-provisional snapshots (0 = none)."""
    provisional: Mapping[datetime, int]
    """Slot start -> wake number of each provisional (forced) row of the session."""

    def __post_init__(self) -> None:
        if self.last_wake_number < 0:
            raise ValueError("last_wake_number cannot be negative")
        if any(wake < 1 for wake in self.provisional.values()):
            raise ValueError("wake numbers start at 1")
        if (self.covered_from is None) != (self.covered_until is None):
            raise ValueError("covered_from and covered_until are both set or both unset")

    @property
    def written(self) -> Span | None:
        """From the first to the end of the last of the session's non-provisional
        snapshots (None: none yet)."""
        if self.covered_from is None or self.covered_until is None:
            return None
        return _utc(self.covered_from, "covered_from"), _utc(self.covered_until, "covered_until")


@dataclass(frozen=True)
class SessionWindow:
    """One session as the planner sees it: its span, its snapshots, when it was closed."""

    start: datetime
    end: datetime
    state: SessionState
    closed_at: datetime | None = None
    """Locked before its end: slots ending after this instant are owed nothing."""
    session_id: UUID = field(kw_only=True)
    """Breaks the tie between overlapping sessions that start together (:func:`precedence`)."""

    @property
    def span(self) -> Span:
        """When the session was open: from its start to its end, or to its lock when it was
        locked before its end."""
        end = self.end if self.closed_at is None else min(self.end, self.closed_at)
        return _utc(self.start, "session_start"), _utc(end, "session_end")


# --- sessions that overlap --------------------------------------------------------------


def precedence(session: SessionWindow) -> tuple[datetime, UUID]:
    """The one rule for a site's sessions that overlap: at any instant the session that
    started last owns it (a session that starts inside another one takes over from its
    start, and hands back at its end); of sessions that started together, the one with
    the larger ``session_id``. The greatest key wins."""
    return _utc(session.start, "session_start"), session.session_id


def chosen_session(sessions: Sequence[SessionWindow], candidates: Iterable[int]) -> int | None:
    """Which of ``candidates`` (indexes into ``sessions``) gets the slots: the first by
    :func:`precedence`."""
    return max(candidates, key=lambda i: precedence(sessions[i]), default=None)


def overlapping(sessions: Sequence[SessionWindow], index: int) -> list[int]:
    """The other sessions that were open at some instant while ``sessions[index]`` was."""
    start, end = sessions[index].span
    return [
        i
        for i, other in enumerate(sessions)
        if i != index and other.span[0] < end and start < other.span[1]
    ]


def sessions_still_owed(sessions: Sequence[SessionWindow], now: datetime) -> list[int]:
    """Which sessions the scheduler writes at ``now`` (indexes, in the order given).

    The sessions that had started by ``now``, back to the previous one: the newest
    session that has ended by now still owes its last slots (due just after its end), and
    every session that ended after it started (one that overlaps it, or came later) is
    kept with it. Sessions that ended before it started are history
    (``cadence.md``, "History")."""
    now = _utc(now, "now")
    started = [i for i, s in enumerate(sessions) if _utc(s.start, "session_start") <= now]
    ended = [i for i in started if _utc(sessions[i].end, "session_end") <= now]
    previous = chosen_session(sessions, ended)
    if previous is None:
        return started
    since = _utc(sessions[previous].start, "session_start")
    return [i for i in started if _utc(sessions[i].end, "session_end") > since]


def owned_spans(sessions: Sequence[SessionWindow], cadence_hours: float) -> list[list[Span]]:
    """For each session, the time it may still get snapshots for: its claim (from its
    start to its end, or to the last slot boundary before it was locked early), less the
    claims of the sessions that take :func:`precedence` over it, less what is already
    written for the site (every session's snapshots, from the first to the end of the
    last), less its own past (before the end of its last snapshot: a slot it skipped or
    lost to a pause is not owed later). Disjoint across sessions: no instant is owed
    twice."""
    claims = [_claim(s, cadence_hours) for s in sessions]
    written = [span for s in sessions if (span := s.state.written) is not None]
    owned: list[list[Span]] = []
    for session, claim in zip(sessions, claims, strict=True):
        rank = precedence(session)
        ahead = [c for s, c in zip(sessions, claims, strict=True) if precedence(s) > rank]
        past = [] if session.state.written is None else [(claim[0], session.state.written[1])]
        owned.append(_subtract([claim], [*ahead, *written, *past]))
    return owned


def _claim(session: SessionWindow, cadence: float) -> Span:
    """The session's slots that can be owed, as one span: a session locked before its end
    claims the slots that ended by the lock."""
    grid = _Grid(session.start, session.end, cadence)
    if session.closed_at is None:
        return grid.start, grid.end
    k = grid.index_at(_utc(session.closed_at, "closed_at"))
    if k is None:
        return grid.start, max(grid.start, min(grid.end, _utc(session.closed_at, "closed_at")))
    return grid.start, grid.slot(k).start


def _subtract(spans: Sequence[Span], cuts: Iterable[Span]) -> list[Span]:
    """``spans`` (disjoint, in order) less every one of ``cuts``; empty spans dropped."""
    out = [s for s in spans if s[0] < s[1]]
    for cut_start, cut_end in cuts:
        kept: list[Span] = []
        for start, end in out:
            if cut_end <= start or end <= cut_start:
                kept.append((start, end))
                continue
            if start < cut_start:
                kept.append((start, cut_start))
            if cut_end < end:
                kept.append((cut_end, end))
        out = kept
    return out


def _parts(slot: Slot, owned: Sequence[Span]) -> list[Slot]:
    """The parts of ``slot`` inside ``owned``, in order, each keeping the slot's ``k``."""
    return [
        Slot(slot.k, max(slot.start, start), min(slot.end, end))
        for start, end in owned
        if start < slot.end and slot.start < end
    ]


@dataclass(frozen=True)
class PlannedSlot:
    """One snapshot to write: ``wake_round_start/end`` are ``slot.start/end``."""

    slot: Slot
    wake_number: int
    trigger: Trigger
    due_at: datetime
    late_by_seconds: float
    provisional: bool


@dataclass(frozen=True)
class SitePlan:
    """What one tick writes for one site, oldest first across its sessions."""

    slots: list[tuple[int, PlannedSlot]]
    """(index into the sessions planned, slot to write)."""
    skipped: int
    """Older due slots not written because ``catch_up = "latest"`` (never written)."""
    next_due_at: datetime | None
    """When the next slot of these sessions becomes due (None: none left)."""
    remaining: int = 0
    """Due slots beyond ``max_slots`` (or held by a pause), left for later ticks."""
    paused_dropped: int = 0
    """Completed slots never written because they ended while the site was paused."""
    waiting_for: PlannedSlot | None = None
    """The oldest due slot still unwritten (written by this plan or not), if any."""


def plan_site(
    *,
    sessions: Sequence[SessionWindow],
    cadence_hours: float,
    now: datetime,
    settle_seconds: float,
    catch_up: CatchUp,
    max_slots: int,
    late_grace_seconds: float,
    paused: Sequence[Pause] = (),
) -> SitePlan:
    """The slots of a site's sessions to write at ``now``, oldest first.

    Every completed slot is owed exactly one snapshot, whenever snapwatch first saw the
    site: slot k is due at ``end + settle`` unless a non-provisional snapshot covers up to
    its end. Where sessions overlap, a slot is owed only for the time its session owns
    (:func:`owned_spans`): a slot cut by another session's time is owed as the part its
    own session owns. Owed slots are written oldest first, at most ``max_slots`` per tick,
    or only the newest with ``catch_up = "latest"`` (the others counted as skipped). The
    newest is ``schedule`` when written within ``late_grace_seconds`` of its due time,
    every other one ``catch_up``. Not owed: slots that ended inside a pause
    ``[paused_at, until)``, and slots that ended after their session was closed early.
    While ``now`` itself is inside a pause nothing is planned.
    """
    if settle_seconds < 0 or late_grace_seconds < 0:
        raise ValueError("settle and grace cannot be negative")
    if max_slots < 1:
        raise ValueError("max_slots must be at least 1")
    if catch_up not in ("all", "latest"):
        raise ValueError(f"unknown catch_up mode: {catch_up!r}")
    now = _utc(now, "now")
    settle = timedelta(seconds=settle_seconds)
    pauses = [
        (_utc(a, "paused_at"), None if b is None else _utc(b, "resumed_at")) for a, b in paused
    ]
    due: list[tuple[int, Slot]] = []
    dropped = 0
    next_due_at: datetime | None = None
    owned = owned_spans(sessions, cadence_hours)
    for index, session in enumerate(sessions):
        owed, not_yet, lost = _owed_slots(
            session, owned[index], cadence_hours, now, settle, pauses=pauses
        )
        due += [(index, slot) for slot in owed]
        dropped += lost
        if not_yet is not None and (next_due_at is None or not_yet < next_due_at):
            next_due_at = not_yet
    due.sort(key=lambda item: item[1].end)

    waiting = _planned(due[:1], sessions, now, settle, late_grace_seconds, newest=None)
    first = waiting[0][1] if waiting else None
    if _in_pause(now, pauses):
        return SitePlan([], 0, next_due_at, len(due), dropped, first)
    skipped = remaining = 0
    if catch_up == "latest":
        chosen = due[-1:]
        skipped = max(0, len(due) - 1)
    else:
        chosen = due[:max_slots]
        remaining = len(due) - len(chosen)
    newest = due[-1][1] if due else None
    planned = _planned(chosen, sessions, now, settle, late_grace_seconds, newest=newest)
    return SitePlan(planned, skipped, next_due_at, remaining, dropped, first)


def _owed_slots(
    session: SessionWindow,
    owned: Sequence[Span],
    cadence: float,
    now: datetime,
    settle: timedelta,
    *,
    pauses: Sequence[Pause],
) -> tuple[list[Slot], datetime | None, int]:
    """(due unwritten slots, when the next one becomes due, slots lost to a pause).

    Only the parts of the slots inside ``owned`` (the session's own time, less what is
    written) are owed; a slot after the written ones starts where they stopped (the
    cadence changed mid-session)."""
    covered = session.state.covered_until
    covered = None if covered is None else _utc(covered, "covered_until")
    owed: list[Slot] = []
    lost = 0
    grid = _Grid(session.start, session.end, cadence)
    for slot in grid.slots(after=covered):
        if not owned or slot.start >= owned[-1][1]:
            break
        for part in _parts(slot, owned):
            is_due = part.end + settle <= now
            if _in_pause(part.end, pauses):
                lost += 1 if is_due else 0
                continue
            if not is_due:
                return owed, part.end + settle, lost
            owed.append(part)
    return owed, None, lost


def _planned(
    chosen: Sequence[tuple[int, Slot]],
    sessions: Sequence[SessionWindow],
    now: datetime,
    settle: timedelta,
    late_grace_seconds: float,
    *,
    newest: Slot | None,
) -> list[tuple[int, PlannedSlot]]:
    wakes: dict[int, list[int]] = {}
    for index in dict.fromkeys(i for i, _ in chosen):
        mine = [slot for i, slot in chosen if i == index]
        wakes[index] = _wake_numbers(mine, sessions[index].state)
    out: list[tuple[int, PlannedSlot]] = []
    for index, slot in chosen:
        due_at = slot.end + settle
        late_by = max(0.0, (now - due_at).total_seconds())
        on_time = slot == newest and late_by <= late_grace_seconds
        trigger: Trigger = "schedule" if on_time else "catch_up"
        wake = wakes[index].pop(0)
        out.append((index, PlannedSlot(slot, wake, trigger, due_at, late_by, provisional=False)))
    return out


def plan_force(
    *,
    sessions: Sequence[SessionWindow],
    index: int,
    cadence_hours: float,
    now: datetime,
) -> PlannedSlot | str:
    """The current, still incomplete slot of ``sessions[index]`` cut at ``now``, as a
    provisional snapshot, or why there is none: ``now`` outside the session, exactly on a
    slot boundary (the window ``[now, now)`` would be empty), behind a snapshot the
    session already has (a window never ends before the session's newest slot: the clock
    that says "now" is behind the one that wrote it), or not the session's own time.

    The window is cut like the regular slot it stands for (:func:`owned_spans`): where
    another session owns or has written the slot's beginning, it starts after that, so the
    regular slot replaces it when it completes."""
    now = _utc(now, "now")
    session = sessions[index]
    state = session.state
    current = slot_at(session.start, session.end, cadence_hours, now)
    if current is None:
        return "outside the session"
    if current.start == now:
        return FORCE_ON_BOUNDARY
    newest = state.covered_until
    if newest is not None and _utc(newest, "covered_until") > now:
        return (
            f"the session already has wake {state.last_wake_number} ending"
            f" {_utc(newest, 'covered_until'):%Y-%m-%d %H:%M:%S} UTC, after now"
            f" ({now:%Y-%m-%d %H:%M:%S} UTC): is this clock behind the schedulers'?"
        )
    owned = owned_spans(sessions, cadence_hours)[index]
    parts = _parts(Slot(k=current.k, start=current.start, end=now), owned)
    if not parts or parts[-1].end != now:
        return FORCE_NOT_OWNED
    (wake,) = _wake_numbers(parts[-1:], state)
    return PlannedSlot(parts[-1], wake, "force", due_at=now, late_by_seconds=0.0, provisional=True)


FORCE_ON_BOUNDARY = "slot boundary: nothing to force yet"
FORCE_NOT_OWNED = "another session of the site owns or has written this instant"


def _wake_numbers(slots: Sequence[Slot], state: SessionState) -> list[int]:
    """Wake numbers for slots planned in order.

    A slot with a provisional row reuses its wake number (the write replaces that row).
    Any other slot gets ``max(k, previous + 1)``, stepping over wake numbers held by
    other provisional rows, so numbers stay unique and increasing within the session
    even when the cadence changes mid-session. Never below 1.
    """
    held = set(state.provisional.values())
    previous = state.last_wake_number
    wakes: list[int] = []
    for slot in slots:
        wake = state.provisional.get(slot.start)
        if wake is None:
            wake = max(slot.k, previous + 1, 1)
            while wake in held:
                wake += 1
        previous = max(previous, wake)
        wakes.append(wake)
    return wakes


def _in_pause(t: datetime, pauses: Sequence[Pause]) -> bool:
    return any(start <= t and (end is None or t < end) for start, end in pauses)


def _step_us(cadence: float) -> float:
    if not math.isfinite(cadence) or cadence < MIN_CADENCE_HOURS:
        raise ValueError(f"not a cadence: {cadence!r} hours")
    return cadence * _US_PER_HOUR


def _utc(at: datetime, name: str) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return at.astimezone(UTC)
