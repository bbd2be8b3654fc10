"""The history screen (``h``): a site's coverage by day from the audit, a dry run, and a
backfill of the shown range after a confirmation, on a real database (Pilot)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import AsyncConnection
from support.app import NOW, main_of, make_app, make_settings, wait_for
from support.app_inert import assert_inert
from support.app_notes import Notes, ready
from support.hostile_fleet import ESCAPES, LINK, shown
from support.overview_rows import Rows
from textual.command import CommandPalette
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import Static

from snapwatch.infra.config import Settings
from snapwatch.schedule.history.audit import DateRange
from snapwatch.schedule.history.backfill import Backfill
from snapwatch.schedule.history.plan import BackfillOptions, plan_backfill
from snapwatch.tui.screens.dialogs import ConfirmScreen
from snapwatch.tui.screens.history.screen import HistoryScreen

D1 = NOW.replace(hour=0, minute=0) - timedelta(days=2)  # 2025-03-08, a whole day
D2 = D1 + timedelta(days=1)
H = timedelta(hours=1)
HOSTILE = f"Pier {LINK}{ESCAPES} [North]"


@pytest.fixture
def rows(migrated_dsn: str, isolated_env: Path) -> Iterator[Rows]:
    r = Rows(migrated_dsn)
    yield r
    r.close()


def make_site(rows: Rows, name: str = "Pier 4") -> UUID:
    """A site at a 1 h cadence (UTC) with two locked day sessions, D1 and D2, telemetry
    every 30 min and images every 2 h; no snapshot yet, no session today."""
    program = rows.program(rows.company("Co"), "Program")
    site = rows.site(program, name, snapshot_cadence_hours=1, timezone="UTC")
    devices = [rows.device(site, x_position=1.0 + i, y_position=2.0) for i in range(2)]
    for day in (D1, D2):
        rows.session(site, day, day + timedelta(days=1), "locked")
    for n in range(2 * 48):
        at = D1 + timedelta(minutes=30 * n + 7)
        for i, device in enumerate(devices):
            rows.payload(device, at, temperature=20.0 + i, humidity=50.0, battery_voltage=3.7)
            if n % 4 == 0:
                rows.image(device, at, 0.05 + 0.001 * n)
    return site


async def write_day_one(conn: AsyncConnection[Any], cfg: Settings) -> None:
    """D1's 24 snapshots, written by the history core (D2 stays missing)."""
    options = BackfillOptions(dates=DateRange(D1.date(), D1.date()), who="fixture")
    plans = await plan_backfill(conn, NOW, cfg, options)
    [result] = await Backfill(conn, cfg, options, now=lambda: NOW).run(plans)
    assert result.written == 24


@pytest.fixture
async def site(rows: Rows, conn: AsyncConnection[Any], cfg: Settings) -> UUID:
    made = make_site(rows)
    await write_day_one(conn, cfg)
    return made


def snapshots(rows: Rows, site: UUID) -> dict[str, int]:
    """The site's stored snapshots by session date."""
    found = rows.conn.execute(
        "SELECT s.session_date::text, count(*) FROM session_wake_snapshots w"
        " JOIN site_device_sessions s USING (session_id) WHERE w.site_id = %s GROUP BY 1",
        (site,),
    ).fetchall()
    return dict(found)


def backfill_runs(rows: Rows) -> list[tuple[str, str]]:
    """The backfills recorded in the run history but the fixture's."""
    return rows.conn.execute(
        "SELECT status, started_by FROM snapwatch.runs"
        " WHERE kind = 'backfill' AND started_by <> 'fixture' ORDER BY started_at"
    ).fetchall()


async def open_history(pilot: Pilot[Any], site: UUID) -> HistoryScreen:
    main = main_of(pilot)
    assert main.sites_pane.table.move_to(str(site))
    await wait_for(pilot, lambda: main.selected is not None and main.selected.site_id == site)
    await pilot.press("h")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen))
    screen = pilot.app.screen
    assert isinstance(screen, HistoryScreen)
    await wait_for(pilot, lambda: screen.history is not None)
    return screen


