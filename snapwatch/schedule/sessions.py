"""A site's sessions: their snapshots so far, their windows, and who owns an instant when
they overlap (the session that started last)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from uuid import UUID

from snapwatch.schedule.cadence import session_phase
from snapwatch.schedule.slots import Slot, Span, as_utc, grid_of

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
        if self.provisional and min(self.provisional.values()) < 1:
            raise ValueError("wake numbers start at 1")
        if (self.covered_from is None) != (self.covered_until is None):
            raise ValueError("covered_from and covered_until are both set or both unset")

    @property
    def written(self) -> Span | None:
        """From the first to the end of the last of the session's non-provisional
        snapshots (None: none yet)."""
        if self.covered_from is None or self.covered_until is None:
            return None
        return as_utc(self.covered_from, "covered_from"), as_utc(
            self.covered_until, "covered_until"
        )


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

    @cached_property
    def plan_inputs(self) -> tuple[Hashable, ...]:
        """Everything of the session a plan depends on but its id: its start and end, when
        it was closed, and its snapshots so far (made once: a window is never changed)."""
        state = self.state
        return (
            self.start,
            self.end,
            self.closed_at,
            state.covered_from,
            state.covered_until,
            state.last_wake_number,
            tuple(state.provisional.items()),
        )

    @property
    def span(self) -> Span:
        """When the session was open: from its start to its end, or to its lock when it was
        locked before its end."""
        end = self.end if self.closed_at is None else min(self.end, self.closed_at)
        return as_utc(self.start, "session_start"), as_utc(end, "session_end")


# --- sessions that overlap --------------------------------------------------------------


def precedence(session: SessionWindow) -> tuple[datetime, UUID]:
    """The one rule for a site's sessions that overlap: at any instant the session that
    started last owns it (a session that starts inside another one takes over from its
    start, and hands back at its end); of sessions that started together, the one with
    the larger ``session_id``. The greatest key wins."""
    return as_utc(session.start, "session_start"), session.session_id


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
    now = as_utc(now, "now")
    phases = [
        session_phase(as_utc(s.start, "session_start"), as_utc(s.end, "session_end"), now)
        for s in sessions
    ]
    started = [i for i, (began, _) in enumerate(phases) if began]
    ended = [i for i in started if phases[i][1]]
    previous = chosen_session(sessions, ended)
    if previous is None:
        return started
    since = as_utc(sessions[previous].start, "session_start")
    return [i for i in started if as_utc(sessions[i].end, "session_end") > since]


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
    grid = grid_of(session.start, session.end, cadence)
    if session.closed_at is None:
        return grid.start, grid.end
    k = grid.index_at(as_utc(session.closed_at, "closed_at"))
    if k is None:
        return grid.start, max(grid.start, min(grid.end, as_utc(session.closed_at, "closed_at")))
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


def owned_parts(slot: Slot, owned: Sequence[Span]) -> list[Slot]:
    """The parts of ``slot`` inside ``owned``, in order, each keeping the slot's ``k``."""
    return [
        Slot(slot.k, max(slot.start, start), min(slot.end, end))
        for start, end in owned
        if start < slot.end and slot.start < end
    ]
