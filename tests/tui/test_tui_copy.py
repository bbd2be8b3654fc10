"""Copy and export with Pilot on a real database: ``y`` copies the highlighted item's id
(per pane, and on the inspection screen), ``Y`` the stored document as JSON, both through
OSC 52; ``w`` writes the sites table and the inspection device table as CSV (full values,
formulas neutralised, never over an earlier file)."""

from __future__ import annotations

import base64
import csv
import json
from dataclasses import fields
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from support.app import main_of, wait_for
from support.app_notes import Notes
from support.low_fleet import (
    HOSTILE_CODE,
    HOSTILE_SITE,
    app_on,
    low_fleet,
    on_site,
    open_inspection,
)
from support.overview_rows import Rows
from support.snapshot_rows import T3

from snapwatch.infra.config import Settings
from snapwatch.inspection.export import DEVICE_COLUMNS
from snapwatch.readmodels.sites import SiteOverview
from snapwatch.tui.app import SnapwatchApp


class Clipboard:
    """What the app put on the clipboard, and the OSC 52 sequences its driver wrote."""

    def __init__(self, app: SnapwatchApp) -> None:
        self.app = app
        self.written: list[str] = []

    def watch_driver(self) -> None:
        driver = self.app._driver
        assert driver is not None
        original = driver.write

        def write(data: str) -> None:
            self.written.append(data)
            original(data)

        driver.write = write  # type: ignore[method-assign]

    def sent(self, text: str) -> bool:
        osc = f"\x1b]52;c;{base64.b64encode(text.encode()).decode()}\a"
        return self.app.clipboard == text and any(osc in w for w in self.written)


def stored_document(rows: Rows, snapshot_id: UUID) -> Any:
    row = rows.conn.execute(
        "SELECT site_state FROM session_wake_snapshots WHERE snapshot_id = %s", (snapshot_id,)
    ).fetchone()
    assert row is not None
    return row[0]


def said_path(notes: Notes) -> Path:
    text = next(t for t, _ in reversed(notes.said) if t.startswith("exported to "))
    return Path(text.removeprefix("exported to "))


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


async def test_y_copies_the_id_of_what_the_focused_pane_highlights(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[Any], cfg: Settings, tmp_path: Path
) -> None:
    fleet = await low_fleet(rows, conn, cfg)
    app = app_on(migrated_dsn, tmp_path)
    notes = Notes(app)
    clip = Clipboard(app)
    async with app.run_test(size=(120, 40)) as pilot:
        clip.watch_driver()
        await on_site(pilot, fleet.site)
        main = main_of(pilot)
        await pilot.press("1", "y")
        assert clip.sent(str(fleet.site))
        assert notes.any(f"copied site id {str(fleet.site)[:8]}…")

        await pilot.press("2", "down")
        snap = main.snapshots_pane.selected
        assert snap is not None
        await pilot.press("y")
        assert clip.sent(str(snap.snapshot_id))
        assert notes.any("copied snapshot id")

        await pilot.press("3", "down")
        device = main.devices_pane.selected
        assert device is not None and device.device_id is not None
        await pilot.press("y")
        assert clip.sent(device.device_id)
        assert device.device_id in {str(d) for d in fleet.devices.values()}

        before = app.clipboard
        await pilot.press("4", "y")
        assert app.clipboard == before
        assert notes.any("the job health pane has no id to copy")


async def test_y_with_nothing_highlighted_says_so(migrated_dsn: str, tmp_path: Path) -> None:
    app = app_on(migrated_dsn, tmp_path)  # no sites at all
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: all(f.reads >= 1 for f in main_of(pilot).feeds))
        await pilot.press("1", "y", "Y")
        await wait_for(pilot, lambda: notes.any("no snapshot highlighted and no site selected"))
        assert notes.any("no site selected: nothing copied")
        assert app.clipboard == ""


async def test_capital_y_copies_the_stored_document_of_what_enter_would_open(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[Any], cfg: Settings, tmp_path: Path
) -> None:
    fleet = await low_fleet(rows, conn, cfg)
    app = app_on(migrated_dsn, tmp_path)
    notes = Notes(app)
    clip = Clipboard(app)
    async with app.run_test(size=(120, 40)) as pilot:
        clip.watch_driver()
        await on_site(pilot, fleet.site)
        main = main_of(pilot)
        await pilot.press("1", "Y")  # the site's latest snapshot
        await wait_for(pilot, lambda: notes.any("copied the site's latest document"))
        latest = main.devices_pane.data
        assert latest is not None and latest.snapshot_id is not None
        assert json.loads(app.clipboard) == stored_document(rows, latest.snapshot_id)
        assert clip.sent(app.clipboard)

        await pilot.press("2", "down", "down")
        snap = main.snapshots_pane.selected
        assert snap is not None and snap.snapshot_id != latest.snapshot_id
        await pilot.press("Y")
        await wait_for(pilot, lambda: notes.any("copied the document ("))
        assert json.loads(app.clipboard) == stored_document(rows, snap.snapshot_id)
        assert notes.said[-1][0].endswith(" kB)")