def text(screen: HistoryScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def day_row(screen: HistoryScreen, day: str) -> list[str]:
    return [cell.plain for cell in screen.table.get_row(day)]


async def test_h_shows_the_selected_sites_coverage_by_day_and_plus_minus_change_the_range(
    migrated_dsn: str, rows: Rows, site: UUID
) -> None:
    session = rows.conn.execute(
        "SELECT session_id FROM site_device_sessions WHERE site_id = %s AND session_date = %s",
        (site, D2.date()),
    ).fetchone()
    assert session is not None
    keys = rows._site_keys(site)
    rows.conn.execute(  # an older generator's bare array in D2's third slot
        "INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,"
        " wake_number, wake_round_start, wake_round_end, site_state)"
        " VALUES (%s, %s, %s, %s, 3, %s, %s, %s::jsonb)",
        (keys["company_id"], keys["program_id"], site, session[0], D2 + 2 * H, D2 + 3 * H,
         json.dumps([{"device_code": "A"}])),
    )  # fmt: skip
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, 1)
        screen = await open_history(pilot, site)
        head = text(screen, "#history-header")
        assert head.startswith("Pier 4 · history 2025-02-09 .. 2025-03-10 (30 days, UTC)")
        assert (
            "coverage 50.0% · 2 sessions · 48 expected · 24 present · 23 missing"
            " · 3 other problems" in head
        )
        assert screen.table.row_count == 30
        assert screen.table.coordinate_to_cell_key(Coordinate(0, 0)).row_key.value == "2025-03-10"
        assert day_row(screen, "2025-03-08") == [
            "█ 2025-03-08", "locked", "24", "24", "0", "100.0%", ""
        ]  # fmt: skip
        assert day_row(screen, "2025-03-09") == [
            "░ 2025-03-09", "locked", "24", "0", "23", "0.0%", "1 other shape, 2 wake gaps"
        ]  # fmt: skip
        assert day_row(screen, "2025-03-10") == [
            "· 2025-03-10", "no session", "-", "-", "-", "-", ""
        ]  # fmt: skip
        strip = text(screen, "#history-strip")
        assert strip.startswith("2025-02-09 ·· ······· ······· ······· ····█░· 2025-03-10")
        assert "█ full  ▒ partial  ░ none  · nothing expected" in strip

        await pilot.press("minus")
        await wait_for(pilot, lambda: screen.table.row_count == 23)
        assert "(23 days, UTC)" in text(screen, "#history-header")
        for _ in range(2):
            await pilot.press("plus")
        await wait_for(pilot, lambda: screen.table.row_count == 37)
        assert "history 2025-02-02 .. 2025-03-10 (37 days" in text(screen, "#history-header")
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is main_of(pilot))


async def test_the_palette_opens_the_history_of_the_selected_site(
    migrated_dsn: str, rows: Rows, site: UUID
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, 1)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "History (h)" in titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"history (h)")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        await wait_for(pilot, lambda: screen.history is not None)
        assert screen.site.site_id == site


async def test_b_backfills_the_shown_range_after_a_confirmation_and_the_day_reads_100(
    migrated_dsn: str, rows: Rows, site: UUID
) -> None:
    app = make_app(migrated_dsn)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, 1)
        screen = await open_history(pilot, site)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one(".dialog-question", Static).render())
        assert question.startswith(
            "Backfill 24 missing snapshots of 'Pier 4', 2025-02-09 .. 2025-03-10"
            " (less than 1s at about 400/s)?"
        )
        await pilot.press("y")
        await wait_for(pilot, lambda: notes.any("Pier 4: 24 of 24 written"), timeout=30)
        assert snapshots(rows, site) == {"2025-03-08": 24, "2025-03-09": 24}
        triggers = rows.conn.execute(
            "SELECT DISTINCT site_state->'snapshot_metadata'->>'trigger'"
            " FROM session_wake_snapshots WHERE site_id = %s",
            (site,),
        ).fetchall()
        assert triggers == [("backfill",)]
        [(status, who)] = backfill_runs(rows)
        assert status == "ok" and "@" in who
        await wait_for(pilot, lambda: day_row(screen, "2025-03-09")[5] == "100.0%")
        assert day_row(screen, "2025-03-09") == [
            "█ 2025-03-09", "locked", "24", "24", "0", "100.0%", ""
        ]  # fmt: skip
        head = text(screen, "#history-header")
        assert "coverage 100.0% · 2 sessions · 48 expected · 48 present · 0 missing" in head
        assert "last backfill 2025-03-10 15:30 UTC by " in head
        work = screen.query_one("#history-work")
        assert str(work.border_title) == "backfill done"
        assert text(screen, "#history-work-body") == "Pier 4: 24 of 24 written"
        assert not screen.query_one("#history-progress").display


