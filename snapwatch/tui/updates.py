"""How snapshot writes reach the app: LISTEN/NOTIFY when it works, polling when not.

:class:`snapwatch.infra.notify.SnapshotListener` runs in a worker on a connection of its own;
its callbacks only post messages (:class:`~snapwatch.tui.messages.SnapshotsWritten`,
:class:`~snapwatch.tui.messages.UpdatesChanged`). While it listens, the snapshots and
devices panes read only when told; otherwise they poll every ``ui.refresh_seconds`` and
the app says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from textual.message import Message

from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.notify import ListenState, SnapshotListener
from snapwatch.tui.messages import SnapshotsWritten, UpdatesChanged

log = logging.getLogger(__name__)


def describe(state: ListenState | None, refresh_seconds: float) -> tuple[bool, str]:
    """(live, the line the app shows)."""
    polling = f"polling every {refresh_seconds:g}s"
    if state is None:
        return False, f"updates: {polling} (connecting LISTEN)"
    if state.mode == "listening":
        return True, "updates: live (LISTEN/NOTIFY)"
    if state.mode == "polling":
        return False, f"updates: {polling}: {state.detail}"
    return False, f"updates: {polling} (LISTEN reconnecting)"


class Updates:
    def __init__(
        self, target: Target, settings: Settings, post: Callable[[Message], object]
    ) -> None:
        self._post = post
        self._refresh = settings.ui.refresh_seconds
        self._stop = asyncio.Event()
        self.listener = SnapshotListener(target, settings, self._snapshot, self._state)
        self.state: ListenState | None = None

    @property
    def live(self) -> bool:
        return self.state is not None and self.state.mode == "listening"

    async def run(self) -> None:
        """Listen until :meth:`stop`; a listener that gives up leaves the app polling."""
        try:
            await self.listener.run(self._stop)
        except Exception as exc:  # never the app's end
            log.exception("snapshot listener failed")
            self._state(ListenState.polling(f"listener failed: {type(exc).__name__}"))

    def stop(self) -> None:
        self._stop.set()

    def _snapshot(self, payload: dict[str, Any]) -> None:
        site: list[UUID] = []
        with contextlib.suppress(KeyError, TypeError, ValueError):
            site.append(UUID(str(payload["site_id"])))
        self._post(SnapshotsWritten(site))

    def _state(self, state: ListenState) -> None:
        self.state = state
        live, text = describe(state, self._refresh)
        self._post(UpdatesChanged(live, text))
