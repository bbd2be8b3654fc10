"""What the inspection screen shows, frame by frame, on the demo fleet: it never blanks
(every frame sent to the terminal while stepping, playing, and opening the diff, the JSON
tree and the chart is a whole screen: the current snapshot until the next is read, never
a loading indicator), and every column of the device table can be reached (by scrolling
it, and in the device panel) with no cell cut to a stub."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from support.app import wait_for
from support.app_inert import terminal
from support.app_notes import Notes
from support.demo_fleet import seed_and_tick
from support.inspect_app import (
    Db,
    Frames,
    app_on,
    at_wake,
    open_site,
    press_and_wait,
    site_id,
    wakes,
)
from textual.pilot import Pilot
from textual.screen import Screen

from snapwatch.inspection.render import freshness_text
from snapwatch.tui.screens.inspect import loader
from snapwatch.tui.screens.inspect.chart import ChartScreen
from snapwatch.tui.screens.inspect.devices import COLUMNS
from snapwatch.tui.screens.inspect.diff import DiffScreen
from snapwatch.tui.screens.inspect.screen import (
    BUSY_AFTER_SECONDS,
    BUSY_MARK,
    InspectScreen,
    device_cells,
)
from snapwatch.tui.screens.inspect.tree import TreeScreen


@pytest.fixture(scope="module")
def demo(module_migrated_dsn: str) -> str:
    asyncio.run(seed_and_tick(module_migrated_dsn))
    return module_migrated_dsn


@pytest.fixture
def db(demo: str) -> Iterator[Db]:
    with psycopg.connect(demo, row_factory=dict_row, autocommit=True) as conn:
        yield conn


def whole_inspection(frame: str) -> bool:
    """The inspection screen with its map, device table and round box all drawn."""
    return all(part in frame for part in ("site map", "devices (", "this round", "wakes "))


def top_line(frame: str) -> str:
    """The line with the top borders of the map and of the device table."""
    return next(line for line in frame.splitlines() if "site map" in line)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_no_frame_is_blank_while_stepping_and_playing(
    demo: str, db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    site = site_id(db, "Drying Floor")
    known = wakes(db, site)
    app = app_on(demo, tmp_path)
    async with app.run_test(size=size) as pilot:
        opening = Frames(app, monkeypatch)
        screen = await open_site(pilot, site)
        await pilot.pause(0.2)
        # from its first frame, the screen is laid out as it stays (map, table width)
        tops = {top_line(text) for on_top, text in opening.shown if on_top is InspectScreen}
        assert len(tops) == 1
        await press_and_wait(pilot, "home", known[0])
        frames = Frames(app, monkeypatch)
        await press_and_wait(pilot, "right", known[1])
        await press_and_wait(pilot, "right", known[2])
        await press_and_wait(pilot, "left", known[1])
        await pilot.press("space")
        await wait_for(pilot, lambda: screen._index() >= 7, timeout=20)
        await pilot.press("space")
        await wait_for(pilot, lambda: not screen.reading)
        await pilot.pause(0.2)
        shown = [text for on_top, text in frames.shown if on_top is InspectScreen]
        assert len(shown) >= 8  # a frame at least for every snapshot shown
        assert [text for text in shown if not whole_inspection(text)] == []


@pytest.mark.parametrize(
    ("key", "view", "shown"),
    [
        ("d", DiffScreen, "against wake"),
        ("j", TreeScreen, "schema_version"),
        ("c", ChartScreen, "velocity"),
    ],
    ids=["diff", "tree", "chart"],
)
async def test_a_view_over_the_snapshot_opens_without_a_blank_frame(
    demo: str,
    db: Db,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    view: type[Screen[Any]],
    shown: str,
) -> None:
    site = site_id(db, "Drying Floor")
    app = app_on(demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_site(pilot, site)
        frames = Frames(app, monkeypatch)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, view))
        await pilot.pause(0.3)
        before = [text for on_top, text in frames.shown if on_top is InspectScreen]
        assert [text for text in before if not whole_inspection(text)] == []
        over = [text for on_top, text in frames.shown if on_top is view]
        assert over
        assert shown in over[0]  # the view's first frame is its whole content already


def table_line(frame: str, code: str) -> str:
    """The device table's line of ``code`` on the screen: from the code to the column
    before the table's scrollbar and right border."""
    line = next(line for line in frame.splitlines() if code in line)
    start = line.index(code)
    return line[start : line.rindex("│") - 1]


