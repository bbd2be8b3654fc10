"""The main screen's live feeds: one poller per pane, the background events, the banner.

Each pane is fed by one :class:`~snapwatch.tui.poller.Poller` (a worker reads a core
read model, a message delivers, the pane updates its rows by key, a timer re-arms). The
scheduler's ticks, LISTEN notifications and the database's ups and downs arrive as
messages and ask the feeds to read again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from textual import on
from textual.timer import Timer

from snapwatch.infra.clock import AcceleratedClock, Clock, FixedClock
from snapwatch.infra.dbsession import Conn
from snapwatch.readmodels.devices import SiteDevices, site_devices
from snapwatch.readmodels.health import JobHealth, job_health
from snapwatch.readmodels.sites import SiteOverview, fetch_site_overview
from snapwatch.readmodels.snapshots import SnapshotRow, recent_snapshots
from snapwatch.schedule.tick_runner import TickOutcome
from snapwatch.tui import collector
from snapwatch.tui.messages import DbChanged, SnapshotsWritten, Ticked, UpdatesChanged
from snapwatch.tui.panes.sites import SitesPane
from snapwatch.tui.plain import plain
from snapwatch.tui.poller import Polled, Poller
from snapwatch.tui.screens.main.layout import PANES, PanesLayout
from snapwatch.tui.services import Services

log = logging.getLogger(__name__)

T = TypeVar("T")

SCHEDULER = "scheduler"
"""The banner's key for a scheduler whose ticks cannot start."""
TICK_SECONDS = 1.0
"""The time cells (countdowns, ages) and the clock re-render this often, without a query."""
FOLLOW_SECONDS = 0.15
"""A new highlighted site is read after the cursor rests this long (not on every row
passed while scrolling)."""


