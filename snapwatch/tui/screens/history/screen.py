"""The history screen of one site: its coverage over the last days (expected slots
against stored snapshots, from the audit), a strip of days, and a dry run or a backfill
of the range shown.

Reads run in workers through the app's database session and come back as messages. A
backfill runs in a worker on a connection of its own (the panes keep reading meanwhile),
after a confirmation and never with ``--read-only``; its progress comes back as
messages, its result per site is shown and the table is read again. ``escape`` while it
runs asks it to stop after the site-day in hand (every snapshot is whole or not
written); the screen closes once it has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, ProgressBar, Static

from snapwatch.infra.access import Job
from snapwatch.infra.clock import Clock
from snapwatch.infra.config import KeysSettings, Settings
from snapwatch.schedule.history.audit import DateRange
from snapwatch.schedule.history.backfill import Event
from snapwatch.schedule.history.plan import BackfillOptions, SitePlan
from snapwatch.schedule.history.wording import estimate, result_line
from snapwatch.schedule.instances import Identity
from snapwatch.snapshot.program import site_timezone
from snapwatch.tui import keymap
from snapwatch.tui.data import AppData, error_line
from snapwatch.tui.plain import literal, plain_lines
from snapwatch.tui.screens.dialogs import ConfirmScreen
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.history import reads
from snapwatch.tui.screens.history.text import (
    LEGEND,
    Day,
    day_cells,
    days_of,
    header,
    plan_text,
    strip_text,
)
from snapwatch.tui.screens.inspect.reads import ReadingScreen
from snapwatch.tui.widgets.keys_footer import KeysFooter

DEFAULT_DAYS = 30
MIN_DAYS = 7
MAX_DAYS = 371
"""53 weeks: a year of a site's sessions, and the same weekday a year ago."""
NAVIGATION: tuple[tuple[str, str], ...] = (
    ("↑ ↓ PgUp PgDn", "move in the days (newest first)"),
    ("ctrl+p", "command palette: every action of this screen"),
)
COLUMNS = ("DAY", "SESSION", "EXPECTED", "PRESENT", "MISSING", "COVERAGE", "PROBLEMS")


@dataclass(frozen=True)
class HistoryContext:
    """What the screen works with: the app's database session, the settings, the app's
    clock (what "now" is for the audit and the backfill)."""

    data: AppData
    settings: Settings
    clock: Clock


@dataclass(frozen=True)
class HistorySite:
    site_id: UUID
    name: str
    timezone: str | None


class Progressed(Message):
    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class BackfillEnded(Message):
    """The backfill finished (``finished``) or failed (``error``, one line)."""

    def __init__(self, finished: reads.Finished | None, error: str | None = None) -> None:
        super().__init__()
        self.finished = finished
        self.error = error