def header_line(frame: str) -> str:
    line = next(line for line in frame.splitlines() if "DEVICE" in line)
    return line[line.index("DEVICE") : line.rindex("│") - 1]


def cells(line: str) -> list[str]:
    """The cells shown on a line (columns are two or more spaces apart)."""
    return [cell for cell in re.split(r"\s{2,}", line.strip()) if cell]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_every_column_is_reachable_whole_by_scrolling_and_in_the_device_panel(
    demo: str, db: Db, tmp_path: Path, size: tuple[int, int]
) -> None:
    site = site_id(db, "Drying Floor")
    app = app_on(demo, tmp_path)
    notes = Notes(app)
    async with app.run_test(size=size) as pilot:
        screen = await open_site(pilot, site)
        devices = screen.found.view.devices
        device = next(d for d in devices[1:] if d.temperature is not None and d.position)
        await pilot.press(*["down"] * devices.index(device))
        await wait_for(pilot, lambda: screen.selected == device.key)
        await pilot.pause(0.2)
        whole = {h for _, h in COLUMNS} | {c.plain for c in device_cells(device)}
        frame = "\n".join(terminal(app)[0])
        assert "TELEM" not in frame  # the last column is off to the right
        seen = [header_line(frame)]
        rows = [table_line(frame, device.code)]
        for _ in COLUMNS:  # more presses than columns: the last press says it is the end
            await pilot.press("shift+right")
            await pilot.pause(0.1)
            frame = "\n".join(terminal(app)[0])
            seen.append(header_line(frame))
            rows.append(table_line(frame, device.code))
        assert notes.any("the device table's last columns are shown")
        assert header_line(frame).startswith("DEVICE ")  # the code stays
        assert cells(header_line(frame))[-1] == "TELEM"
        shown = {cell for line in seen + rows for cell in cells(line)}
        assert shown <= whole  # no header and no cell cut short
        assert {h for _, h in COLUMNS} <= shown  # every header shown on the way
        await pilot.press("shift+left")
        await pilot.pause(0.1)
        assert header_line("\n".join(terminal(app)[0])) != seen[-1]

        await pilot.press("i")
        await wait_for(pilot, lambda: screen.has_class("-device"))
        await pilot.pause(0.1)
        frame = "\n".join(terminal(app)[0])
        assert "site map" not in frame
        climate = f"climate   {device.temperature:.1f} °F · {device.humidity:.1f} %RH"
        assert device.position is not None
        x, y = device.position
        position = f"position  {x:.1f}, {y:.1f} ft"
        fresh = freshness_text(device.telemetry_freshness, device.telemetry_hours)
        for line in (climate, position, f"telemetry {fresh}", f"device    {device.code}"):
            assert line in frame
        await pilot.press("down")
        following = devices[devices.index(device) + 1]
        await wait_for(pilot, lambda: f"device    {following.code}" in "\n".join(terminal(app)[0]))
        await pilot.press("i")
        await pilot.pause(0.1)
        assert "site map" in "\n".join(terminal(app)[0])


def test_device_panel_beside_the_scrolled_table_80x24(
    snap_compare: Callable[..., bool], demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Newark Annex")

    async def run(pilot: Pilot[Any]) -> None:
        await open_site(pilot, site)
        await pilot.press("down", "shift+right", "shift+right", "i")
        await pilot.pause(0.3)

    assert snap_compare(app_on(demo, tmp_path), terminal_size=(80, 24), run_before=run)


async def test_a_read_that_takes_a_while_is_marked_on_the_table_and_the_frame_stays(
    demo: str, db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = site_id(db, "Drying Floor")
    known = wakes(db, site)
    open_now = loader.open_entry

    async def open_entry(*args: Any) -> loader.Opened:
        await asyncio.sleep(BUSY_AFTER_SECONDS + 0.4)  # a database far away
        return await open_now(*args)

    monkeypatch.setattr(loader, "open_entry", open_entry)
    app = app_on(demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_site(pilot, site)
        frames = Frames(app, monkeypatch)
        await pilot.press("left")
        await wait_for(pilot, lambda: BUSY_MARK in "\n".join(terminal(app)[0]))
        await wait_for(pilot, lambda: at_wake(screen) == known[-2])
        await pilot.pause(0.1)
        assert BUSY_MARK not in "\n".join(terminal(app)[0])
        shown = [text for on_top, text in frames.shown if on_top is InspectScreen]
        assert [text for text in shown if not whole_inspection(text)] == []
