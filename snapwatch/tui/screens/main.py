"""The main screen: four live panes, the keys, and the glue between them and the database.

Each pane is fed by one :class:`~snapwatch.tui.poller.Poller` (a worker reads a core
read model, a message delivers, the pane updates its rows by key, a timer re-arms). At
120×40 the panes show at once in a grid; on a smaller terminal they become tabs (keys
1-4, tab). Every action runs in a worker with "now" from the app's clock and ends in a
notification with its result or its one-line error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import UUID

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static, Tab, Tabs

from snapwatch.infra.clock import AcceleratedClock, Clock, FixedClock
from snapwatch.infra.dbsession import Conn
from snapwatch.readmodels.devices import SiteDevices, site_devices
from snapwatch.readmodels.health import JobHealth, job_health
from snapwatch.readmodels.sites import SiteOverview, fetch_site_overview
from snapwatch.readmodels.snapshots import SnapshotRow, recent_snapshots
from snapwatch.schedule.scheduler import TickOutcome
from snapwatch.tui import keymap, operations
from snapwatch.tui.data import error_line
from snapwatch.tui.inspect_loader import Opened, open_latest_or_id
from snapwatch.tui.messages import (
    ActionDone,
    DbChanged,
    SnapshotsWritten,
    Ticked,
    UpdatesChanged,
)
from snapwatch.tui.panes.devices import DevicesPane
from snapwatch.tui.panes.health import HealthPane
from snapwatch.tui.panes.pane import Pane
from snapwatch.tui.panes.sites import SitesPane
from snapwatch.tui.panes.snapshots import SnapshotsPane
from snapwatch.tui.plain import plain
from snapwatch.tui.poller import Polled, Poller
from snapwatch.tui.screens.dialogs import ConfirmScreen, PauseRequest, PauseScreen
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.inspect import InspectContext, InspectScreen
from snapwatch.tui.screens.log import LogScreen
from snapwatch.tui.services import Services
from snapwatch.tui.statusline import StatusLine
from snapwatch.tui.updates import describe

if TYPE_CHECKING:
    from snapwatch.tui.app import SnapwatchApp

log = logging.getLogger(__name__)

T = TypeVar("T")

PANES = ("sites", "snapshots", "devices", "health")
TAB_LABELS = {
    "sites": "1 Sites",
    "snapshots": "2 Snapshots",
    "devices": "3 Devices",
    "health": "4 Health",
}
SCHEDULER = "scheduler"
"""The banner's key for a scheduler whose ticks cannot start."""
TICK_SECONDS = 1.0
"""The time cells (countdowns, ages) and the clock re-render this often, without a query."""
FOLLOW_SECONDS = 0.15
"""A new highlighted site is read after the cursor rests this long (not on every row
passed while scrolling)."""


class PauseAsked(Message):
    """A pause key's scope was checked: ``paused`` says whether to resume or ask."""

    def __init__(self, site: SiteOverview | None, paused: bool) -> None:
        super().__init__()
        self.site = site
        self.paused = paused