async def test_cancelling_the_confirmation_writes_nothing(
    migrated_dsn: str, rows: Rows, site: UUID
) -> None:
    runs = backfill_runs(rows)
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, 1)
        screen = await open_history(pilot, site)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause(0.3)
        assert screen.stop is None
        assert not screen.query_one("#history-work").display
    assert snapshots(rows, site) == {"2025-03-08": 24}
    assert backfill_runs(rows) == runs


async def test_read_only_shows_the_dry_run_but_refuses_to_backfill(
    migrated_dsn: str, rows: Rows, site: UUID
) -> None:
    settings = make_settings(migrated_dsn, read_only=True)
    app = make_app(migrated_dsn, settings=settings)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, 1)
        screen = await open_history(pilot, site)
        await pilot.press("b")
        await wait_for(pilot, lambda: notes.any("read-only"))
        assert notes.said[-1] == ("read-only: cannot backfill", "warning")
        assert app.screen is screen
        await pilot.press("d")
        await wait_for(pilot, lambda: bool(screen.query_one("#history-work").display))
        work = screen.query_one("#history-work")
        await wait_for(pilot, lambda: "dry run" in str(work.border_title))
        assert str(work.border_title) == "dry run of 2025-02-09 .. 2025-03-10: nothing is written"
        body = text(screen, "#history-work-body")
        assert body.startswith(
            "24 snapshots to write over 1 site-day, oldest first; less than 1s at about 400/s"
        )
    assert snapshots(rows, site) == {"2025-03-08": 24}


async def test_a_hostile_site_name_stays_inert_on_the_screen_and_in_the_dialog(
    migrated_dsn: str, rows: Rows
) -> None:
    site = make_site(rows, HOSTILE)
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, 1)
        screen = await open_history(pilot, site)
        head = text(screen, "#history-header")
        assert head.startswith(f"{shown(HOSTILE)} · history ")
        assert_inert(app, f"{shown(HOSTILE)} · history ", "░ 2025-03-08", "░ 2025-03-09")
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one(".dialog-question", Static).render())
        assert question.startswith(f"Backfill 48 missing snapshots of {HOSTILE!r}, ")
        assert_inert(app, "Backfill 48 missing snapshots of ")
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.is_running
    assert snapshots(rows, site) == {}


async def test_escape_during_a_backfill_stops_it_after_the_site_day_in_hand_then_closes(
    migrated_dsn: str, rows: Rows
) -> None:
    """A tick holds the site (its row locked), so the first site-day's write waits and
    is left busy; escape meanwhile stops the backfill before the second site-day, the
    screen says so and closes, and nothing was written."""
    site = make_site(rows)
    app = make_app(migrated_dsn)
    notes = Notes(app)
    with psycopg.connect(migrated_dsn) as holder:
        holder.execute("SELECT 1 FROM sites WHERE site_id = %s FOR UPDATE", (site,))
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, 1)
            screen = await open_history(pilot, site)
            await pilot.press("b")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_for(pilot, lambda: screen.stop is not None)
            assert screen.query_one("#history-progress").display
            assert screen.query_one("#history-work").has_class("-running")
            await pilot.press("escape")
            assert app.screen is screen  # it stays until the backfill has stopped
            assert notes.any("stopping the backfill after the site-day in hand")
            await wait_for(pilot, lambda: app.screen is main_of(pilot), timeout=30)
            assert notes.any("Pier 4: 0 of 48 written, 24 left busy: run again; stopped when asked")
        holder.rollback()
    assert snapshots(rows, site) == {}
    assert len(backfill_runs(rows)) == 1  # recorded in the run history all the same