async def test_y_and_capital_y_on_the_inspection_screen(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[Any], cfg: Settings, tmp_path: Path
) -> None:
    fleet = await low_fleet(rows, conn, cfg)
    app = app_on(migrated_dsn, tmp_path)
    clip = Clipboard(app)
    async with app.run_test(size=(120, 40)) as pilot:
        clip.watch_driver()
        screen = await open_inspection(pilot, fleet.site)
        assert screen.focused is screen.devices_table
        await pilot.press("down", "y")  # the device table has focus: the device's id
        device = screen.selected_device
        assert device is not None and device.device_id is not None
        assert clip.sent(device.device_id)
        assert device.device_id == str(fleet.devices["L-1"])  # by code: @SUM(1+1), L-1

        screen.set_focus(None)
        await pilot.press("y")  # elsewhere: the snapshot's id
        snapshot_id = screen.found.row.snapshot_id
        assert clip.sent(str(snapshot_id))

        await pilot.press("Y")
        assert json.loads(app.clipboard) == stored_document(rows, snapshot_id)
        assert clip.sent(app.clipboard)


def cell(header: list[str], row: list[str], column: str) -> str:
    return row[header.index(column)]


async def test_w_writes_the_sites_table_as_csv_in_full_and_never_over_a_file(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[Any], cfg: Settings, tmp_path: Path
) -> None:
    fleet = await low_fleet(rows, conn, cfg)
    app = app_on(migrated_dsn, tmp_path / "exports")
    notes = Notes(app)
    async with app.run_test(size=(80, 24)) as pilot:  # narrow: columns shortened on screen
        await on_site(pilot, fleet.site)
        await pilot.press("w")
        await wait_for(pilot, lambda: notes.any("exported to"))
        first = said_path(notes)
        assert first.parent == tmp_path / "exports" and first.suffix == ".csv"
        header, *lines = read_csv(first)
        assert header == [f.name for f in fields(SiteOverview)]
        assert len(lines) == 2
        by_id = {cell(header, line, "site_id"): line for line in lines}
        low = by_id[str(fleet.site)]  # the full id, not shortened
        assert cell(header, low, "site_name") == "Low Room"
        assert cell(header, low, "last_snapshot_at") == T3.isoformat()
        (hostile,) = (line for key, line in by_id.items() if key != str(fleet.site))
        assert cell(header, hostile, "site_name") == "'" + HOSTILE_SITE  # never a formula

        await pilot.press("w")
        await wait_for(pilot, lambda: len([t for t, _ in notes.said if "exported" in t]) == 2)
        second = said_path(notes)
        assert second != first and second.exists()
        assert read_csv(first) == [header, *lines]


async def test_w_on_the_inspection_screen_writes_the_device_table_as_csv(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[Any], cfg: Settings, tmp_path: Path
) -> None:
    fleet = await low_fleet(rows, conn, cfg)
    app = app_on(migrated_dsn, tmp_path)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_inspection(pilot, fleet.site)
        await pilot.press("w")
        await wait_for(pilot, lambda: notes.any("exported to"))
        first = said_path(notes)
        header, *lines = read_csv(first)
        assert header == list(DEVICE_COLUMNS)
        assert len(lines) == len(screen.found.view.devices) == 2
        by_id = {cell(header, line, "device_id"): line for line in lines}
        assert set(by_id) == {str(d) for d in fleet.devices.values()}
        l1 = by_id[str(fleet.devices["L-1"])]
        assert (cell(header, l1, "device"), cell(header, l1, "current_mgi")) == ("L-1", "0.2")
        assert (cell(header, l1, "x_position"), cell(header, l1, "band")) == ("5.0", "moderate")
        hostile = by_id[str(fleet.devices[HOSTILE_CODE])]
        assert cell(header, hostile, "device") == "'" + HOSTILE_CODE

        await pilot.press("w")
        await wait_for(pilot, lambda: len([t for t, _ in notes.said if "exported" in t]) == 2)
        assert said_path(notes) != first
        assert read_csv(first) == [header, *lines]