class Inspected(Message):
    def __init__(self, found: Opened) -> None:
        super().__init__()
        self.found = found


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(keymap.bindings())

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

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.status
        yield self.banner
        yield self.tabs
        yield self.deck
        yield Footer()

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

    # -- reads (workers) ----------------------------------------------------------------

    def now(self) -> datetime:
        return self.services.clock.now()

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
        self.sites_pane.show(sites, self.now())
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
        if self.frozen:
            return
        now = self.now()
        self.status.set_now(now)
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

    @on(SitesPane.Chosen)
    def _site_chosen(self, message: SitesPane.Chosen) -> None:
        self._inspect(site=message.site)

    @on(DataTable.RowSelected, "#snapshots")
    def _snapshot_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        snap = self.snapshots_pane.snapshots.get(str(event.row_key.value))
        if snap is not None:
            self._inspect(snapshot=snap)

    @on(DataTable.RowSelected, "#devices")
    def _device_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.selected is not None:
            self._inspect(site=self.selected)

    def known_sites(self) -> list[SiteOverview]:
        return list(self.sites_pane.sites.values()) or []

    def jump_to(self, site_id: UUID) -> None:
        """Put the cursor on a site (the palette's site jump)."""
        self._show_pane("sites")
        if not self.sites_pane.select(site_id, self.now()):
            self.notify("that site is not in the list", severity="warning")

    # -- actions --------------------------------------------------------------------------

    def _run(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        self.run_worker(work(), name=name, group="actions", exit_on_error=False)

    def _act(self, name: str, work: Callable[[Conn], Awaitable[operations.Outcome]]) -> None:
        async def run() -> None:
            try:
                outcome = await self.services.data.run(work)
            except Exception as exc:
                self.post_message(ActionDone(error_line(exc, self.services.target), "error"))
            else:
                self.post_message(ActionDone(outcome.text, outcome.severity))

        self._run(name, run)

    @on(ActionDone)
    def _action_done(self, message: ActionDone) -> None:
        self.notify(
            message.text,
            severity=message.severity,
            timeout=8 if message.severity != "information" else 5,
        )
        for feed in self.feeds:
            feed.request()

    def _writable(self, what: str) -> bool:
        if self.services.data.read_only:
            self.notify(f"read-only: cannot {what}", severity="warning")
            return False
        return True

    def _site_or_say(self) -> SiteOverview | None:
        site = self.selected
        if site is None:
            self.notify("no site selected", severity="warning")
        return site

    def action_force(self) -> None:
        site = self._site_or_say()
        if site is None or not self._writable("force a snapshot"):
            return
        services, now = self.services, self.now()
        self._act(
            "force",
            lambda conn: operations.force_site(
                conn,
                services.settings,
                now,
                site=site.site_id,
                name=site.site_name,
                wall=services.wall,
            ),
        )

    def action_force_all(self) -> None:
        if not self._writable("force snapshots"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                services, now = self.services, self.now()
                self._act(
                    "force-all",
                    lambda conn: operations.force_all(conn, services.settings, now, services.wall),
                )

        self.app.push_screen(
            ConfirmScreen("Force a snapshot now for every eligible site?", yes="Force all"),
            answered,
        )

    def action_pause(self) -> None:
        site = self._site_or_say()
        if site is not None and self._writable("pause"):
            self._check_pause(site)

    def action_pause_all(self) -> None:
        if self._writable("pause"):
            self._check_pause(None)

    def _check_pause(self, site: SiteOverview | None) -> None:
        now = self.now()
        site_id = site.site_id if site is not None else None

        async def run() -> None:
            try:
                paused = await self.services.data.run(
                    lambda conn: operations.site_paused(conn, now, site_id)
                )
            except Exception as exc:
                self.post_message(ActionDone(error_line(exc, self.services.target), "error"))
            else:
                self.post_message(PauseAsked(site, paused))

        self._run("pause-check", run)

    @on(PauseAsked)
    def _pause_asked(self, message: PauseAsked) -> None:
        site = message.site
        site_id = site.site_id if site is not None else None
        scope = repr(site.site_name) if site is not None else "every site"
        if message.paused:
            if site is not None:  # one site: the key resumes it
                self._resume(site_id, scope)
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self._resume(None, scope)

            self.app.push_screen(
                ConfirmScreen("Resume snapshots of every site?", yes="Resume all"), answered
            )
            return

        def paused(request: PauseRequest | None) -> None:
            if request is None:
                return
            now = self.now()
            self._act(
                "pause",
                lambda conn: operations.pause(
                    conn,
                    now,
                    site=site_id,
                    scope=scope,
                    reason=request.reason,
                    duration=request.duration,
                ),
            )

        self.app.push_screen(PauseScreen(scope), paused)

    def _resume(self, site_id: UUID | None, scope: str) -> None:
        now = self.now()
        self._act("resume", lambda conn: operations.resume(conn, now, site_id, scope))

    def action_inspect(self) -> None:
        if self.focused_pane() == "snapshots" and self.snapshots_pane.selected is not None:
            self._inspect(snapshot=self.snapshots_pane.selected)
            return
        site = self._site_or_say()
        if site is not None:
            self._inspect(site=site)

    def _inspect(
        self, *, site: SiteOverview | None = None, snapshot: SnapshotRow | None = None
    ) -> None:
        now = self.now()
        site_id = site.site_id if site is not None else None
        snapshot_id = snapshot.snapshot_id if snapshot is not None else None

        async def run() -> None:
            try:
                found = await self.services.data.run(
                    lambda conn: open_latest_or_id(conn, now, site=site_id, snapshot=snapshot_id)
                )
            except Exception as exc:
                self.post_message(ActionDone(error_line(exc, self.services.target), "warning"))
            else:
                self.post_message(Inspected(found))

        self._run("inspect", run)

    @on(Inspected)
    def _inspected(self, message: Inspected) -> None:
        context = InspectContext(self.services.data, self.services.settings)
        self.app.push_screen(InspectScreen(context, message.found))

    def action_freeze(self) -> None:
        self.frozen = not self.frozen
        self.status.set_frozen(self.frozen)
        for pane in self.panes():
            pane.set_class(self.frozen, "-frozen")
        if self.frozen:
            self.notify("view frozen: nothing updates until space again", timeout=3)
        else:
            self.notify("view live again", timeout=2)
            self._tick()
            for feed in self.feeds:
                feed.thaw()

    def action_filter(self) -> None:
        self._show_pane("sites", focus=False)
        self.sites_pane.open_filter()

    def action_sort(self) -> None:
        name = self.sites_pane.cycle_sort(self.now())
        self.notify(f"sites sorted by {name}", timeout=2)

    def action_scope(self) -> None:
        self.follow_selection = not self.follow_selection
        which = "the selected site" if self.follow_selection else "all sites"
        self.notify(f"recent snapshots of {which}", timeout=2)
        self.snapshots_feed.request()

    def action_refresh(self) -> None:
        if self.frozen:
            self.notify("the view is frozen (space unfreezes)", severity="warning")
            return
        self._announce_refresh = True
        for feed in self.feeds:
            feed.request()

    def action_log(self) -> None:
        self.app.push_screen(LogScreen(self.services.ring, self.services.log_path))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.shown_keys(), self.help_notes()))

    async def action_quit(self) -> None:
        app: SnapwatchApp = self.app  # type: ignore[assignment]
        await app.shut_down()

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

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and isinstance(self.focused, Input):
            event.stop()
            self.sites_pane.clear_filter(self.now())

    # -- help and palette -----------------------------------------------------------------

    def shown_keys(self) -> list[tuple[str, str]]:
        """Every action with the keys in effect (after the user's remapping)."""
        return keymap.shown_keys(self.app, self.services.settings.keys, keymap.MAIN_ACTIONS)

    def help_notes(self) -> list[str]:
        return [f"now: {self.app.sub_title}", "the log view (l) says where the log file is"]

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        keys = {a.id: k for a, (k, _) in zip(keymap.MAIN_ACTIONS, self.shown_keys(), strict=True)}
        for a in keymap.MAIN_ACTIONS:
            if a.palette:
                yield f"{a.description} ({keys.get(a.id, '')})", a.help, self._runner(a.action)

    def _runner(self, action: str) -> Callable[[], Any]:
        async def run() -> None:
            await self.run_action(action)

        return run


def _every(seconds: float) -> Callable[[], float]:
    return lambda: seconds


def clock_text(clock: Clock) -> str:
    """``system clock``, ``demo clock ×60``, ``fixed clock``."""
    if isinstance(clock, AcceleratedClock):
        return f"{clock.name or 'accelerated'} clock ×{clock.speed:g}"
    if isinstance(clock, FixedClock):
        return "fixed clock"
    return "system clock" if clock.describe() == "system" else f"{clock.describe()} clock"
