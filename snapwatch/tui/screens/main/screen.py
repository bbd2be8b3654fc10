"""The main screen: four live panes, the keys, and the glue between them and the database.

The screen is built in layers: :mod:`.layout` (the panes, grid or tabs), :mod:`.feeds`
(one poller per pane, the background events, the banner), :mod:`.actions` (what the keys
do). This module adds the key bindings, the first reads, help and the command palette.
Everything the screen needs from the app comes through :class:`~snapwatch.tui.services.Services`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual import events
from textual.binding import BindingType
from textual.widgets import Input

from snapwatch.tui import keymap
from snapwatch.tui.screens.main.copying import CopyActions
from snapwatch.tui.screens.main.feeds import TICK_SECONDS
from snapwatch.tui.updates import describe


class MainScreen(CopyActions):
    BINDINGS: ClassVar[list[BindingType]] = list(keymap.bindings())

    def on_mount(self) -> None:
        self.banner.display = False
        self.sites_pane.table.focus()
        self._place(self.app.size.width, self.app.size.height)
        self._scheduler_part()
        live, text = describe(None, self.services.settings.ui.refresh_seconds)
        if self.services.updates is None:
            text = f"updates: polling every {self.services.settings.ui.refresh_seconds:g}s"
        self._updates_text(live, text)
        self.status.set_part("db", self.services.target.display)
        self.status.set_now(self.now())
        self.set_interval(TICK_SECONDS, self._tick, name="time-cells")
        for feed in [*self.feeds, *self.job_feeds]:
            feed.request()

    def on_key(self, event: events.Key) -> None:
        """Escape clears the sites filter, whether its input or the table has the focus."""
        if event.key == "escape" and (
            isinstance(self.focused, Input) or self.sites_pane.filter_text
        ):
            event.stop()
            self.sites_pane.clear_filter(self.now())

    # -- the command palette -----------------------------------------------------------------

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        keys = {a.id: k for a, (k, _) in zip(keymap.MAIN_ACTIONS, self.shown_keys(), strict=True)}
        for a in keymap.MAIN_ACTIONS:
            if a.palette:
                yield f"{a.description} ({keys.get(a.id, '')})", a.help, self._runner(a.action)

    def _runner(self, action: str) -> Callable[[], Any]:
        async def run() -> None:
            await self.run_action(action)

        return run
