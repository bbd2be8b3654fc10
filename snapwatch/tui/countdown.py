"""When the time-relative cell texts (:mod:`snapwatch.text.times`) next change.

A pane re-renders these cells every second from the last read, without a query. To keep
a 5,000-row table cheap, every text comes with the instant it next changes, and
:class:`Ticker` only recomputes the cells whose instant has passed: a site due in three
hours costs one update a minute, not one a second. Instants are on the app's clock (an
accelerated demo clock moves them faster; a fixed clock never does).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable
from datetime import datetime


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
