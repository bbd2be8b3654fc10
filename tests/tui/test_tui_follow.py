"""The Recent snapshots pane follows its head: snapshots written by another process
(``snapwatch run-once`` in a process of its own, announced by NOTIFY) show at the top
while the cursor is on the newest; once the operator has moved, the chosen snapshot
stays chosen, the title counts the newer ones, and ``enter`` opens exactly it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from support.app import NOW, main_of, make_app, wait_for
from support.app_notes import ready
from support.live_fleet import eligible_fleet
from support.overview_rows import Rows
from textual.pilot import Pilot

from snapwatch.tui.panes.snapshots import SnapshotsPane, SnapshotsTable
from snapwatch.tui.screens.inspect.screen import InspectScreen

SIZES = [(80, 24), (120, 40)]


def run_once(dsn: str, at: datetime) -> None:
    """``snapwatch run-once`` as of ``at`` in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "snapwatch", "run-once", "--dsn", dsn, "--at", at.isoformat()],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == 0, done.stderr


def listening(pilot: Pilot[Any]) -> bool:
    return "live (LISTEN/NOTIFY)" in str(main_of(pilot).health_pane.updates.content)


def title(pane: SnapshotsPane) -> str:
    return str(pane.border_title)


def newest_in_view(pane: SnapshotsPane) -> bool:
    """The cursor is on the first row and the table is scrolled to the top."""
    table = pane.table
    return table.cursor_row == 0 and table.scroll_y == 0


def screen_row(table: SnapshotsTable) -> float:
    """The cursor's row on the screen (below the header)."""
    return table.cursor_row - table.scroll_y


def fleet(rows: Rows, count: int) -> None:
    """``count`` hourly sites whose session started 3.5 h before ``NOW``: three slots owed
    each, one more every hour."""
    program = rows.program(rows.company("Follow Co"), "Follow Watch")
    for n in range(count):
        site = rows.site(program, f"Room {n + 1}", snapshot_cadence_hours=1, timezone="UTC")
        rows.device(site)
        start = NOW - timedelta(hours=3, minutes=30)
        rows.session(site, start, start + timedelta(hours=24), "in_progress")


async def written(pilot: Pilot[Any], dsn: str, at: datetime, rows: int) -> None:
    """Another process writes; the pane shows ``rows`` rows at once (NOTIFY, no polling)."""
    await asyncio.to_thread(run_once, dsn, at)
    pane = main_of(pilot).snapshots_pane
    await wait_for(pilot, lambda: pane.table.row_count == rows, timeout=5)
    await pilot.pause(0.1)  # the scroll settles after the refresh


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_the_pane_follows_new_snapshots_and_keeps_the_chosen_one_by_key(
    migrated_dsn: str, rows: Rows, size: tuple[int, int]
) -> None:
    fleet(rows, 5)
    app = make_app(migrated_dsn, listen=True)  # refresh every hour: only NOTIFY can do it
    async with app.run_test(size=size) as pilot:
        await ready(pilot, count=5)
        main = main_of(pilot)
        pane, table = main.snapshots_pane, main.snapshots_pane.table
        await wait_for(pilot, lambda: listening(pilot))
        await pilot.press("a", "2")  # every site's snapshots, in the snapshots pane
        await wait_for(pilot, lambda: "all sites" in title(pane))
        await written(pilot, migrated_dsn, NOW, 15)  # three owed slots of five sites
        assert newest_in_view(pane)

        await written(pilot, migrated_dsn, NOW + timedelta(hours=1), 20)
        assert newest_in_view(pane)  # the cursor followed the head
        times = [pane.snapshots[key].created_at for key in table.row_keys]
        assert times[0] == max(times)
        assert "newer" not in title(pane)

        await pilot.press("down", "down")
        chosen = table.cursor_key
        assert chosen is not None and chosen == table.row_keys[2]
        await written(pilot, migrated_dsn, NOW + timedelta(hours=2), 25)
        assert table.cursor_key == chosen  # the same snapshot, not the same row number
        assert table.cursor_row == 7 and screen_row(table) == 2  # it kept its place
        await wait_for(pilot, lambda: "↑ 5 newer" in title(pane))
        assert table.newer == 5

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))
        screen = app.screen
        assert isinstance(screen, InspectScreen)
        assert screen.found.row.snapshot_id == UUID(chosen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InspectScreen))

        await written(pilot, migrated_dsn, NOW + timedelta(hours=3), 30)
        assert table.cursor_key == chosen and screen_row(table) == 2
        await wait_for(pilot, lambda: "↑ 10 newer" in title(pane))

        await pilot.press("home")  # back to the newest: following again
        await wait_for(pilot, lambda: "newer" not in title(pane))
        assert newest_in_view(pane) and table.newer == 0
        await written(pilot, migrated_dsn, NOW + timedelta(hours=4), 35)
        assert newest_in_view(pane)
        assert table.cursor_key == table.row_keys[0]


async def test_moving_back_to_the_top_resumes_following(migrated_dsn: str, rows: Rows) -> None:
    eligible_fleet(rows)
    app = make_app(migrated_dsn, listen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        main = main_of(pilot)
        pane = main.snapshots_pane
        await wait_for(pilot, lambda: listening(pilot))
        await pilot.press("a", "2")
        await wait_for(pilot, lambda: "all sites" in title(pane))
        await written(pilot, migrated_dsn, NOW, 6)
        await pilot.press("down")
        await written(pilot, migrated_dsn, NOW + timedelta(hours=1), 8)
        await wait_for(pilot, lambda: "↑ 2 newer" in title(pane))
        await pilot.press("up", "up")  # onto the lower of the newer two: one still above
        await wait_for(pilot, lambda: "↑ 1 newer" in title(pane))
        await pilot.press("up")
        await wait_for(pilot, lambda: "newer" not in title(pane))
        await written(pilot, migrated_dsn, NOW + timedelta(hours=2), 10)
        assert newest_in_view(pane)
