"""The embedded scheduler: the app ticks like a daemon does, unless it only watches.

:class:`snapwatch.schedule.scheduler.Scheduler` in mode ``tui`` on a database session of its own
(a tick never waits behind the app's reads, nor they behind it). Its ``on_tick`` callback
only posts :class:`~snapwatch.tui.messages.Ticked`; the app decides what to show.
Stopping finishes the site in hand (or cancels its statement when it still runs a second
later) and marks the instance stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from textual.message import Message

from snapwatch.infra.clock import Clock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.dbsession import DbSession
from snapwatch.schedule.conflict_events import ConflictWatch
from snapwatch.schedule.scheduler import Scheduler
from snapwatch.schedule.tick_runner import TickOutcome
from snapwatch.tui.messages import Ticked

log = logging.getLogger(__name__)


class EmbeddedScheduler:
    def __init__(
        self,
        target: Target,
        settings: Settings,
        clock: Clock,
        *,
        wall: Clock,
        post: Callable[[Message], object],
        tick_seconds: float | None = None,
    ) -> None:
        self._post = post
        self.db = DbSession(target, settings)
        conflicts = ConflictWatch("tui", lambda: self.scheduler.instance_id)
        self.scheduler = Scheduler(
            self.db,
            settings,
            clock,
            mode="tui",
            wall=wall,
            on_tick=self._ticked,
            tick_seconds=tick_seconds,
            after_tick=conflicts.look,  # a pg_cron conflict in the activity trail (hourly)
        )
        self.stopping = False

    @property
    def last_tick(self) -> TickOutcome | None:
        return self.scheduler.last_tick

    def _ticked(self, outcome: TickOutcome) -> None:
        self._post(Ticked(outcome))

    async def start(self) -> None:
        await self.scheduler.start()

    async def stop(self) -> None:
        """Finish the site in hand (or cancel its statement after a grace second), record the
        tick, mark the instance stopped."""
        self.stopping = True
        try:
            await self.scheduler.stop()
        finally:
            await self.db.close()
