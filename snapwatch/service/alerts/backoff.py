"""How long to wait before retrying a request: exponential, capped, with jitter."""

from __future__ import annotations

import random
from collections.abc import Callable


def retry_delay(
    attempt: int, first: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """The wait before retry number ``attempt`` (1 for the first retry): ``first``
    doubled each time, capped at ``cap``, then somewhere in its upper half ("equal
    jitter") so that senders that failed together do not retry together."""
    full: float = min(cap, first * 2.0 ** max(attempt - 1, 0))
    return full / 2 + rand() * full / 2
