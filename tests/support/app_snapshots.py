"""Shared test helpers."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from snapwatch.infra.db import Target
from snapwatch.tui.app import SnapwatchApp


class NamedTarget(Target):
    """A target that shows a fixed name (the real one holds a temporary socket path)."""

    @property
    def display(self) -> str:
        return "demo database"


async def settled(pilot: Pilot[Any]) -> None:
    """Every pane has read once (and the devices pane followed the highlighted site)."""
    app = pilot.app
    assert isinstance(app, SnapwatchApp)
    main = app.main
    for _ in range(500):
        feeds = main.feeds
        if (
            all(f.reads >= 1 for f in feeds)
            and not any(f.loading for f in feeds)
            and main.devices_pane.data is not None
        ):
            break
        await pilot.pause(0.02)
    else:
        raise AssertionError("the panes did not load")
    await pilot.pause(0.2)
