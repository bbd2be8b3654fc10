"""Is the daemon's event loop still running? The answer of ``/livez``.

A small task on the event loop beats every :data:`BEAT_SECONDS`, whatever the database
does (it never touches it), so the beat goes on through an outage while every tick
fails. When the loop is wedged (a blocking call, a deadlock) the beat stops; once the
last one is older than ``missed_ticks`` tick intervals (never less than
:data:`MIN_LIMIT_SECONDS`), ``/livez`` answers 503 and a supervisor may restart the
process. Readiness (ticks that succeed, a reachable database) is ``/readyz``'s.

The beat is written by the loop and read by the metrics thread: one float, replaced whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

BEAT_SECONDS = 1.0
MIN_LIMIT_SECONDS = 5.0
"""A short tick interval does not make a few late beats (a busy host) look like a wedge."""


class Liveness:
    def __init__(
        self,
        tick_seconds: float,
        missed_ticks: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.missed_ticks = missed_ticks
        self.limit_seconds = MIN_LIMIT_SECONDS
        self.set_tick_seconds(tick_seconds)
        self._monotonic = monotonic
        self._beat = monotonic()

    def set_tick_seconds(self, seconds: float) -> None:
        """The tick interval the limit counts in (the scheduler's, once it is known)."""
        self.limit_seconds = max(self.missed_ticks * seconds, MIN_LIMIT_SECONDS)

    def beat(self) -> None:
        self._beat = self._monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        """Beat every :data:`BEAT_SECONDS` until ``stop`` is set."""
        while not stop.is_set():
            self.beat()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=BEAT_SECONDS)

    def check(self) -> tuple[bool, str]:
        age = self._monotonic() - self._beat
        if age > self.limit_seconds:
            return False, (
                f"event loop stalled: no heartbeat for {age:.1f} s (limit {self.limit_seconds:g} s)"
            )
        return True, f"ok: event loop alive, last heartbeat {age:.1f} s ago"
