"""The terminal app: live panes over the database, with the scheduler embedded.

The app owns what lives as long as it does: the database session its workers share, the
embedded scheduler (unless it only watches), the LISTEN connection, the log redirection
and the hang-up handling. The main screen (:mod:`snapwatch.tui.screens.main.screen`) shows and
acts. Quitting (``q``, SIGHUP, a terminal gone away) stops the scheduler first, so the
site in hand is finished (or, waiting for a lock, cancelled and rolled back) and the
instance is marked stopped, then exits: within a few seconds, whatever the database does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.screen import Screen

from snapwatch.infra.clock import Clock, SystemClock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.dbsession import DbState
from snapwatch.schedule import activity
from snapwatch.tui import collector, keymap
from snapwatch.tui.base import BaseApp, run_to_end
from snapwatch.tui.data import AppData
from snapwatch.tui.lifecycle import (
    WATCHDOG_SECONDS,
    detach_terminal,
    exit_soon,
    install_hangup,
    started_on_terminal,
    terminal_gone,
)
from snapwatch.tui.messages import DbChanged
from snapwatch.tui.palette import SiteJumpProvider
from snapwatch.tui.scheduler_glue import EmbeddedScheduler
from snapwatch.tui.screens.main.screen import MainScreen
from snapwatch.tui.services import BackgroundJob, Services
from snapwatch.tui.updates import Updates

log = logging.getLogger(__name__)

HANG_UP_EXIT_SECONDS = 2.0
"""After a hang-up and the scheduler's stop, the process ends within this."""


class SnapwatchApp(BaseApp):
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {SiteJumpProvider}

    def __init__(
        self,
        target: Target,
        settings: Settings,
        clock: Clock,
        title: str = "snapwatch",
        *,
        scheduler: bool = True,
        wall: Clock | None = None,
        listen: bool = True,
        jobs: Sequence[BackgroundJob] = (),
        log_path: Path | None = None,
        tick_seconds: float | None = None,
    ) -> None:
        """``clock`` is the as-of clock (the demo's accelerated one); ``wall`` times
        ticks. ``scheduler`` False (or ``settings.read_only``) only watches."""
        super().__init__(log_path)
        activity.set_process(activity.pid_label("app"), logged=True)  # lines of the log view
        self.title = title
        self.settings = settings
        self.clock = clock
        wall = wall or SystemClock()
        why: str | None = None
        if settings.read_only:
            why = "read-only"
        elif not scheduler:
            why = "--no-scheduler"
        embedded = (
            EmbeddedScheduler(
                target, settings, clock, wall=wall, post=self._post, tick_seconds=tick_seconds
            )
            if why is None
            else None
        )
        self.services = Services(
            target=target,
            settings=settings,
            clock=clock,
            wall=wall,
            data=AppData(target, settings, on_change=self._db_changed, clock=clock),
            scheduler=embedded,
            updates=Updates(target, settings, self._post) if listen else None,
            watching_why=why,
            ring=self.ring,
            log_path=self.app_logging.path,
            quit=self.shut_down,
            jobs=list(jobs),
        )
        self.main = MainScreen(self.services)
        self._stopping = False
        self._undo_hangup: Callable[[], None] = lambda: None

    # -- life cycle -------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_load(self) -> None:
        collector.tune()
        self.app_logging.start()
        self.services.log_path = self.app_logging.path

    def on_mount(self) -> None:
        theme = self.settings.ui.theme
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(f"unknown theme {theme!r}, using {self.theme!r}", severity="warning")
        remapped = keymap.keymap(self.settings.keys)
        if remapped:
            self.set_keymap(remapped)
        self._undo_hangup = install_hangup(self._hung_up)
        if not self.is_headless and started_on_terminal():
            self.set_interval(WATCHDOG_SECONDS, self._watchdog, name="terminal-watchdog")
        scheduler = self.services.scheduler
        if scheduler is not None:
            self.run_worker(scheduler.start(), name="scheduler-start", exit_on_error=False)
        updates = self.services.updates
        if updates is not None:
            self.run_worker(updates.run(), name="listen", group="listen", exit_on_error=False)
        log.info("app started on %s (%s)", self.services.target.display, self.sub_title)

    async def shut_down(self) -> None:
        """Stop the scheduler (the site in hand finishes, or its statement is cancelled after
        a grace second), then exit. Idempotent."""
        if self._stopping:
            return
        self._stopping = True
        await self._stop_services()
        self.exit(0)

    async def _stop_services(self) -> None:
        updates = self.services.updates
        if updates is not None:
            updates.stop()
        scheduler = self.services.scheduler
        if scheduler is not None and not scheduler.stopping:
            self.sub_title = "stopping the scheduler (the site in hand finishes or is cancelled)"
            try:
                await scheduler.stop()
            except Exception:
                log.exception("stopping the scheduler failed")

    async def on_unmount(self) -> None:
        await self._stop_services()
        for feed in [*self.main.feeds, *self.main.job_feeds]:
            feed.stop()
        await self.services.data.close()
        for job in self.services.jobs:
            if job.close is not None:
                try:
                    await job.close()
                except Exception:
                    log.exception("closing %s failed", job.name)
        self._undo_hangup()
        log.info("app stopped")
        self.app_logging.stop()

    async def action_quit(self) -> None:
        await self.shut_down()

    def _hung_up(self) -> None:
        if self._stopping:
            return
        log.info("terminal hung up: stopping")
        if self.is_headless:
            self.run_worker(self.shut_down(), name="hang-up", exit_on_error=False)
            return
        detach_terminal()
        exit_soon()  # whatever happens, the process ends
        self.run_worker(self._hang_up(), name="hang-up", exit_on_error=False)

    async def _hang_up(self) -> None:
        """Stop what must be stopped cleanly, then exit. Textual's own shutdown can hang
        on a terminal that is gone (its output thread died on the first write), so once
        the scheduler is stopped the process ends shortly whatever Textual does."""
        await self._stop_services()
        await self.services.data.close()
        exit_soon(HANG_UP_EXIT_SECONDS)
        await self.shut_down()

    def _watchdog(self) -> None:
        if terminal_gone():
            self._hung_up()

    # -- callbacks from the services (they only post) ----------------------------------------

    def _post(self, message: object) -> None:
        from textual.message import Message

        if isinstance(message, Message):
            self.main.post_message(message)

    def _db_changed(self, state: DbState) -> None:
        self.main.post_message(DbChanged(state))

    # -- command palette ----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        palette = getattr(screen, "palette_commands", self.main.palette_commands)
        for title, help_text, callback in palette():
            yield SystemCommand(title, help_text, callback)


def run_app(
    target: Target,
    settings: Settings,
    clock: Clock,
    title: str = "snapwatch",
    *,
    scheduler: bool = True,
    wall: Clock | None = None,
    jobs: Sequence[BackgroundJob] = (),
    tick_seconds: float | None = None,
) -> int:
    """Run the terminal app until the user quits (or the terminal goes away); an internal
    error that ends it raises :class:`~snapwatch.infra.errors.InternalError`."""
    app = SnapwatchApp(
        target,
        settings,
        clock,
        title,
        scheduler=scheduler,
        wall=wall,
        jobs=jobs,
        tick_seconds=tick_seconds,
    )
    return run_to_end(app)
