"""One clock for everything: the only place that reads the wall clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, ``run-once --at``)."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class AcceleratedClock:
    """Runs ``speed`` times faster than real time from ``start`` (the demo)."""

    def __init__(self, start: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = _aware(start)
        self._speed = speed
        self._origin = time.monotonic()

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._origin
        return self._start + timedelta(seconds=elapsed * self._speed)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
    return at.astimezone(UTC)
