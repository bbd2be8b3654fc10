"""Shared test helpers."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.panes.sites import SitesTable
from support.app import main_of, wait_for


class Notes:
    """What the app said (its notifications), in order."""

    def __init__(self, app: SnapwatchApp) -> None:
        self.said: list[tuple[str, str]] = []
        original = app.notify

        def notify(message: str, *args: Any, **kw: Any) -> None:
            self.said.append((str(message), str(kw.get("severity", "information"))))
            original(message, *args, **kw)

        app.notify = notify  # type: ignore[method-assign]

    def any(self, fragment: str) -> bool:
        return any(fragment in text for text, _ in self.said)


async def ready(pilot: Pilot[Any], count: int = 3) -> SitesTable:
    table = main_of(pilot).sites_pane.table
    await wait_for(pilot, lambda: table.row_count == count and table.size.width > 0)
    await pilot.pause()
    return table
