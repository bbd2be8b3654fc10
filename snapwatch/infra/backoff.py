"""How long to wait before the next reconnection attempt: exponential backoff with jitter.

The base delay starts at :data:`START_SECONDS` and doubles after every failed attempt up to
:data:`CAP_SECONDS`; each wait is drawn at random from ``[base / 2, base]`` ("equal
jitter"), so it never exceeds the cap and never falls below half the base. Several
processes that lost the same database at the same instant then try again at different
moments instead of in lockstep, and none waits longer than it would without jitter.
"""

from __future__ import annotations

import random
from collections.abc import Callable

START_SECONDS = 0.5
CAP_SECONDS = 30.0
JITTER_SHARE = 0.5
"""Up to this share of the base delay is taken off each wait, at random."""


def backoff_delay(
    failures: int, draw: float, start: float = START_SECONDS, cap: float = CAP_SECONDS
) -> float:
    """The wait after ``failures`` consecutive failed attempts (1 for the first), for a
    ``draw`` in ``[0, 1)`` (0 waits the whole base delay): ``start`` doubled each time up
    to ``cap`` (reconnections by default; the notifications' retries give their own)."""
    base = min(start * 2.0 ** max(failures - 1, 0), cap)
    return base * (1 - JITTER_SHARE * draw)


class Backoff:
    """The waits of one series of attempts; :meth:`reset` after a success."""

    def __init__(self, draw: Callable[[], float] = random.random) -> None:
        self._draw = draw
        self._failures = 0

    def next(self) -> float:
        """The wait after one more failed attempt."""
        self._failures = min(self._failures + 1, 64)  # the cap is reached long before
        return backoff_delay(self._failures, self._draw())

    def reset(self) -> None:
        self._failures = 0
