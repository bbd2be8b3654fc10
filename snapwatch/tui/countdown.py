"""Time-relative cell texts (``in 4m``, ``12s ago``) and when each next changes.

A pane re-renders these cells every second from the last read, without a query. To keep
a 5,000-row table cheap, every text comes with the instant it next changes, and
:class:`Ticker` only recomputes the cells whose instant has passed: a site due in three
hours costs one update a minute, not one a second. Instants are on the app's clock (an
accelerated demo clock moves them faster; a fixed clock never does).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta

from snapwatch.durations import format_duration

MINUTE = 60
HOUR = 3600
DAY = 86_400
JUST_NOW_SECONDS = 5
"""An age below this reads "just now" (as :func:`snapwatch.readmodels.display.age_text`)."""

NEVER = timedelta(days=3650)


def _until_boundary(value: float, unit: float) -> float:
    """For ``value`` growing in real time: seconds until ``value // unit`` changes."""
    return (math.floor(value / unit) + 1) * unit - value


def _until_floor(value: float, unit: float) -> float:
    """For ``value`` shrinking in real time: seconds until ``value // unit`` changes."""
    below = math.floor(value / unit) * unit
    gap = value - below
    return gap if gap > 0 else unit


def age(seconds: float) -> tuple[str, float]:
    """How long ago (``seconds`` ≥ 0 elapsed): the text and seconds until it changes.

    The same words as :func:`snapwatch.readmodels.display.age_text`."""
    if seconds < JUST_NOW_SECONDS:
        return "just now", JUST_NOW_SECONDS - seconds
    if seconds < MINUTE:
        return f"{int(seconds)}s ago", _until_boundary(seconds, 1)
    if seconds < HOUR:
        return f"{int(seconds // MINUTE)}m ago", _until_boundary(seconds, MINUTE)
    if seconds < 48 * HOUR:
        return f"{int(seconds // HOUR)}h ago", _until_boundary(seconds, HOUR)
    return f"{int(seconds // DAY)}d ago", _until_boundary(seconds, DAY)


def countdown(seconds: float) -> tuple[str, float]:
    """Time left (``seconds`` > 0): ``in 45s``, ``in 14m``, ``in 3h 20m``, and seconds
    until the text changes. Seconds show only in the last minute, minutes below an hour."""
    if seconds < MINUTE:
        whole = max(1, math.ceil(seconds))
        return f"in {whole}s", _until_floor(seconds, 1)
    if seconds < HOUR:
        return f"in {int(seconds // MINUTE)}m", _until_floor(seconds, MINUTE)
    return f"in {format_duration(seconds)}", _until_floor(seconds, MINUTE)


def relative(at: datetime | None, now: datetime, *, none: str = "—") -> tuple[str, datetime]:
    """``at`` relative to ``now`` (a countdown ahead, an age behind) and the instant the
    text next changes (far away for ``None``)."""
    if at is None:
        return none, now + NEVER
    seconds = (at - now).total_seconds()
    if seconds > 0:
        text, left = countdown(seconds)
    else:
        text, left = age(-seconds)
    return text, now + timedelta(seconds=max(left, 0.001))


def since(at: datetime | None, now: datetime, *, none: str = "never") -> tuple[str, datetime]:
    """An age (``at`` in the past; a future ``at`` reads as a countdown)."""
    return relative(at, now, none=none)


class Ticker:
    """Which keys need their time-relative text recomputed as the clock moves.

    ``schedule(key, at)`` says the key's text changes at ``at``; :meth:`due` pops every
    key whose instant has passed. A key scheduled again replaces its earlier entry."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Hashable]] = []
        self._when: dict[Hashable, datetime] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._when)

    def schedule(self, key: Hashable, at: datetime) -> None:
        self._when[key] = at
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, key))

    def forget(self, key: Hashable) -> None:
        self._when.pop(key, None)

    def clear(self) -> None:
        self._heap.clear()
        self._when.clear()

    def due(self, now: datetime) -> list[Hashable]:
        found: list[Hashable] = []
        while self._heap and self._heap[0][0] <= now:
            at, _, key = heapq.heappop(self._heap)
            if self._when.get(key) == at:  # else replaced or forgotten
                del self._when[key]
                found.append(key)
        if len(self._heap) > 4 * len(self._when) + 64:  # drop stale entries now and then
            self._heap = [(t, s, k) for t, s, k in self._heap if self._when.get(k) == t]
            heapq.heapify(self._heap)
        return found

    def run(self, now: datetime, update: Callable[[Hashable], datetime | None]) -> int:
        """Call ``update(key)`` for every due key; it returns the key's next instant (or
        None when the key is gone). Returns how many keys were updated."""
        keys = self.due(now)
        for key in keys:
            nxt = update(key)
            if nxt is not None:
                self.schedule(key, nxt)
        return len(keys)
