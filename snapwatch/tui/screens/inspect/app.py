"""``snapwatch inspect ... --tui``: the inspection screen on its own, read-only.

The chosen snapshot is read before the terminal is taken over, so a wrong selection or
an unreachable database is one line and an exit code, as for the other commands.
Leaving the screen ends the app.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from textual.app import SystemCommand
from textual.screen import Screen

from snapwatch.infra.access import Job, connect_for
from snapwatch.infra.clock import command_now
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_OK
from snapwatch.inspection.selection import select_snapshot
from snapwatch.inspection.timeline import fetch_timeline
from snapwatch.tui import keymap
from snapwatch.tui.base import BaseApp, run_to_end
from snapwatch.tui.data import AppData
from snapwatch.tui.screens.inspect.loader import Opened, opened
from snapwatch.tui.screens.inspect.screen import InspectContext, InspectScreen


class InspectApp(BaseApp):
    def __init__(
        self, target: Target, settings: Settings, first: Opened, log_path: Path | None = None
    ) -> None:
        super().__init__(log_path)
        self.settings = settings.model_copy(update={"read_only": True})
        self.title = f"snapwatch inspect · {target.display}"
        self.data = AppData(target, self.settings)
        self.first = first

    def on_load(self) -> None:
        self.app_logging.start()

    def on_mount(self) -> None:
        if self.settings.ui.theme in self.available_themes:
            self.theme = self.settings.ui.theme
        remapped = keymap.keymap(self.settings.keys)
        if remapped:
            self.set_keymap(remapped)
        screen = InspectScreen(InspectContext(self.data, self.settings), self.first)
        self.push_screen(screen, lambda _: self.exit(EXIT_OK))

    async def on_unmount(self) -> None:
        await self.data.close()
        self.app_logging.stop()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        palette = getattr(screen, "palette_commands", None)
        if palette is not None:
            for title, help_text, callback in palette():
                yield SystemCommand(title, help_text, callback)


async def first_snapshot(
    target: Target,
    settings: Settings,
    *,
    snapshot: str | None,
    site: str | None,
    wake: int | None,
    now: datetime | None = None,
) -> Opened:
    """The snapshot to open first; ``now`` (default: the schedulers' clock) decides which
    session is open for ``wake``."""
    conn, _ = await connect_for(target, settings, Job.VIEW, read_only=True)
    try:
        at = await command_now(conn, now)
        row = await select_snapshot(conn, snapshot=snapshot, site=site, wake=wake, now=at)
        return opened(row, await fetch_timeline(conn, row.session_id))
    finally:
        await conn.close()


def run_inspect_app(target: Target, settings: Settings, first: Opened) -> int:
    return run_to_end(InspectApp(target, settings, first))
