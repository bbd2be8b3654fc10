"""The run history screens (``enter`` on the job health pane, or ``R``): recent runs, one
run's per-site outcomes with failures first, one site's failures, on runs recorded by the
real scheduler tick (Pilot and SVG snapshots)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import AsyncConnection
from support.app import main_of, make_app, wait_for
from support.app_inert import assert_inert
from support.app_notes import ready
from support.app_snapshots import NamedTarget
from support.hostile_fleet import ESCAPES, LINK, shown
from support.overview_rows import Rows
from support.run_history import (
    SECOND,
    STARTED,
    H,
    build_runs,
    refuse_writes,
    tick,
)
from textual.pilot import Pilot

from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.screens.runs.base import RunsBase
from snapwatch.tui.screens.runs.drill import RunSitesScreen, SiteFailuresScreen
from snapwatch.tui.screens.runs.screen import RunsScreen

SnapCompare = Callable[..., bool]
HOSTILE = f"Pier {LINK}{ESCAPES} [North]"
SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def rows(migrated_dsn: str, isolated_env: Path) -> Iterator[Rows]:
    r = Rows(migrated_dsn)
    yield r
    r.close()


async def on_screen(pilot: Pilot[Any], kind: type[RunsBase], rows: int) -> RunsBase:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind))
    screen = pilot.app.screen
    assert isinstance(screen, kind)
    await wait_for(pilot, lambda: screen.table.row_count == rows)
    await pilot.pause()
    return screen


def detail(screen: RunsBase) -> str:
    return str(screen.detail.render())


def header(screen: RunsBase) -> str:
    return str(screen.header.render())


def shown_rows(screen: RunsBase) -> list[list[str]]:
    return [screen.table.shown_text(key) for key in screen.table.row_keys]


async def open_runs(pilot: Pilot[Any], count: int = 2) -> RunsScreen:
    """The job health pane, then ``enter`` on it."""
    await pilot.press("4")
    await wait_for(pilot, lambda: main_of(pilot).focused_pane() == "health")
    await pilot.press("enter")
    screen = await on_screen(pilot, RunsScreen, count)
    assert isinstance(screen, RunsScreen)
    return screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_health_enter_opens_the_runs_then_a_runs_sites_then_a_sites_failures_and_back(
    migrated_dsn: str,
    rows: Rows,
    conn: AsyncConnection[dict[str, Any]],
    cfg: Settings,
    size: tuple[int, int],
) -> None:
    fleet = await build_runs(rows, conn, cfg)
    app = make_app(migrated_dsn)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        runs = await open_runs(pilot)
        assert runs.table.row_keys == [str(fleet.second), str(fleet.first)]
        assert runs.table.cursor_key == str(fleet.second)
        assert header(runs) == "Run history · the 2 newest runs of every instance"
        first = shown_rows(runs)[0]
        assert first[:2] == ["06-11 09:01:00", "host-b:202"] and "partial" in first
        text = detail(runs)  # every column, whatever the width shows
        assert text.startswith(
            "tick by host-b:202 (tui)\n"
            "started 2026-06-11 09:01:00 UTC · took 1.5s · as of 2026-06-10 03:03:00 UTC\n"
            "partial: sites 1 written, 1 skipped, 1 failed\n"
            'error: write: NotNullViolation: null value in column "company_id"'
        )
        await pilot.press("down")
        await wait_for(pilot, lambda: "09:00:00" in detail(runs))

        await pilot.press("enter")
        sites = await on_screen(pilot, RunSitesScreen, 4)
        assert header(sites).splitlines()[0] == (
            "tick by host-a:101 (daemon) · 4 outcomes, failures first"
        )
        assert [row[0] for row in shown_rows(sites)] == ["Broken", "Alpha", "Alpha", "Empty"]
        assert [row[1] for row in shown_rows(sites)] == ["failed", "written", "written", "skipped"]
        text = detail(sites)
        assert text.startswith("Broken · failed\nerror: write: NotNullViolation: ")
        assert text.rstrip().endswith(f"site {fleet.broken}")
        assert "2026-06-10 02:03:00+00)." in text  # the error to its end
        await pilot.press("down")
        await wait_for(pilot, lambda: detail(sites).startswith("Alpha · written · wake 1"))
        assert "(catch-up)" in detail(sites) and "snapshot " in detail(sites)
        await pilot.press("up")

        await pilot.press("enter")
        failures = await on_screen(pilot, SiteFailuresScreen, 2)
        assert header(failures) == "Broken · 2 most recent failures, newest first"
        assert [row[0] for row in shown_rows(failures)] == ["06-11 09:01:00", "06-11 09:00:00"]
        assert detail(failures).startswith(
            "failed in the tick started 2026-06-11 09:01:00 UTC by host-b:202"
            " · as of 2026-06-10 03:03:00 UTC\nerror: write: NotNullViolation: "
        )

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is sites)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is runs)
        assert runs.table.cursor_key == str(fleet.first)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main_of(pilot))


async def test_new_runs_arrive_on_top_followed_until_the_cursor_moves_then_kept_by_key(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[dict[str, Any]], cfg: Settings
) -> None:
    fleet = await build_runs(rows, conn, cfg)
    app = make_app(migrated_dsn, refresh_seconds=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        runs = await on_screen(pilot, RunsScreen, 2)
        assert isinstance(runs, RunsScreen)
        third = await tick(conn, cfg, SECOND + H, fleet.host_a, STARTED + 2 * H)
        await wait_for(pilot, lambda: runs.table.row_count == 3)
        assert runs.table.cursor_key == str(third)  # on top: it follows the head
        assert runs.table.border_title == "recent runs, newest first"

        await pilot.press("down", "down")
        await wait_for(pilot, lambda: runs.table.cursor_key == str(fleet.first))
        fourth = await tick(conn, cfg, SECOND + 2 * H, fleet.host_b, STARTED + 3 * H)
        fifth = await tick(conn, cfg, SECOND + 3 * H, fleet.host_b, STARTED + 4 * H)
        await wait_for(pilot, lambda: runs.table.row_count == 5)
        assert runs.table.row_keys[:2] == [str(fifth), str(fourth)]
        assert runs.table.cursor_key == str(fleet.first)  # moved: kept by key
        assert runs.table.border_title == "recent runs, newest first · ↑ 2 newer"
        assert "09:00:00" in detail(runs)

        await pilot.press("ctrl+home")
        await wait_for(pilot, lambda: runs.table.cursor_key == str(fifth))
        assert runs.table.border_title == "recent runs, newest first"


async def test_a_failed_read_keeps_the_list_shown_and_says_why_until_a_read_succeeds(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[dict[str, Any]], cfg: Settings
) -> None:
    fleet = await build_runs(rows, conn, cfg)
    app = make_app(migrated_dsn, refresh_seconds=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        runs = await open_runs(pilot)
        rows.conn.execute("ALTER TABLE snapwatch.runs RENAME TO runs_away")
        await wait_for(pilot, lambda: "not read again" in header(runs))
        assert runs.table.row_keys == [str(fleet.second), str(fleet.first)]
        assert "tick by host-b:202" in detail(runs)
        rows.conn.execute("ALTER TABLE snapwatch.runs_away RENAME TO runs")
        await wait_for(pilot, lambda: "not read again" not in header(runs))
        assert header(runs) == "Run history · the 2 newest runs of every instance"


async def test_a_hostile_site_name_is_plain_text_in_the_outcomes_and_its_failures(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[dict[str, Any]], cfg: Settings
) -> None:
    await build_runs(rows, conn, cfg, broken=HOSTILE)
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await open_runs(pilot)
        await pilot.press("enter")
        sites = await on_screen(pilot, RunSitesScreen, 3)
        assert detail(sites).startswith(f"{shown(HOSTILE)} · failed")
        assert_inert(app, f"{shown(HOSTILE)} · failed")
        await pilot.press("enter")
        failures = await on_screen(pilot, SiteFailuresScreen, 2)
        assert header(failures).startswith(shown(HOSTILE))
        assert_inert(app, f"{shown(HOSTILE)} · 2 most recent failures")


# -- SVG snapshots ---------------------------------------------------------------------


@pytest.fixture
def run_dsn(migrated_dsn: str, isolated_env: Path, cfg: Settings) -> str:
    """The two ticks, the failing site refused by a platform trigger (a fixed error)."""

    async def build() -> None:
        conn = await connect(Target(dsn=migrated_dsn), cfg)
        rows = Rows(migrated_dsn)
        try:
            await build_runs(rows, conn, cfg, fail=refuse_writes)
        finally:
            rows.close()
            await conn.close()

    asyncio.run(build())
    return migrated_dsn


def runs_app(dsn: str, tmp: Path) -> SnapwatchApp:
    return make_app(dsn, target=NamedTarget(dsn=dsn), tmp=tmp)


async def at_runs(pilot: Pilot[Any]) -> None:
    await ready(pilot)
    await open_runs(pilot)


async def at_one_run(pilot: Pilot[Any]) -> None:
    await at_runs(pilot)
    await pilot.press("enter")
    await on_screen(pilot, RunSitesScreen, 3)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_run_list(
    snap_compare: SnapCompare, run_dsn: str, tmp_path: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(runs_app(run_dsn, tmp_path), terminal_size=size, run_before=at_runs)


def test_one_runs_outcomes(snap_compare: SnapCompare, run_dsn: str, tmp_path: Path) -> None:
    app = runs_app(run_dsn, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=at_one_run)
