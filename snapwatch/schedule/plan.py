"""What a tick writes for a site: the due slots of its sessions, catch-up, pauses, force.

Pure functions of their arguments (no database, no I/O, no clock).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from snapwatch.schedule.sessions import (
    SessionState,
    SessionWindow,
    owned_parts,
    owned_spans,
    precedence,
)
from snapwatch.schedule.slots import Slot, Span, as_utc, grid_of, slot_at, within
from snapwatch.snapshot.inputs import Trigger

CatchUp = Literal["all", "latest"]
Pause = tuple[datetime, datetime | None]


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
    now = as_utc(now, "now")
    settle = timedelta(seconds=settle_seconds)
    pauses = [
        (as_utc(a, "paused_at"), None if b is None else as_utc(b, "resumed_at")) for a, b in paused
    ]
    due: list[tuple[int, Slot]] = []
    next_due_at: datetime | None = None
    owned = owned_spans(sessions, cadence_hours)
    for index, session in enumerate(sessions):
        owed, not_yet = _owed_slots(
            session, owned[index], cadence_hours, now, settle, pauses=pauses
        )
        due += [(index, slot) for slot in owed]
        if not_yet is not None and (next_due_at is None or not_yet < next_due_at):
            next_due_at = not_yet
    due.sort(key=lambda item: item[1].end)

    waiting = _planned(due[:1], sessions, now, settle, late_grace_seconds, newest=None)
    first = waiting[0][1] if waiting else None
    if _in_pause(now, pauses):
        return SitePlan([], 0, next_due_at, first)
    skipped = 0
    if catch_up == "latest":
        chosen = due[-1:]
        skipped = max(0, len(due) - 1)
    else:
        chosen = due[:max_slots]
    newest = due[-1][1] if due else None
    planned = _planned(chosen, sessions, now, settle, late_grace_seconds, newest=newest)
    return SitePlan(planned, skipped, next_due_at, first)


class Plans:
    """The plans of many sites at one instant, each made once for the sites whose planning
    inputs are the same (in steady state, the sites of one time zone and cadence): a plan
    depends on its sessions' spans, their snapshots so far, the cadence, the pauses, the
    instant and the settings, and on the sessions' ids only through their order of
    precedence. A plan is shared, never changed; the instance is kept for one read."""

    def __init__(self) -> None:
        self._made: dict[Hashable, SitePlan] = {}

    def plan(
        self,
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
        """:func:`plan_site` of these arguments (the same plan for the same inputs)."""
        settings = (now, settle_seconds, catch_up, max_slots, late_grace_seconds)
        key = (_inputs(sessions), cadence_hours, tuple(paused), settings)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = plan_site(
                sessions=sessions,
                cadence_hours=cadence_hours,
                now=now,
                settle_seconds=settle_seconds,
                catch_up=catch_up,
                max_slots=max_slots,
                late_grace_seconds=late_grace_seconds,
                paused=paused,
            )
        return made


def _inputs(sessions: Sequence[SessionWindow]) -> Hashable:
    """Everything of ``sessions`` a plan depends on: no session id, only their order."""
    order = tuple(sorted(range(len(sessions)), key=lambda i: precedence(sessions[i])))
    return order, tuple(s.plan_inputs for s in sessions)


def _owed_slots(
    session: SessionWindow,
    owned: Sequence[Span],
    cadence: float,
    now: datetime,
    settle: timedelta,
    *,
    pauses: Sequence[Pause],
) -> tuple[list[Slot], datetime | None]:
    """(due unwritten slots, when the next one becomes due); a slot that ended inside a
    pause is not owed.

    Only the parts of the slots inside ``owned`` (the session's own time, less what is
    written) are owed; a slot after the written ones starts where they stopped (the
    cadence changed mid-session)."""
    covered = session.state.covered_until
    covered = None if covered is None else as_utc(covered, "covered_until")
    owed: list[Slot] = []
    for part in session_slots(session, owned, cadence, pauses=pauses, after=covered):
        if part.end + settle > now:
            return owed, part.end + settle
        owed.append(part)
    return owed, None


def session_slots(
    session: SessionWindow,
    owned: Sequence[Span],
    cadence: float,
    *,
    pauses: Sequence[Pause] = (),
    after: datetime | None = None,
) -> Iterator[Slot]:
    """The slots (or the parts of them) the session owns (``owned``, from
    :func:`owned_spans`), oldest first, but those that ended inside a pause; with
    ``after``, only those ending after that instant. Owed once each, whoever writes them:
    the scheduler as they become due, a backfill for the past."""
    grid = grid_of(session.start, session.end, cadence)
    for slot in grid.slots(after=after):
        if not owned or slot.start >= owned[-1][1]:
            return
        for part in owned_parts(slot, owned):
            if not _in_pause(part.end, pauses):
                yield part


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
    now = as_utc(now, "now")
    session = sessions[index]
    state = session.state
    current = slot_at(session.start, session.end, cadence_hours, now)
    if current is None:
        return "outside the session"
    if current.start == now:
        return FORCE_ON_BOUNDARY
    newest = state.covered_until
    if newest is not None and as_utc(newest, "covered_until") > now:
        return (
            f"the session already has wake {state.last_wake_number} ending"
            f" {as_utc(newest, 'covered_until'):%Y-%m-%d %H:%M:%S} UTC, after now"
            f" ({now:%Y-%m-%d %H:%M:%S} UTC): is this clock behind the schedulers'?"
        )
    owned = owned_spans(sessions, cadence_hours)[index]
    parts = owned_parts(Slot(k=current.k, start=current.start, end=now), owned)
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
    return any(within(t, start, end) for start, end in pauses)
