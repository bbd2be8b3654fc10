"""The run history screen (``R``, or ``enter`` on the job health pane): the recent runs of
every instance, ticks and backfills, newest first, read again every refresh while open.

New runs arrive at the top. While the cursor is on the newest run it follows the head;
once the operator has moved it down it stays on the same run (by key) and the table's
title says how many newer runs arrived above, until the cursor is back on top. ``enter``
opens the highlighted run's per-site outcomes (:mod:`.drill`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on

from snapwatch.readmodels.runs import RunRow, recent_runs, run_sites
from snapwatch.tui.columns import ColumnSpec
from snapwatch.tui.panes.following import HeadFollowingTable, NewerChanged
from snapwatch.tui.plain import plain
from snapwatch.tui.poller import Polled, Poller
from snapwatch.tui.screens.runs.base import OpenTable, RunsBase, RunsContext
from snapwatch.tui.screens.runs.drill import OUTCOMES_SHOWN, RunSitesScreen
from snapwatch.tui.screens.runs.text import RUN_SPECS, run_lines, run_row

RUNS_SHOWN = 100
TITLE = "recent runs, newest first"


class RunsTable(OpenTable, HeadFollowingTable):
    SPECS: ClassVar[tuple[ColumnSpec, ...]] = RUN_SPECS

    def __init__(self) -> None:
        super().__init__(id="runs")


class RunsScreen(RunsBase):
    NOTES = (
        "every tick of every scheduler instance (and every backfill), as recorded in the"
        " run history; started is the wall clock of the process, as of the instant the"
        " run judged due-ness at (the demo's clock runs fast)",
        "the list is read again every refresh; new runs arrive at the top",
    )

    def __init__(self, context: RunsContext) -> None:
        self.list = RunsTable()
        super().__init__(context, self.list)
        self.runs: dict[str, RunRow] = {}
        self.problem: str | None = None
        """Why the last read failed (the list shown stays as it was)."""
        ui = context.settings.ui
        self.feed: Poller[list[RunRow]] = Poller(
            self,
            "runs",
            self._read,
            self._show,
            target=context.data.target,
            interval=lambda: ui.refresh_seconds,
            on_error=self._not_read,
            cost_ratio=1 / ui.max_poll_share,
        )

    def on_mount(self) -> None:
        super().on_mount()
        self._titles()
        self.feed.request()

    def on_unmount(self) -> None:
        self.feed.stop()

    async def _read(self) -> list[RunRow]:
        return await self.data.run(lambda conn: recent_runs(conn, RUNS_SHOWN))

    @on(Polled)
    def _polled(self, message: Polled[Any]) -> None:
        message.stop()
        message.poller.deliver(message)

    def _show(self, runs: list[RunRow]) -> None:
        mine = self.context.mine
        self.runs = {str(r.run_id): r for r in runs}
        self.table.show_rows({key: run_row(run, mine) for key, run in self.runs.items()})
        self.problem = None
        self._titles()
        self.show_detail()

    def _not_read(self, line: str) -> None:
        self.problem = line
        self._titles()

    def _titles(self) -> None:
        count = len(self.runs)
        title = plain("Run history", "bold")
        if not self.feed.reads:
            title.append(" · reading…")
        else:
            title.append(
                f" · the {count} newest runs of every instance"
                if count
                else " · no run recorded yet"
            )
        if self.problem is not None:
            title.append(" · not read again: ", "yellow")
            title.append_text(plain(self.problem, "yellow"))
        self.header.update(title)
        newer = self.list.newer_text
        self.table.border_title = f"{TITLE} · {newer}" if newer else TITLE

    @on(NewerChanged)
    def _newer(self, _event: NewerChanged) -> None:
        self._titles()

    def detail_of(self, key: str) -> list[Text]:
        run = self.runs.get(key)
        return run_lines(run, self.context.mine) if run is not None else []

    def action_open(self) -> None:
        key = self.table.cursor_key
        run = self.runs.get(key) if key is not None else None
        if run is None:
            return
        context, run_id = self.context, run.run_id
        self.open_next(
            lambda conn: run_sites(conn, run_id, OUTCOMES_SHOWN),
            lambda found: RunSitesScreen(context, found),
        )
