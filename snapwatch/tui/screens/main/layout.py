"""The main screen's layout: four panes in a grid on a large terminal, tabs on a small one.

At 120×40 the panes show at once in a grid; on a smaller terminal they become tabs (keys
1-4, tab). This layer knows nothing of the database: the feeds and actions build on it.
"""

from __future__ import annotations

from datetime import datetime

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, Tab, Tabs

from snapwatch.tui.panes.devices import DevicesPane
from snapwatch.tui.panes.health import HealthPane
from snapwatch.tui.panes.pane import Pane
from snapwatch.tui.panes.sites import SitesPane
from snapwatch.tui.panes.snapshots import SnapshotsPane
from snapwatch.tui.services import Services
from snapwatch.tui.statusline import StatusLine
from snapwatch.tui.widgets.keys_footer import KeysFooter

PANES = ("sites", "snapshots", "devices", "health")
TAB_LABELS = {
    "sites": "1 Sites",
    "snapshots": "2 Snapshots",
    "devices": "3 Devices",
    "health": "4 Health",
}


class PanesLayout(Screen[None]):
    """The panes, the status line, the banner and the tabs, and moving between panes."""

    def __init__(self, services: Services) -> None:
        super().__init__(id="main")
        self.services = services
        ui = services.settings.ui
        self.sites_pane = SitesPane()
        self.snapshots_pane = SnapshotsPane()
        self.devices_pane = DevicesPane(ui.sparkline_points)
        self.health_pane = HealthPane(services.settings.scheduler.max_clock_offset_seconds)
        self.status = StatusLine()
        self.banner = Static("", id="banner")
        self.tabs = Tabs(*(Tab(TAB_LABELS[p], id=f"tab-{p}") for p in PANES), id="pane-tabs")
        self.deck = Container(
            self.sites_pane,
            self.snapshots_pane,
            self.devices_pane,
            self.health_pane,
            id="panes",
            classes="-grid",
        )
        self.frozen = False
        self.wide = True
        self.current = "sites"

    def now(self) -> datetime:
        return self.services.clock.now()

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.status
        yield self.banner
        yield self.tabs
        yield self.deck
        yield KeysFooter()

    def on_resize(self, event: events.Resize) -> None:
        self._place(event.size.width, event.size.height)

    def _place(self, width: int, height: int) -> None:
        ui = self.services.settings.ui
        wide = width >= ui.wide_min_width and height >= ui.wide_min_height
        self.wide = wide
        self.deck.set_class(wide, "-grid")
        self.deck.set_class(not wide, "-tabs")
        self.tabs.display = not wide
        self._show_pane(self.current, focus=False)

    def _show_pane(self, name: str, *, focus: bool = True) -> None:
        self.current = name
        for pane in self.panes():
            pane.set_class(pane.pane_id == name, "-current")
        if self.tabs.active != f"tab-{name}":
            self.tabs.active = f"tab-{name}"
        if focus:
            self.pane(name).query_one(DataTable).focus()

    def panes(self) -> list[Pane]:
        return [self.sites_pane, self.snapshots_pane, self.devices_pane, self.health_pane]

    def pane(self, name: str) -> Pane:
        return next(p for p in self.panes() if p.pane_id == name)

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        name = str(event.tab.id).removeprefix("tab-")
        if name != self.current:
            self._show_pane(name)

    def focused_pane(self) -> str | None:
        node = self.focused
        while node is not None:
            if isinstance(node, Pane):
                return node.pane_id
            node = node.parent  # type: ignore[assignment]
        return None

    def action_next_pane(self) -> None:
        self._step_pane(1)

    def action_previous_pane(self) -> None:
        self._step_pane(-1)

    def _step_pane(self, step: int) -> None:
        here = self.focused_pane() or self.current
        index = (PANES.index(here) + step) % len(PANES)
        self._show_pane(PANES[index])

    def action_pane(self, name: str) -> None:
        if name in PANES:
            self._show_pane(name)
