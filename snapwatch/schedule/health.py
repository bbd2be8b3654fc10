"""Health in the vocabulary of cron monitors: scheduler instances and sites.

Pure judgements over plain values (``cadence.md``, "Ticks and health"); the reads that
gather what they need for every site are :mod:`snapwatch.schedule.judging`'s. Health
comes from what the database shows, never from configuration: an instance is judged at
the database's ``now()`` read with its row (``InstanceRow.db_now``), never at the local
clock, so hosts with skewed clocks agree.

Instance states, checked in this order:

- ``stopped``: the process said goodbye (``stopped_at`` is set);
- ``down``: no heartbeat for longer than :data:`DOWN_AFTER_TICKS` tick intervals plus
  :data:`DOWN_GRACE_SECONDS` (the process died or lost the database);
- ``failed``: its last tick ended with an error (``last_error`` set and no success since
  that tick started);
- ``late``: alive, but ``next_tick_at`` passed more than one tick interval plus
  :data:`LATE_GRACE_SECONDS` ago (the event loop is stuck, or ticks take too long);
- ``paused``: ticking and heartbeating, writing nothing (a pause is in force);
- ``ok``.

A site with more than one session open now keeps its state; its ``session_note`` names
the other sessions and the one that gets the slots (:func:`snapwatch.schedule.sessions.precedence`).

Site states, checked in this order (the order of :func:`snapwatch.schedule.cadence.eligibility`):

- ``not_eligible``: no plan (no cadence, no counting devices, no session), or no open
  session and nothing owed; ``reason`` is the :class:`~snapwatch.schedule.cadence.Reason` value;
- ``paused``: a site or global pause is in force now;
- ``failing``: the site's most recent run outcome failed and it still has a due slot;
  ``reason`` is the error;
- ``due``: a slot is due and unwritten for at most ``late_grace_seconds``;
- ``late``: it has waited longer (a site that should get snapshots and has none within
  its cadence, settle and grace);
- ``on_time``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from snapwatch.infra.config import SchedulerSettings
from snapwatch.schedule.cadence import Reason
from snapwatch.schedule.instances import InstanceRow
from snapwatch.schedule.plan import SitePlan
from snapwatch.schedule.sitestate import SiteView
from snapwatch.text.durations import format_duration

DOWN_AFTER_TICKS = 3
"""Heartbeats missed (in tick intervals) before an instance counts as down."""
DOWN_GRACE_SECONDS = 30.0
"""Added to the missed-heartbeat limit: a slow tick or a short network blip is not death."""
LATE_GRACE_SECONDS = 10.0
"""Added to one tick interval before an overdue ``next_tick_at`` makes an instance late."""


class InstanceState(StrEnum):
    OK = "ok"
    LATE = "late"
    DOWN = "down"
    FAILED = "failed"
    PAUSED = "paused"
    STOPPED = "stopped"


LIVE_INSTANCE_STATES = frozenset(
    {InstanceState.OK, InstanceState.LATE, InstanceState.FAILED, InstanceState.PAUSED}
)
"""States of an instance that is still running its scheduler (neither stopped nor down)."""


class SiteState(StrEnum):
    ON_TIME = "on_time"
    DUE = "due"
    LATE = "late"
    PAUSED = "paused"
    NOT_ELIGIBLE = "not_eligible"
    FAILING = "failing"


@dataclass(frozen=True)
class InstanceHealth(InstanceRow):
    """An instance row with its judged state and a one-line reason."""

    state: InstanceState
    reason: str

    @property
    def heartbeat_age_seconds(self) -> float:
        return max(0.0, (self.db_now - self.heartbeat_at).total_seconds())

    @property
    def live(self) -> bool:
        """Still scheduling: neither stopped nor down."""
        return self.state in LIVE_INSTANCE_STATES


def down_after_seconds(tick_seconds: float) -> float:
    """How long without a heartbeat before an instance ticking every ``tick_seconds`` is down."""
    return DOWN_AFTER_TICKS * tick_seconds + DOWN_GRACE_SECONDS


def late_after_seconds(tick_seconds: float) -> float:
    """How far past ``next_tick_at`` an instance may be before it is late."""
    return tick_seconds + LATE_GRACE_SECONDS


def instance_health(row: InstanceRow) -> InstanceHealth:
    """Judge one instance at ``row.db_now``."""
    state, reason = _instance_state(row)
    values = {f.name: getattr(row, f.name) for f in fields(InstanceRow)}
    return InstanceHealth(**values, state=state, reason=reason)


def _instance_state(row: InstanceRow) -> tuple[InstanceState, str]:
    now = row.db_now
    if row.stopped_at is not None:
        return InstanceState.STOPPED, f"stopped {format_duration(now - row.stopped_at)} ago"
    silent = (now - row.heartbeat_at).total_seconds()
    limit = down_after_seconds(row.tick_seconds)
    if silent > limit:
        return InstanceState.DOWN, (
            f"no heartbeat for {format_duration(silent)} (limit {format_duration(limit)})"
        )
    if row.last_error is not None and (
        row.last_success_at is None
        or (row.last_tick_at is not None and row.last_success_at < row.last_tick_at)
    ):
        return InstanceState.FAILED, f"last tick failed: {row.last_error}"
    if row.next_tick_at is not None:
        overdue = (now - row.next_tick_at).total_seconds()
        if overdue > late_after_seconds(row.tick_seconds):
            return InstanceState.LATE, f"next tick overdue by {format_duration(overdue)}"
    if row.paused:
        return InstanceState.PAUSED, "paused: ticking, writing nothing"
    return InstanceState.OK, "ticking"


@dataclass(frozen=True)
class SiteHealth:
    site_id: UUID
    site_name: str
    program_name: str
    state: SiteState
    reason: str | None
    """not_eligible: the Reason value; paused: who and why; failing: the error;
    due/late: which wake waits; on_time: None."""
    waiting_for_wake: int | None
    """Wake number of the oldest due, unwritten slot."""
    waiting_for_start: datetime | None
    waiting_for_end: datetime | None
    waiting_since: datetime | None
    """When that slot became due (its end plus settle)."""
    late_by_seconds: float | None
    """How long that slot has waited (late once above ``late_grace_seconds``)."""
    next_due_at: datetime | None
    last_snapshot_at: datetime | None
    cadence_hours: float | None
    cadence_note: str | None
    """The invalid cadence value, or which column was used and why when the two disagree."""
    device_count: int
    session_note: str | None
    """Sessions open now beside the one that gets the slots, and which one that is."""
    overlapping_sessions: tuple[UUID, ...]
    """The ids of those other open sessions (they get no slots while they overlap)."""


def site_health(
    view: SiteView,
    now: datetime,
    sched: SchedulerSettings,
    last_error: str | None,
    plan: SitePlan | None,
) -> SiteHealth:
    """Judge one site at ``now``. ``last_error`` is the error of the site's most recent
    run outcome when that outcome failed (None otherwise); a paused site's reason says who
    paused it, why and for how long. ``plan``: the site's plan at ``now``
    (:meth:`~snapwatch.schedule.sitestate.SiteView.plan`)."""
    waiting = plan.waiting_for if plan is not None else None
    late_by = _late_by(None if waiting is None else waiting.due_at, now)
    state, reason = _site_state(
        view,
        now,
        sched,
        last_error=last_error,
        no_plan=plan is None,
        late_by=late_by,
    )
    timed = _timed_reason(
        state, view, now, None if waiting is None else waiting.wake_number, late_by
    )
    return SiteHealth(
        site_id=view.facts.site_id,
        site_name=view.facts.site_name,
        program_name=view.facts.program_name,
        state=state,
        reason=reason if timed is None else timed,
        waiting_for_wake=None if waiting is None else waiting.wake_number,
        waiting_for_start=None if waiting is None else waiting.slot.start,
        waiting_for_end=None if waiting is None else waiting.slot.end,
        waiting_since=None if waiting is None else waiting.due_at,
        late_by_seconds=late_by,
        next_due_at=None if plan is None else plan.next_due_at,
        last_snapshot_at=view.last_snapshot_at,
        cadence_hours=view.cadence,
        cadence_note=view.cadence_choice.note,
        device_count=view.device_count,
        session_note=_session_note(view),
        overlapping_sessions=tuple(s.facts.session_id for s in view.other_open_sessions),
    )


def at_instant(health: SiteHealth, view: SiteView, now: datetime) -> SiteHealth:
    """``health``, judged earlier of ``view``, as it reads at ``now``, an instant before the
    judgement may change (:func:`judged_until`): how long its slot has waited, and how long
    its pause has left."""
    if not reads_by_instant(health):
        return health
    late_by = _late_by(health.waiting_since, now)
    timed = _timed_reason(health.state, view, now, health.waiting_for_wake, late_by)
    if late_by == health.late_by_seconds and (timed is None or timed == health.reason):
        return health
    # A copy with two fields changed, made as ``dataclasses.replace`` would but without its
    # generic field walk (ten times the cost, for thousands of sites a read).
    waited = object.__new__(SiteHealth)
    waited.__dict__.update(
        health.__dict__, late_by_seconds=late_by, reason=health.reason if timed is None else timed
    )
    return waited


def reads_by_instant(health: SiteHealth) -> bool:
    """Whether the judgement's words change from one instant to the next (a slot waits,
    or the site is paused): what :func:`at_instant` reads again."""
    return health.waiting_since is not None or health.state is SiteState.PAUSED


def _late_by(due_at: datetime | None, now: datetime) -> float | None:
    """How long a slot due at ``due_at`` has waited at ``now`` (None: no slot waits)."""
    return None if due_at is None else max(0.0, (now - due_at).total_seconds())


def _timed_reason(
    state: SiteState, view: SiteView, now: datetime, wake: int | None, late_by: float | None
) -> str | None:
    """The reason of a state whose words change with the instant (None for the others):
    which wake waits and for how long; who paused the site, why and for how long yet."""
    if state is SiteState.DUE or state is SiteState.LATE:
        assert late_by is not None
        return f"wake {wake} due {format_duration(late_by)} ago"
    if state is SiteState.PAUSED:
        pause = view.paused_at(now)
        assert pause is not None
        return pause.note(now)
    return None


def _session_note(view: SiteView) -> str | None:
    """``overlapping session <id> (<date>) gets no slots; session <id> (<date>) gets
    them`` when more than one session is open now."""
    chosen, others = view.open_session, view.other_open_sessions
    if chosen is None or not others:
        return None
    named = ", ".join(f"{s.facts.session_id} ({s.facts.session_date})" for s in others)
    sessions, get = ("sessions", "get") if len(others) > 1 else ("session", "gets")
    return (
        f"overlapping {sessions} {named} {get} no slots;"
        f" session {chosen.facts.session_id} ({chosen.facts.session_date}) gets them"
    )


def _site_state(
    view: SiteView,
    now: datetime,
    sched: SchedulerSettings,
    *,
    last_error: str | None,
    no_plan: bool,
    late_by: float | None,
) -> tuple[SiteState, str | None]:
    if no_plan:
        return SiteState.NOT_ELIGIBLE, (view.reason or Reason.NO_OPEN_SESSION).value
    if late_by is None and view.open_session is None:
        return SiteState.NOT_ELIGIBLE, Reason.NO_OPEN_SESSION.value
    if view.paused_at(now) is not None:
        return SiteState.PAUSED, None
    if late_by is None:
        return SiteState.ON_TIME, None
    if last_error is not None:
        return SiteState.FAILING, last_error
    # The same edge as the planner's: a slot written exactly at the grace is still on time.
    if late_by <= sched.late_grace_seconds:
        return SiteState.DUE, None
    return SiteState.LATE, None


def count_states(sites: Iterable[SiteHealth]) -> dict[str, int]:
    """How many sites are in each state; every state is present (0 when none)."""
    counts = {state.value: 0 for state in SiteState}
    for site in sites:
        counts[site.state.value] += 1
    return counts


def count_instance_states(instances: Iterable[InstanceHealth]) -> dict[str, int]:
    """How many instances are in each state; every state is present (0 when none)."""
    counts = {state.value: 0 for state in InstanceState}
    for instance in instances:
        counts[instance.state.value] += 1
    return counts
