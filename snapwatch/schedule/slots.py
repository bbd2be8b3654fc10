"""The slot grid of a session: slot k is the half-open window ``[start, end)``.

Pure functions of their arguments. Every instant is a timezone-aware datetime and every
result is in UTC. Slot arithmetic is done on UTC instants only, so DST days simply have
fewer or more slots. Windows are half-open ``[start, end)``: an instant exactly on a
boundary belongs to the later slot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from snapwatch.schedule.cadence import MIN_CADENCE_HOURS

Span = tuple[datetime, datetime]
"""A half-open stretch of time ``[start, end)``."""

_US_PER_HOUR = 3_600_000_000
_ONE_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Slot:
    """Slot ``k`` (1-based) of a session: the half-open window ``[start, end)``."""

    k: int
    start: datetime
    end: datetime


class Grid:
    """Slot boundaries of one session as exact microsecond offsets from its start.

    Boundary k sits at ``round(k * c)`` microseconds (not ``k * round(c)``), so the
    grid of any cadence that divides the session lands exactly on its end.
    """

    def __init__(self, start: datetime, end: datetime, cadence: float) -> None:
        self.start = as_utc(start, "session_start")
        self.end = as_utc(end, "session_end")
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


@lru_cache(maxsize=4096)
def grid_of(session_start: datetime, session_end: datetime, cadence_hours: float) -> Grid:
    """The grid of a session (one per span and cadence: sites of one time zone and cadence
    share their sessions' grids, so a fleet's planning builds a handful). A grid is never
    changed once built."""
    return Grid(session_start, session_end, cadence_hours)


def slot_count(session_start: datetime, session_end: datetime, cadence_hours: float) -> int:
    """How many slots (wakes) a session has at this cadence."""
    return grid_of(session_start, session_end, cadence_hours).count


def slot_grid(session_start: datetime, session_end: datetime, cadence_hours: float) -> list[Slot]:
    """All slots of a session: contiguous, half-open, the last one clamped to its end."""
    return list(grid_of(session_start, session_end, cadence_hours).slots())


def slot_at(
    session_start: datetime, session_end: datetime, cadence_hours: float, t: datetime
) -> Slot | None:
    """The slot containing ``t`` (a boundary instant belongs to the later slot), or None
    when ``t`` is outside the session."""
    grid = grid_of(session_start, session_end, cadence_hours)
    k = grid.index_at(as_utc(t, "t"))
    return None if k is None else grid.slot(k)


def _step_us(cadence: float) -> float:
    if not math.isfinite(cadence) or cadence < MIN_CADENCE_HOURS:
        raise ValueError(f"not a cadence: {cadence!r} hours")
    return cadence * _US_PER_HOUR


def as_utc(at: datetime, name: str) -> datetime:
    zone = at.tzinfo
    if zone is UTC:  # already converted (the planner converts each instant once)
        return at
    if zone is None:
        raise ValueError(f"{name} must be timezone-aware")
    return at.astimezone(UTC)


def within(t: datetime, start: datetime, end: datetime | None) -> bool:
    """``t`` lies in the half-open stretch ``[start, end)`` (``end`` None: open-ended)."""
    return start <= t and (end is None or t < end)
