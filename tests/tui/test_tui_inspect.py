"""The inspection screen with Pilot, on the demo fleet seeded and ticked at a fixed
instant: opening it from both panes, stepping and playing the timeline across sessions,
the diff, the JSON tree, the export, the chart, an older document's shape, and SVG
snapshots at both sizes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from support.app import main_of, wait_for
from support.app_notes import Notes
from support.app_snapshots import settled
from support.demo_fleet import AT, seed_and_tick
from support.inspect_app import (
    Db,
    app_on,
    at_wake,
    inspection,
    open_site,
    press_and_wait,
    settings_for,
    site_id,
    wakes,
)
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from snapwatch.infra.db import Target
from snapwatch.inspection.sitemap_cells import Role
from snapwatch.inspection.timeline import StripMark
from snapwatch.tui import keymap
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.inspect.app import InspectApp, first_snapshot
from snapwatch.tui.screens.inspect.chart import ChartScreen
from snapwatch.tui.screens.inspect.diff import DiffScreen
from snapwatch.tui.screens.inspect.screen import InspectScreen
from snapwatch.tui.screens.inspect.text import header, strip_text
from snapwatch.tui.screens.inspect.tree import TreeScreen

SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def demo(module_migrated_dsn: str) -> str:
    asyncio.run(seed_and_tick(module_migrated_dsn))
    return module_migrated_dsn


@pytest.fixture
def db(demo: str) -> Iterator[Db]:
    with psycopg.connect(demo, row_factory=dict_row, autocommit=True) as conn:
        yield conn


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_enter_on_a_site_opens_its_latest_snapshot_and_keys_walk_the_timeline(
    demo: str, db: Db, tmp_path: Path, size: tuple[int, int]
) -> None:
    site = site_id(db, "Newark Annex")
    known = wakes(db, site)
    sessions = list(dict.fromkeys(s for s, _ in known))
    assert len(sessions) == 2
    first_day = [k for k in known if k[0] == sessions[0]]
    last_day = [k for k in known if k[0] == sessions[1]]
    assert len(last_day) >= 3
    app = app_on(demo, tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_site(pilot, site)
        assert at_wake(screen) == last_day[-1]
        assert "Newark Annex" in str(screen.query_one("#inspect-header").render())
        await press_and_wait(pilot, "left", last_day[-2])
        await press_and_wait(pilot, "right", last_day[-1])
        await press_and_wait(pilot, "home", last_day[0])
        await press_and_wait(pilot, "left_square_bracket", first_day[-1])  # previous session
        await pilot.press("right")  # the last of its session: it stays
        await pilot.pause(0.3)
        assert at_wake(inspection(pilot)) == first_day[-1]
        await press_and_wait(pilot, "right_square_bracket", last_day[0])  # next session
        await press_and_wait(pilot, "end", last_day[-1])
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InspectScreen))


async def test_past_the_first_snapshot_the_screen_says_so_and_stays(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Newark Annex")
    first_day = [k for k in wakes(db, site) if k[0] == wakes(db, site)[0][0]]
    app = app_on(demo, tmp_path)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_site(pilot, site)
        await press_and_wait(pilot, "left_square_bracket", first_day[-1])
        await press_and_wait(pilot, "home", first_day[0])
        await pilot.press("left")
        await wait_for(pilot, lambda: notes.any("is the session's first snapshot"))
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: notes.any("no earlier session of Newark Annex"))
        assert at_wake(inspection(pilot)) == first_day[0]


async def test_enter_on_a_snapshot_row_opens_that_snapshot(
    demo: str, db: Db, tmp_path: Path
) -> None:
    app = app_on(demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        main = main_of(pilot)
        await pilot.press("2")  # the snapshots tab
        table = main.snapshots_pane.table
        await wait_for(pilot, lambda: table.row_count > 3 and main.focused_pane() == "snapshots")
        await pilot.press("down", "down")
        chosen = main.snapshots_pane.selected
        assert chosen is not None
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))
        assert inspection(pilot).found.row.snapshot_id == chosen.snapshot_id


def map_bands(screen: InspectScreen) -> dict[str, str]:
    """Device key → the band its map marker shows."""
    grid = screen.site_map.grid
    assert grid is not None
    return {
        key: cell.band or ""
        for row in grid.cells
        for cell in row
        if cell.role == Role.DEVICE
        for key in cell.keys
    }


async def test_space_plays_the_session_and_the_map_follows_each_snapshot(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Drying Floor")
    known = wakes(db, site)
    app = app_on(demo, tmp_path)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_site(pilot, site)
        await press_and_wait(pilot, "home", known[0])
        seen: list[dict[str, str]] = []

        def record() -> bool:
            bands = map_bands(screen)
            if not seen or seen[-1] != bands:
                seen.append(bands)
            return screen._index() >= 6

        await pilot.press("space")
        assert screen.play_timer is not None
        await wait_for(pilot, record, timeout=20)
        await pilot.press("space")
        await wait_for(pilot, lambda: not screen.reading)
        stopped_at = at_wake(screen)
        await pilot.pause(0.5)
        assert at_wake(screen) == stopped_at  # stopped means stopped
        assert stopped_at[1] > known[0][1]
        # the map shows the current snapshot's bands, and they changed while it played
        view_bands = {
            d.key: d.band for d in screen.found.view.devices if d.position and not d.without_data
        }
        assert {k: b for k, b in map_bands(screen).items() if k in view_bands} == view_bands
        assert len(seen) >= 2
        await pilot.press("space", "d")  # a view over one snapshot stops the timeline
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen))
        assert screen.play_timer is None
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("end", "space")
        await wait_for(pilot, lambda: notes.any("end of the session's timeline"), timeout=30)
        assert screen.play_timer is None


async def test_d_lists_changed_devices_and_a_toggles_every_device(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Drying Floor")
    app = app_on(demo, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_site(pilot, site)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen))
        diff = app.screen
        assert isinstance(diff, DiffScreen)
        assert diff.diff.previous is not None
        assert diff.diff.previous.wake_number == screen.found.row.wake_number - 1
        table = diff.query_one("#diff-devices", DataTable)
        changed = len(diff.diff.rows(changed_only=True))
        assert table.row_count == changed
        await pilot.press("a")
        assert table.row_count == len(diff.diff.devices) >= changed
        assert "all devices" in str(table.border_title)
        await pilot.press("a")
        assert table.row_count == changed
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))


async def test_d_on_the_first_snapshot_says_there_is_nothing_to_compare(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Drying Floor")
    app = app_on(demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_site(pilot, site)
        await press_and_wait(pilot, "home", wakes(db, site)[0])
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen))
        body = str(app.screen.query_one("#diff-summary-body").render())
        assert "first snapshot of its session: nothing to compare" in body


async def test_j_shows_the_stored_document_as_a_tree_with_search(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Seed Vault")
    app = app_on(demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_site(pilot, site)
        code = screen.found.view.devices[-1].code
        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(app.screen, TreeScreen))
        tree_screen = app.screen
        assert isinstance(tree_screen, TreeScreen)
        tree = tree_screen.document_tree
        keys = [child.data.key for child in tree.root.children if child.data is not None]
        assert keys[0] == "schema_version" and keys[-1] == "data_quality"
        await pilot.press("slash")
        await pilot.press(*code, "enter")
        await wait_for(pilot, lambda: tree.match_count >= 1)
        node = tree.cursor_node
        assert node is not None and node.data is not None
        assert code in str(node.data.value)
        parent = node.parent
        while parent is not None:
            assert parent.is_expanded
            parent = parent.parent
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))


async def test_e_and_capital_e_export_what_the_database_holds(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Records Archive")
    app = app_on(demo, tmp_path)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_site(pilot, site)
        row = screen.found.row
        await pilot.press("e")
        await wait_for(pilot, lambda: notes.any("exported to"))
        path = Path(notes.said[-1][0].removeprefix("exported to "))
        assert path.parent == tmp_path / "exports"
        stored = db.execute(
            "SELECT site_state FROM session_wake_snapshots WHERE snapshot_id = %s",
            (row.snapshot_id,),
        ).fetchone()
        assert stored is not None
        assert json.loads(path.read_text()) == stored["site_state"]
        await pilot.press("E")
        await wait_for(pilot, lambda: notes.any(".jsonl"))
        lines = Path(notes.said[-1][0].removeprefix("exported to ")).read_text().splitlines()
        session = db.execute(
            "SELECT wake_number, site_state FROM session_wake_snapshots"
            " WHERE session_id = %s ORDER BY wake_number",
            (row.session_id,),
        ).fetchall()
        parsed = [json.loads(line) for line in lines]
        assert [(p["wake_number"], p["site_state"]) for p in parsed] == [
            (s["wake_number"], s["site_state"]) for s in session
        ]


async def test_c_charts_the_selected_device_from_snapshots_or_its_scored_images(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Ripening Room B")
    app = app_on(demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_site(pilot, site)
        await pilot.press("down")
        await wait_for(pilot, lambda: screen.selected == screen.found.view.devices[1].key)
        device = screen.found.view.devices[1]
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartScreen))
        chart_screen = app.screen
        assert isinstance(chart_screen, ChartScreen)
        chart = chart_screen.chart
        count = db.execute(
            "SELECT count(*) AS n FROM session_wake_snapshots WHERE session_id = %s",
            (screen.found.row.session_id,),
        ).fetchone()
        assert count is not None
        await wait_for(pilot, lambda: len(chart.series.points) == count["n"])
        assert device.code in str(chart.border_title)
        assert "velocity" in str(chart.border_subtitle)
        await pilot.press("s")
        await wait_for(pilot, lambda: chart.series.source == "scored images")
        assert chart.series.points
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))


async def test_an_older_bare_array_document_opens_with_a_named_warning(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Seed Vault")
    row = db.execute(
        "SELECT snapshot_id FROM session_wake_snapshots WHERE site_id = %s"
        " ORDER BY wake_round_end LIMIT 1",
        (site,),
    ).fetchone()
    assert row is not None
    old = [
        {"device_code": "OLD-1", "x": 3, "y": 4, "mgi_score": 0.5},
        {"device_code": "OLD-2", "mgi_score": "n/a"},
    ]
    db.execute(
        "UPDATE session_wake_snapshots SET site_state = %s WHERE snapshot_id = %s",
        (Jsonb(old), row["snapshot_id"]),
    )
    settings = settings_for(demo, tmp_path)
    target = Target(dsn=demo)
    first = await first_snapshot(
        target, settings, snapshot=str(row["snapshot_id"]), site=None, wake=None, now=AT
    )
    app = InspectApp(target, settings, first, log_path=tmp_path / "log")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))
        screen = inspection(pilot)
        head = str(screen.query_one("#inspect-header").render())
        assert "bare array document" in head
        details = str(screen.query_one("#inspect-round-body").render())
        assert "device OLD-2: MGI 'n/a' is not a number" in details
        table = screen.devices_table
        assert table.row_count == 2
        grid = screen.site_map.grid
        assert grid is not None and [d.code for d in grid.unplaced] == ["OLD-2"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.is_running)


def _open(site_name: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, SnapwatchApp)
        await settled(pilot)
        with psycopg.connect(app.services.target.dsn or "") as conn:
            found = conn.execute("SELECT site_id FROM sites WHERE name = %s", (site_name,))
            (site,) = found.fetchone() or (None,)
        await open_site(pilot, UUID(str(site)))
        await pilot.pause(0.3)

    return run


def test_inspection_screen_120x40(snap_compare: SnapCompare, demo: str, tmp_path: Path) -> None:
    app = app_on(demo, tmp_path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_open("Newark Annex"))


def test_inspection_screen_80x24(snap_compare: SnapCompare, demo: str, tmp_path: Path) -> None:
    app = app_on(demo, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open("Newark Annex"))


def test_inspect_tui_refuses_json_and_diff_in_one_line_before_connecting(
    isolated_env: Path,
) -> None:
    dsn = "postgresql://ops:s3cret@127.0.0.1:1/nowhere"
    for extra in ("--json", "--diff"):
        result = subprocess.run(
            [sys.executable, "-m", "snapwatch", "inspect", "--site", "x", "--tui", extra],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "SNAPWATCH_DSN": dsn},
        )
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            "snapwatch: error: --tui opens the screen: drop --json and --diff (d diffs there)"
        ]
        assert "s3cret" not in result.stdout + result.stderr


def test_the_strip_fits_its_width_keeps_the_current_wake_and_numbers_every_fifth() -> None:
    marks = [
        StripMark(w, "written" if w < 70 else "ahead", "●" if w < 70 else "·", None, False, w == 60)
        for w in range(1, 97)
    ]
    wide = strip_text(marks, 200, None, numbers=True).plain.splitlines()
    assert wide[0].startswith("wakes 60/96 ") and "[●]" in wide[0] and "…" not in wide[0]
    first = wide[0].index("●")
    assert wide[1][first] == "1" and wide[1][first + 4 : first + 6] == "5 "
    at = wide[0].index("[●]") + 1  # the current wake's mark, inside its brackets
    assert wide[1][at : at + 2] == "60"
    narrow = strip_text(marks, 60, "playing", numbers=False).plain
    assert len(narrow) <= 60 and "[●]" in narrow and narrow.count("…") == 2
    assert "\n" not in narrow


def test_the_header_leaves_out_its_optional_parts_before_it_wraps() -> None:
    from support.snapshot_factory import END, START, as_json, build, inputs, uid

    from snapwatch.inspection.view import StoredSnapshot, read_view

    document = as_json(build(inputs()))
    row = StoredSnapshot(
        snapshot_id=uid("snap"),
        site_id=uid("site"),
        session_id=uid("session"),
        wake_number=4,
        wake_round_start=START,
        wake_round_end=END,
        created_at=END,
        site_state=document,
        site_name="Greenhouse 3",
        session_date=None,
    )
    view = read_view(row)
    wide = header(view, None, 12, 200).plain.splitlines()
    narrow = header(view, None, 12, 60).plain.splitlines()
    assert len(wide) == len(narrow) == 3
    assert "by snapwatch 0.1.0" in wide[2] and "(America/New_York)" in wide[1]
    assert all(len(line) <= 60 for line in narrow)
    assert narrow[0].startswith("Greenhouse 3 · ") and " · wake 4 of 12 · " in narrow[0]
    assert " · wake 4 of 12 snapshot slots · " in wide[0]
    assert "by snapwatch" not in narrow[2] and narrow[1].endswith("UTC")


async def test_question_mark_lists_the_inspection_keys(demo: str, db: Db, tmp_path: Path) -> None:
    app = app_on(demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_site(pilot, site_id(db, "Seed Vault"))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-keys", Static).content)
        for action in keymap.INSPECT_ACTIONS:
            assert action.help in text
        assert "scroll sideways" not in text  # ← → step through snapshots here
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))


async def test_a_snapshot_gone_since_the_timeline_was_read_is_named_and_nothing_moves(
    demo: str, db: Db, tmp_path: Path
) -> None:
    site = site_id(db, "Pier 4 Loading Dock")
    app = app_on(demo, tmp_path)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_site(pilot, site)
        here = at_wake(screen)
        before = screen.found.timeline.entries[screen._index() - 1]
        db.execute(
            "DELETE FROM session_wake_snapshots WHERE snapshot_id = %s", (before.snapshot_id,)
        )
        await pilot.press("left")
        await wait_for(pilot, lambda: notes.any(f"snapshot {before.snapshot_id} is gone"))
        assert at_wake(screen) == here and not screen.reading
        assert notes.said[-1][1] == "warning"


def test_the_device_table_colours_devices_as_the_map_does() -> None:
    from rich.text import Text

    from snapwatch.inspection.view import StoredSnapshot, read_view
    from snapwatch.snapshot.mgi import HIGH, UNKNOWN
    from snapwatch.tui.screens.inspect.screen import device_cells

    def state(mgi: float, band: str, freshness: str) -> dict[str, object]:
        return {"current_mgi": mgi, "band": band, "data_freshness": freshness}

    document = {
        "schema_version": 1,
        "devices": [
            {"device_code": "STORED", "mgi_state": state(0.05, "high", "current_wake")},
            {"device_code": "STALE", "mgi_state": state(0.5, "high", "stale")},
        ],
    }
    row = StoredSnapshot(
        UUID(int=1), UUID(int=2), UUID(int=3), 1, AT, AT, AT, document, "Barn", None
    )
    stored_band, stale = (device_cells(d) for d in read_view(row).devices)
    for cells, colour in ((stored_band, HIGH[1]), (stale, UNKNOWN[1])):
        mgi, band = cells[1], cells[2]
        assert isinstance(mgi, Text) and isinstance(band, Text)
        assert str(mgi.style) == str(band.style) == colour