class LiveFeeds(PanesLayout):
    """The panes kept up to date: reads in workers, results on the event loop."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        ui = services.settings.ui
        self.follow_selection = True
        self.selected: SiteOverview | None = None
        self.problems: dict[str, str] = {}
        self._follow_timer: Timer | None = None
        self._announce_refresh = False
        refresh = ui.refresh_seconds

        def live() -> bool:
            return services.updates is not None and services.updates.live

        self.sites_feed: Poller[tuple[list[SiteOverview], datetime]] = self._poller(
            "sites", self._read_sites, self._show_sites, lambda: refresh
        )
        self.snapshots_feed: Poller[tuple[list[SnapshotRow], str | None]] = self._poller(
            "snapshots", self._read_snapshots, self._show_snapshots,
            lambda: None if live() else refresh,
        )  # fmt: skip
        self.devices_feed: Poller[tuple[SiteDevices | None, str | None]] = self._poller(
            "devices", self._read_devices, self._show_devices,
            lambda: None if live() else refresh,
        )  # fmt: skip
        self.health_feed: Poller[JobHealth] = self._poller(
            "health", self._read_health, self._show_health, lambda: refresh
        )
        self.job_feeds: list[Poller[str | None]] = [
            Poller(
                self,
                f"job-{job.name}",
                self._job_runner(job.work),
                self._job_done,
                target=services.target,
                interval=_every(job.every_seconds),
                on_error=self._job_failed,
            )
            for job in services.jobs
        ]

    @property
    def feeds(self) -> list[Poller[Any]]:
        return [self.sites_feed, self.snapshots_feed, self.devices_feed, self.health_feed]

    def _poller(
        self,
        name: str,
        collect: Callable[[], Awaitable[T]],
        apply: Callable[[T], None],
        interval: Callable[[], float | None],
    ) -> Poller[T]:
        return Poller(
            self,
            name,
            collect,
            apply,
            target=self.services.target,
            interval=interval,
            on_error=lambda error: self._problem(name, error),
            frozen=lambda: self.frozen,
            cost_ratio=1 / self.services.settings.ui.max_poll_share,
        )

    # -- reads (workers) ----------------------------------------------------------------

    async def _read_sites(self) -> tuple[list[SiteOverview], datetime]:
        now = self.now()
        settings = self.services.settings

        async def work(conn: Conn) -> list[SiteOverview]:
            return await fetch_site_overview(conn, now, settings)

        return await self.services.data.run(work), now

    async def _read_snapshots(self) -> tuple[list[SnapshotRow], str | None]:
        site = self.selected if self.follow_selection else None
        site_id = site.site_id if site is not None else None
        limit = self.services.settings.ui.snapshots_shown

        async def work(conn: Conn) -> list[SnapshotRow]:
            return await recent_snapshots(conn, site=site_id, limit=limit)

        return await self.services.data.run(work), site.site_name if site else None

    async def _read_devices(self) -> tuple[SiteDevices | None, str | None]:
        site = self.selected
        if site is None:
            return None, None
        points = self.services.settings.ui.sparkline_points

        async def work(conn: Conn) -> SiteDevices:
            return await site_devices(conn, site.site_id, history=points)

        return await self.services.data.run(work), site.site_name

    async def _read_health(self) -> JobHealth:
        now = self.now()

        async def work(conn: Conn) -> JobHealth:
            return await job_health(conn, now)

        return await self.services.data.run(work)

    def _job_runner(
        self, work: Callable[[datetime], Awaitable[str | None]]
    ) -> Callable[[], Awaitable[str | None]]:
        async def collect() -> str | None:
            return await work(self.now())

        return collect

    # -- results (event loop) -----------------------------------------------------------

    @on(Polled)
    def _polled(self, message: Polled[Any]) -> None:
        message.stop()
        message.poller.deliver(message)

    def _show_sites(self, result: tuple[list[SiteOverview], datetime]) -> None:
        sites, _ = result
        self._solved("sites")
        first = self.sites_feed.reads == 1
        self.sites_pane.show(sites, self.now())
        if first:  # the app and its first screen are built: out of the collector's way
            collector.settle()
        if self._announce_refresh:
            self._announce_refresh = False
            self.notify(f"refreshed: {len(sites)} sites", timeout=3)

    def _show_snapshots(self, result: tuple[list[SnapshotRow], str | None]) -> None:
        rows, scope = result
        self._solved("snapshots")
        self.snapshots_pane.show(rows, self.now(), scope)

    def _show_devices(self, result: tuple[SiteDevices | None, str | None]) -> None:
        data, name = result
        self._solved("devices")
        self.devices_pane.show(data, name)

    def _show_health(self, health: JobHealth) -> None:
        self._solved("health")
        scheduler = self.services.scheduler
        mine = scheduler.scheduler.instance_id if scheduler is not None else None
        self.health_pane.show(health, mine)
        warnings = []
        if health.warning:
            warnings.append("pg_cron CONFLICT")
        if health.access.warnings:
            warnings.append("row-level security warning")
        self.status.set_part(
            "warning", f"{', '.join(warnings)} (see Job health)" if warnings else ""
        )

    def _job_done(self, line: str | None) -> None:
        if line:
            log.debug(line)

    def _job_failed(self, error: str) -> None:
        log.warning("background job failed: %s", error)

    def _tick(self) -> None:
        """The clock moves even while frozen; the time cells (ages, countdowns) do not."""
        now = self.now()
        self.status.set_now(now)
        if not self.frozen:
            self.sites_pane.tick(now)

    # -- problems and the banner ----------------------------------------------------------

    def _problem(self, name: str, error: str) -> None:
        self.problems[name] = error
        self._banner()

    def _solved(self, name: str) -> None:
        if self.problems.pop(name, None) is not None:
            self._banner()

    def _banner(self) -> None:
        key = "db" if "db" in self.problems else next(iter(self.problems), None)
        if key is None:
            self.banner.display = False
            self.banner.update("")
            self.banner.remove_class("-error")
            return
        retry = f" (retrying every {self.services.settings.ui.refresh_seconds:g}s)"
        if key == SCHEDULER:
            retry = " (every tick checks again)"
        self.banner.update(plain(self.problems[key] + retry))
        self.banner.add_class("-error")
        self.banner.display = True

    @on(DbChanged)
    def _db_changed(self, message: DbChanged) -> None:
        state = message.state
        if not state.up:
            error = state.error or "database unreachable"
            if not error.startswith("database unreachable"):
                error = f"database unreachable: {error}"
            self._problem("db", error)
            return
        was_down = self.problems.pop("db", None) is not None
        for name in PANES:
            self.problems.pop(name, None)
        self._banner()
        if was_down:
            down = f" after {state.down_seconds:.1f} s" if state.down_seconds is not None else ""
            self.notify(f"database reachable again{down}", timeout=5)
            for feed in self.feeds:
                feed.request()

    # -- background events ---------------------------------------------------------------

    @on(Ticked)
    def _ticked(self, message: Ticked) -> None:
        outcome = message.outcome
        self._scheduler_part(outcome)
        if outcome.report is None and not outcome.db_down and outcome.error is not None:
            # The tick stopped before writing: a role refused its rights, a read-only
            # database, or any other error that raised.
            self._problem(SCHEDULER, f"the scheduler writes nothing: {outcome.error}")
        else:
            self._solved(SCHEDULER)
        self.health_feed.request()
        report = message.outcome.report
        if report is not None and any(o.written for o in report.outcomes):
            self.sites_feed.request()
            if self.services.updates is None or not self.services.updates.live:
                self.snapshots_feed.request()
                self.devices_feed.request()

    def _scheduler_part(self, outcome: TickOutcome | None = None) -> None:
        services = self.services
        if services.scheduler is None:
            self.app.sub_title = f"watching only ({services.watching_why})"
            self.status.set_part("tick", "")
            return
        stopping = " (stopping)" if services.scheduler.stopping else ""
        self.app.sub_title = f"scheduler on{stopping} · {clock_text(services.clock)}"
        if outcome is None:
            return
        if outcome.error is not None:
            text = f"last tick failed: {outcome.error}"
        else:
            report = outcome.report
            written = sum(len(o.written) for o in report.outcomes) if report else 0
            paused = ", all paused" if outcome.paused else ""
            busy = f", {len(report.busy)} busy (lock wait)" if report and report.busy else ""
            text = f"last tick: {written} written{busy}{paused}"
        self.status.set_part("tick", text)

    @on(SnapshotsWritten)
    def _snapshots_written(self, message: SnapshotsWritten) -> None:
        self.snapshots_feed.request()
        self.sites_feed.request()
        site = self.selected
        if site is not None and (not message.sites or site.site_id in message.sites):
            self.devices_feed.request()

    @on(UpdatesChanged)
    def _updates_changed(self, message: UpdatesChanged) -> None:
        self._updates_text(message.live, message.detail)
        if message.live:  # notifications sent while not listening are lost: read once
            self.snapshots_feed.request()
            self.devices_feed.request()
        else:
            for feed in (self.snapshots_feed, self.devices_feed):
                if not feed.loading:
                    feed.request()

    def _updates_text(self, live: bool, text: str) -> None:
        self.health_pane.show_updates(text, live=live)
        self.status.set_part("updates", "live" if live else "polling")

    # -- selection ------------------------------------------------------------------------

    @on(SitesPane.Highlighted)
    def _site_highlighted(self, message: SitesPane.Highlighted) -> None:
        before = self.selected
        self.selected = message.site
        if (before is None) == (message.site is None) and (
            before is None or message.site is None or before.site_id == message.site.site_id
        ):
            return
        if self._follow_timer is not None:
            self._follow_timer.stop()
        self._follow_timer = self.set_timer(FOLLOW_SECONDS, self._follow_site)

    def _follow_site(self) -> None:
        self._follow_timer = None
        self.devices_feed.request()
        if self.follow_selection:
            self.snapshots_feed.request()


def _every(seconds: float) -> Callable[[], float]:
    return lambda: seconds


def clock_text(clock: Clock) -> str:
    """``system clock``, ``demo clock ×60``, ``fixed clock``."""
    if isinstance(clock, AcceleratedClock):
        return f"{clock.name or 'accelerated'} clock ×{clock.speed:g}"
    if isinstance(clock, FixedClock):
        return "fixed clock"
    return "system clock" if clock.describe() == "system" else f"{clock.describe()} clock"
