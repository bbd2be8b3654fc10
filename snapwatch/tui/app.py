"""The terminal app: a live sites overview that never blocks on the database.

A worker reads the overview and posts a message; the message handler updates the table
and arms a one-shot timer for the next read. Only one read runs at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static

from snapwatch.clock import Clock
from snapwatch.config import Settings
from snapwatch.db import Target
from snapwatch.errors import SnapwatchError
from snapwatch.tui.help import HelpScreen
from snapwatch.tui.messages import SitesFailed, SitesLoaded
from snapwatch.tui.sites_table import SitesTable
from snapwatch.tui.source import ReadSource

log = logging.getLogger(__name__)


class SnapwatchApp(App[None]):
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
    ]

    def __init__(
        self, target: Target, settings: Settings, clock: Clock, title: str = "snapwatch"
    ) -> None:
        super().__init__()
        self.title = title
        self.sub_title = target.display
        self._settings = settings
        self._clock = clock
        self._source = ReadSource(target, settings)
        self._timer: Timer | None = None
        self._loading = False
        self._load_again = False
        self._target = target
        # The main screen's widgets, kept so that results land there whichever screen is
        # on top (help, later the inspection screen).
        self._banner = Static(id="banner")
        self._table = SitesTable(id="sites")

    def compose(self) -> ComposeResult:
        yield Header()
        yield self._banner
        yield self._table
        yield Footer()

    def on_mount(self) -> None:
        theme = self._settings.ui.theme
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(f"unknown theme {theme!r}, using {self.theme!r}", severity="warning")
        self._table.loading = True
        self._table.focus()
        self.request_load()

    async def on_unmount(self) -> None:
        await self._source.close()

    def request_load(self) -> None:
        """Read the overview now (or right after the read in progress)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._loading:
            self._load_again = True
            return
        self._loading = True
        self.run_worker(self._load_sites(), name="load-sites", group="sites", exit_on_error=False)

    async def _load_sites(self) -> None:
        # Runs as a worker: reads, then reports by message; touches no widget.
        now = self._clock.now()
        try:
            sites = await self._source.site_overview(now)
        except SnapwatchError as exc:
            self.post_message(SitesFailed(str(exc)))
        except Exception as exc:
            log.exception("reading the sites overview failed")
            detail = self._target.redact(" ".join(str(exc).split()))
            self.post_message(SitesFailed(f"reading sites failed: {type(exc).__name__}: {detail}"))
        else:
            self.post_message(SitesLoaded(sites, now))

    @on(SitesLoaded)
    def _show_sites(self, message: SitesLoaded) -> None:
        self._set_banner(None)
        self._table.loading = False
        self._table.show_sites(message.sites, message.at)
        self._load_done()

    @on(SitesFailed)
    def _show_failure(self, message: SitesFailed) -> None:
        self._set_banner(message.error)
        self._table.loading = False
        self._load_done()

    def _load_done(self) -> None:
        self._loading = False
        if self._load_again:
            self._load_again = False
            self.request_load()
        else:
            self._timer = self.set_timer(self._settings.ui.refresh_seconds, self.request_load)

    def _set_banner(self, error: str | None) -> None:
        if error is None:
            self._banner.remove_class("-error")
            self._banner.update("")
        else:
            retry = f" (retrying every {self._settings.ui.refresh_seconds:g}s)"
            self._banner.update(Text(error + retry))  # Text: never read as markup
            self._banner.add_class("-error")

    def action_refresh(self) -> None:
        self.request_load()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self._shown_keys()))

    def _shown_keys(self) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((self.get_key_display(binding), binding.description))
        return keys

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Refresh", "Read the sites again now", self.action_refresh)
        yield SystemCommand("Keys", "Show the keys and what they do", self.action_help)


def run_app(target: Target, settings: Settings, clock: Clock, title: str = "snapwatch") -> None:
    """Run the terminal app until the user quits."""
    SnapwatchApp(target, settings, clock, title=title).run()
