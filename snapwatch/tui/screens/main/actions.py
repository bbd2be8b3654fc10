"""The main screen's operator actions: force, pause and resume (with their dialogs), inspect,
a site's history, freeze, filter, sort, scope, refresh, the log and help screens, quit.

Every action runs in a worker with "now" from the app's clock and ends in a
notification with its result or its one-line error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from textual import on
from textual.message import Message
from textual.widgets import DataTable

from snapwatch.infra.dbsession import Conn
from snapwatch.readmodels.sites import SiteOverview
from snapwatch.schedule import activity
from snapwatch.tui import keymap, operations
from snapwatch.tui.data import error_line
from snapwatch.tui.messages import ActionDone
from snapwatch.tui.panes.sites import SitesPane
from snapwatch.tui.screens.activity.screen import ActivityScreen
from snapwatch.tui.screens.dialogs import ConfirmScreen, PauseRequest, PauseScreen
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.history.screen import HistoryContext, HistoryScreen, HistorySite
from snapwatch.tui.screens.inspect.loader import Opened, open_latest_or_id
from snapwatch.tui.screens.inspect.screen import InspectContext, InspectScreen
from snapwatch.tui.screens.log import LogScreen
from snapwatch.tui.screens.main.feeds import LiveFeeds
from snapwatch.tui.screens.runs.base import RunsContext
from snapwatch.tui.screens.runs.screen import RunsScreen
from snapwatch.tui.trail import note_soon


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


class OperatorActions(LiveFeeds):
    """What the keys do: each action reads or writes in a worker and reports by message."""

    @on(SitesPane.Chosen)
    def _site_chosen(self, message: SitesPane.Chosen) -> None:
        self._inspect(site=message.site)

    @on(DataTable.RowSelected, "#snapshots")
    def _snapshot_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._inspect(snapshot_id=UUID(str(event.row_key.value)))

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
        """On the snapshots pane, exactly the highlighted row (its key is the snapshot's
        id); elsewhere the selected site's latest snapshot."""
        key = self.snapshots_pane.table.cursor_key
        if self.focused_pane() == "snapshots" and key is not None:
            self._inspect(snapshot_id=UUID(key))
            return
        site = self._site_or_say()
        if site is not None:
            self._inspect(site=site)

    def action_newest(self) -> None:
        self.snapshots_pane.table.follow_head()

    def _inspect(
        self, *, site: SiteOverview | None = None, snapshot_id: UUID | None = None
    ) -> None:
        now = self.now()
        site_id = site.site_id if site is not None else None

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

    def action_history(self) -> None:
        site = self._site_or_say()
        if site is None:
            return
        services = self.services
        context = HistoryContext(services.data, services.settings, services.clock)
        chosen = HistorySite(site.site_id, site.site_name, site.timezone)
        self.app.push_screen(HistoryScreen(context, chosen))

    def action_runs(self) -> None:
        services = self.services
        mine = services.scheduler.scheduler.instance_id if services.scheduler else None
        self.app.push_screen(RunsScreen(RunsContext(services.data, services.settings, mine)))

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
        note_soon(self, self.services.data, activity.REFRESH, scope=activity.ALL_SITES)

    def action_log(self) -> None:
        self.app.push_screen(LogScreen(self.services.ring, self.services.log_path))

    def action_activity(self) -> None:
        services = self.services
        self.app.push_screen(ActivityScreen(services.data, services.settings.keys))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.shown_keys(), self.help_notes()))

    def shown_keys(self) -> list[tuple[str, str]]:
        """Every action with the keys in effect (after the user's remapping)."""
        return keymap.shown_keys(self.app, self.services.settings.keys, keymap.MAIN_ACTIONS)

    def help_notes(self) -> list[str]:
        return [f"now: {self.app.sub_title}", "the log view (l) says where the log file is"]

    async def action_quit(self) -> None:
        await self.services.quit()
