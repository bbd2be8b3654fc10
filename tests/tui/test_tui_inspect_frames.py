"""The inspection screen never blanks: every frame sent to the terminal while stepping,
playing, and opening the diff, the JSON tree and the chart shows a whole screen (the
current snapshot until the next is read, then the next), never a loading indicator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from support.app import wait_for
from support.demo_fleet import seed_and_tick
from support.inspect_app import Db, Frames, app_on, open_site, press_and_wait, site_id, wakes
from textual.screen import Screen

from snapwatch.tui.screens.inspect.chart import ChartScreen
from snapwatch.tui.screens.inspect.diff import DiffScreen
from snapwatch.tui.screens.inspect.screen import InspectScreen
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


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_no_frame_is_blank_while_stepping_and_playing(
    demo: str, db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    site = site_id(db, "Drying Floor")
    known = wakes(db, site)
    app = app_on(demo, tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_site(pilot, site)
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
