"""One live feed: a worker collects, a message delivers, the owner applies, a timer re-arms.

The loop every pane uses (the same shape as Dolphie's): :meth:`Poller.request` starts a
worker that runs ``collect`` (database work, no widget touched) and posts
:class:`Polled`; the owner hands that message back to :meth:`Poller.deliver`, which
applies the result on the event loop (rows updated by key) and arms a one-shot timer for
the next read. At most one read runs per feed; a request during a read is remembered and
served right after it, so a burst of notifications costs one extra read, not one each.

Pause-aware: while the view is frozen nothing is applied and no timer is armed; requests
are remembered, and :meth:`thaw` reads at once.

Cost-aware: with ``cost_ratio`` the next timed read waits at least that many times as
long as the last read took, so a read that costs 0.9 s of CPU (5,000 sites) runs every
90 s rather than every 5 s (at most 1% of a core); requests (a key, a notification)
still read at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from textual.dom import DOMNode
from textual.message import Message
from textual.timer import Timer

from snapwatch.infra.db import Target
from snapwatch.tui.data import error_line

log = logging.getLogger(__name__)

T = TypeVar("T")


class Polled(Message, Generic[T]):
    """A feed's read finished: ``result`` or the one-line ``error``."""

    def __init__(self, poller: Poller[T], result: T | None, error: str | None) -> None:
        super().__init__()
        self.poller = poller
        self.result = result
        self.error = error


class Poller(Generic[T]):
    def __init__(
        self,
        owner: DOMNode,
        name: str,
        collect: Callable[[], Awaitable[T]],
        apply: Callable[[T], None],
        *,
        target: Target,
        interval: Callable[[], float | None],
        on_error: Callable[[str], None] | None = None,
        frozen: Callable[[], bool] = lambda: False,
        cost_ratio: float = 0.0,
    ) -> None:
        """``interval()`` gives the seconds to the next read after one was applied (None:
        only on request)."""
        self._owner = owner
        self.name = name
        self._collect = collect
        self._apply = apply
        self._target = target
        self._interval = interval
        self._on_error = on_error
        self._frozen = frozen
        self._cost_ratio = cost_ratio
        self.last_seconds = 0.0
        """How long the last read took (its worker, start to result)."""
        self._timer: Timer | None = None
        self._loading = False
        self._again = False
        self._stopped = False
        self.reads = 0
        """Reads applied (tests and the benchmark count them)."""
        self.last_error: str | None = None

    @property
    def loading(self) -> bool:
        return self._loading

    def request(self) -> None:
        """Read now, or right after the read in progress (or at thaw, while frozen)."""
        if self._stopped:
            return
        if self._frozen():
            return  # read at thaw
        self._cancel_timer()
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._owner.run_worker(
            self._run(), name=f"poll-{self.name}", group=f"poll-{self.name}", exit_on_error=False
        )

    def thaw(self) -> None:
        """The view was unfrozen: read at once."""
        self.request()

    def stop(self) -> None:
        self._stopped = True
        self._cancel_timer()

    async def _run(self) -> None:
        # A worker: reads and reports by message; touches no widget.
        started = time.perf_counter()
        try:
            result = await self._collect()
        except Exception as exc:
            self.last_seconds = time.perf_counter() - started
            self._owner.post_message(Polled(self, None, error_line(exc, self._target)))
        else:
            self.last_seconds = time.perf_counter() - started
            self._owner.post_message(Polled(self, result, None))

    def deliver(self, message: Polled[T]) -> None:
        """Apply a finished read (on the event loop), then arm the next one."""
        self._loading = False
        if self._stopped:
            return
        if self._frozen():
            return  # the view shows what it showed; read again at thaw
        self.last_error = message.error
        try:
            if message.error is not None:
                if self._on_error is not None:
                    self._on_error(message.error)
            else:
                self.reads += 1
                self._apply(message.result)  # type: ignore[arg-type]  # set with error None
        finally:
            if self._again:
                self._again = False
                self.request()
            else:
                self._arm()

    def _arm(self) -> None:
        self._cancel_timer()
        seconds = self._interval()
        if seconds is not None and self._cost_ratio:
            seconds = max(seconds, self._cost_ratio * self.last_seconds)
        if seconds is not None and not self._stopped:
            self._timer = self._owner.set_timer(seconds, self.request, name=f"next-{self.name}")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