class HistoryScreen(ReadingScreen):
    ACTIONS = keymap.HISTORY_ACTIONS
    BINDINGS: ClassVar[list[BindingType]] = keymap.screen_bindings(keymap.HISTORY_ACTIONS)
    DEFAULT_CSS = """
    HistoryScreen { layout: vertical; }
    #history-header { height: auto; padding: 0 1; background: $boost; }
    #history-strip { height: auto; padding: 0 1; }
    #history-days { height: 1fr; border: round $primary-darken-1; }
    #history-days:focus { border: round $primary; }
    #history-work { height: auto; max-height: 12; border: round $primary-darken-1;
                    padding: 0 1; }
    #history-work.-running { border: round $warning; }
    #history-progress { height: 1; }
    """

    def __init__(self, context: HistoryContext, site: HistorySite) -> None:
        super().__init__()
        self.context = context
        self.data = context.data
        self.site = site
        self.days = DEFAULT_DAYS
        self.history: reads.History | None = None
        self.shown_days: list[Day] = []
        self._reads = 0
        """Reads started: a result that is not the latest's is dropped."""
        self.stop: asyncio.Event | None = None
        """Set while a backfill runs (setting it asks the backfill to stop)."""
        self.written = 0
        self.planned = 0
        self._asking = False
        """A backfill's plan is being read for its confirmation."""

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="history-header")
        yield Static(id="history-strip")
        table: DataTable[Text] = DataTable(id="history-days", cursor_type="row", zebra_stripes=True)
        yield table
        with Vertical(id="history-work"):
            yield ProgressBar(id="history-progress", show_eta=True)
            yield Static(id="history-work-body")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.table.add_columns(*COLUMNS)
        self.table.border_title = "days, newest first"
        self.query_one("#history-header", Static).update(
            plain_lines([f"{self.site.name} · reading the history of the last {self.days} days"])
        )
        self.query_one("#history-work").display = False
        self.query_one("#history-progress").display = False
        self.table.focus()
        self.reread()

    def on_resize(self, _event: events.Resize) -> None:
        self._show_strip()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#history-days", DataTable)

    @property
    def dates(self) -> DateRange:
        return reads.last_days(self.site.timezone, self.context.clock.now(), self.days)

    # -- reading --------------------------------------------------------------------------

    def reread(self) -> None:
        """Read the site's audit over the range shown; the screen keeps what it shows
        until the read lands."""
        self._reads += 1
        number, now, settings = self._reads, self.context.clock.now(), self.context.settings
        site, dates = self.site.site_id, self.dates
        self.fetch(
            lambda conn: reads.read_history(conn, now, settings, site, dates),
            lambda found: self._show(number, found),
        )

    def _show(self, number: int, found: reads.History) -> None:
        if number != self._reads:
            return  # a later read is on its way
        self.history = found
        self.shown_days = days_of(found.audit)
        zone = site_timezone(self.site.timezone).name
        self.query_one("#history-header", Static).update(
            header(found.audit, self.site.name, found.last_backfill, zone)
        )
        self._show_strip()
        self._fill_table()

    def _show_strip(self) -> None:
        if self.history is None:
            return
        width = max(30, self.size.width - 2)
        self.query_one("#history-strip", Static).update(strip_text(self.shown_days, width))

    def _fill_table(self) -> None:
        table = self.table
        at = None
        if table.row_count:
            at = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        for day in reversed(self.shown_days):
            table.add_row(*day_cells(day), key=day.key)
        keys = [d.key for d in reversed(self.shown_days)]
        if at in keys:
            table.move_cursor(row=keys.index(str(at)), animate=False)

    def action_days(self, step: int) -> None:
        days = min(MAX_DAYS, max(MIN_DAYS, self.days + step))
        if days == self.days:
            self.say(f"showing {self.days} days: the {'most' if step > 0 else 'fewest'} it shows")
            return
        self.days = days
        self.reread()

    def action_reread(self) -> None:
        self.reread()

    # -- dry run and backfill -------------------------------------------------------------

    def _options(self, dates: DateRange | None = None) -> BackfillOptions:
        """A backfill of this site over ``dates`` (default: the range shown)."""
        return BackfillOptions(
            dates=dates or self.dates, site=self.site.site_id, who=Identity.current().who
        )

    def _plan(
        self, then: Callable[[SitePlan], object], failed: Callable[[str], object] | None = None
    ) -> None:
        options, now, settings = self._options(), self.context.clock.now(), self.context.settings
        self.fetch(lambda conn: reads.plan_site(conn, now, settings, options), then, failed)

    def action_dry_run(self) -> None:
        if self.stop is not None:
            self.say("a backfill is running (escape stops it)", "warning")
            return
        self._plan(self._show_plan)

    def _show_plan(self, plan: SitePlan) -> None:
        audit = plan.audit
        title = f"dry run of {audit.since} .. {audit.until}: nothing is written"
        self._work(title, plan_text(plan))

    def action_backfill(self) -> None:
        if self.data.read_only:
            self.say("read-only: cannot backfill", "warning")
            return
        if self.stop is not None:
            self.say("a backfill is running (escape stops it)", "warning")
            return
        if self._asking:
            return  # its plan is being read, then the dialog asks
        self._asking = True
        self._plan(self._confirm, self._not_planned)

    def _not_planned(self, line: str) -> None:
        self._asking = False
        self.say(line, "warning")

    def _confirm(self, plan: SitePlan) -> None:
        self._asking = False
        audit = plan.audit
        if plan.skipped is not None or not plan.slots:
            self._show_plan(plan)
            why = plan.skipped or f"no expected slot of {audit.since} .. {audit.until} is missing"
            self.say(f"nothing to backfill: {why}", "warning")
            return
        left = f" {len(plan.left)} missing slots stay: other rows hold them." if plan.left else ""
        question = (
            f"Backfill {plan.slots} missing snapshots of {self.site.name!r},"
            f" {audit.since} .. {audit.until} ({estimate(plan.slots)})?{left}"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(plan.slots, DateRange(audit.since, audit.until))

        self.app.push_screen(ConfirmScreen(question, yes="Backfill"), answered)

    def _start(self, planned: int, dates: DateRange) -> None:
        """Backfill ``dates`` (the range the operator said yes to)."""
        if self.stop is not None:
            return
        stop = self.stop = asyncio.Event()
        self.written, self.planned = 0, planned
        options = self._options(dates)
        settings, clock = self.context.settings, self.context.clock
        bar = self.query_one("#history-progress", ProgressBar)
        bar.update(total=planned, progress=0)
        bar.display = True
        self.query_one("#history-work").add_class("-running")
        self._work(
            f"backfill of {options.dates.since} .. {options.dates.until}",
            plain_lines([f"writing {planned} snapshots, oldest first (escape stops)"]),
        )

        def report(event: Event) -> None:
            self.post_message(Progressed(event))

        async def run() -> None:
            try:
                finished = await self.data.run_apart(
                    Job.BACKFILL,
                    lambda conn: reads.run_backfill(
                        conn,
                        settings,
                        options,
                        now=clock.now,
                        progress=report,
                        stop=stop,
                    ),
                )
            except Exception as exc:
                self.post_message(BackfillEnded(None, error_line(exc, self.data.target)))
            else:
                self.post_message(BackfillEnded(finished))

        self.run_worker(run(), name="backfill", group="history-backfill", exit_on_error=False)

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        event = message.event
        if event["event"] != "written":
            return
        self.written += int(event["count"])
        self.query_one("#history-progress", ProgressBar).advance(int(event["count"]))
        asked = " · stopping after the site-day in hand" if self._stopping() else ""
        self.query_one("#history-work-body", Static).update(
            plain_lines([f"{self.written} of {self.planned} snapshots written{asked}"])
        )

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    @on(BackfillEnded)
    def _backfill_ended(self, message: BackfillEnded) -> None:
        closing = self._stopping()
        self.stop = None
        self.query_one("#history-work").remove_class("-running")
        self.query_one("#history-progress").display = False
        finished = message.finished
        if finished is None:
            line = f"backfill failed: {message.error}"
            self._work("backfill failed", plain_lines([line]))
            self.say(line, "error")
        else:
            lines = [result_line(r) for r in finished.results] or ["nothing to write"]
            if finished.stopped:
                lines.append("stopped when asked: run it again to go on where it stopped")
            failed = any(r.error or r.busy for r in finished.results)
            self._work("backfill done", plain_lines(lines))
            self.say("; ".join(lines), "warning" if failed or finished.stopped else "information")
        self.reread()
        if closing:
            self.dismiss(None)

    def _work(self, title: str, body: Text) -> None:
        box = self.query_one("#history-work")
        box.display = True
        box.border_title = literal(title)
        self.query_one("#history-work-body", Static).update(body)

    # -- help, palette, leaving -----------------------------------------------------------

    def key_settings(self) -> KeysSettings:
        return self.context.settings.keys

    def action_help(self) -> None:
        notes = [
            f"the strip and the first column: {LEGEND}",
            "expected: the completed slots of each session by the site's cadence today (the"
            " platform keeps no cadence history), less paused slots and those after a lock",
            "a backfill writes the missing slots as of their window, like the scheduler;"
            " rows of another shape stay (snapwatch backfill --replace replaces them)",
        ]
        self.app.push_screen(HelpScreen(self.shown_keys(), notes, NAVIGATION))

    def action_close(self) -> None:
        stop = self.stop
        if stop is None:
            self.dismiss(None)
            return
        if not stop.is_set():
            stop.set()
            self.say("stopping the backfill after the site-day in hand; then this screen closes")
        else:
            self.say("stopping: the site-day in hand finishes first")
