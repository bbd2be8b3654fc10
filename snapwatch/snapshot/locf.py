"""Last observation carried forward: how fresh a device's newest observation is for a round.

One rule for telemetry and MGI alike, over the half-open round ``[start, end)``:
captured inside it → ``current_wake``; before it and at most ``max_age_hours`` before the
round end → ``carried_forward``; older → ``stale``; nothing → ``no_data``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar

from snapwatch.snapshot.model import Freshness

T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """A round ``[start, end)``."""

    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def hours_to_end(self, at: datetime) -> float:
        """Round end − ``at`` in hours, 2 decimals."""
        return round((self.end - at).total_seconds() / 3600, 2)


class Locf(NamedTuple):
    """The freshness of one observation (a tuple: one is made per device and block of
    every document, so it must be cheap)."""

    freshness: Freshness
    hours_since_last: float | None

    @property
    def is_current(self) -> bool:
        return self.freshness == "current_wake"

    @property
    def usable(self) -> bool:
        """Whether the observation's values belong in the document (current or carried)."""
        return self.freshness in ("current_wake", "carried_forward")


NO_DATA = Locf("no_data", None)


def classify(captured_at: datetime | None, window: Window, max_age_hours: float) -> Locf:
    """Freshness of the newest observation captured at ``captured_at`` (None: none)."""
    if captured_at is None or captured_at >= window.end:
        return NO_DATA
    hours = window.hours_to_end(captured_at)
    if captured_at >= window.start:
        return Locf("current_wake", hours)
    if window.end - captured_at <= timedelta(hours=max_age_hours):
        return Locf("carried_forward", hours)
    return Locf("stale", hours)


def before_end(items: Iterable[T], window: Window, at: Callable[[T], datetime]) -> list[T]:
    """The items captured before the round end, newest first (later ones never count)."""
    kept = [item for item in items if at(item) < window.end]
    return sorted(kept, key=at, reverse=True)
