"""Platform text is inert everywhere the app shows it (pitfall 34): on a fleet whose
names, codes and zone labels hold escape sequences, markup, links, click actions and
plain brackets, every pane, the inspection screen and its views, a notification, the
pause dialog, the palette and the log view show them literally; nothing reaches the
terminal raw, nothing is a link or an action, and the app keeps running. An error that
ends the app is one line and exit code 4."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support.app import main_of, wait_for
from support.app_inert import assert_inert
from support.app_snapshots import NamedTarget, settled
from support.demo_fleet import AT
from support.hostile_fleet import (
    ALERT,
    BOLD,
    BRACKETS,
    CLICK,
    CODES,
    ESCAPES,
    HOST,
    INSTANCE_ERROR,
    LINK,
    PROGRAMS,
    SITES,
    UNPLACED,
    ZONES,
    seed_hostile,
    shown,
)
from textual.app import App
from textual.command import CommandPalette
from textual.content import Content
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Log, OptionList, Static
from textual.widgets._toast import Toast

from snapwatch.cli import main
from snapwatch.infra.clock import FixedClock
from snapwatch.infra.config import load_settings
from snapwatch.tui import keymap
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.base import BaseApp
from snapwatch.tui.panes.sites import SitesPane
from snapwatch.tui.panes.table import KeyedTable
from snapwatch.tui.screens.dialogs import PauseScreen
from snapwatch.tui.screens.inspect.chart import ChartScreen
from snapwatch.tui.screens.inspect.diff import DiffScreen
from snapwatch.tui.screens.inspect.screen import InspectScreen
from snapwatch.tui.screens.inspect.tree import TreeScreen
from snapwatch.tui.screens.log import LogScreen
from snapwatch.tui.widgets.json_tree import DocumentTree

SIZE = (240, 60)
"""Wide enough for the four panes side by side without shortening the names."""


@pytest.fixture(scope="module")
def hostile(module_migrated_dsn: str) -> str:
    seed_hostile(module_migrated_dsn)
    return module_migrated_dsn


@pytest.fixture
def ids(hostile: str) -> Iterator[dict[str, str]]:
    """Site id (as a row key) by site name."""
    with psycopg.connect(hostile) as conn:
        yield {name: str(site) for site, name in conn.execute("SELECT site_id, name FROM sites")}


def app_on(dsn: str, tmp: Path) -> SnapwatchApp:
    ui = {"refresh_seconds": 3600, "max_poll_share": 1.0, "export_dir": str(tmp)}
    return SnapwatchApp(
        NamedTarget(dsn=dsn),
        load_settings(overrides={"dsn": dsn, "ui": ui})[0],
        FixedClock(AT),
        scheduler=False,
        listen=False,
        log_path=tmp / "snapwatch.log",
    )


def title(widget: Widget) -> str:
    """A border title as shown (``border_title`` reads back as markup, and that markup
    loses ``[North]``)."""
    shown: Content | None = widget._border_title
    return "" if shown is None else shown.plain


def visual(widget: Widget) -> str:
    return str(widget.render())


def row(table: KeyedTable, key: str) -> list[str]:
    """A row's cells as planned (whole, before the column width shortens them)."""
    found = table.row_of(key)
    assert found is not None, key
    return [cell.text for cell in found]


# --- the main screen ------------------------------------------------------------------------


async def test_every_pane_shows_platform_text_as_typed(
    hostile: str, ids: dict[str, str], tmp_path: Path
) -> None:
    app = app_on(hostile, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        main = main_of(pilot)
        sites = main.sites_pane.table
        for name in SITES.values():
            assert row(sites, ids[name])[0] == shown(name)
        programs = {row(sites, key)[1] for key in sites.row_keys}
        assert {shown(p) for p in PROGRAMS.values()} <= programs
        assert main.sites_pane.table.move_to(ids[BRACKETS])
        await wait_for(
            pilot,
            lambda: main.devices_pane.data is not None and BRACKETS in title(main.devices_pane),
        )
        assert title(main.devices_pane).startswith(f"Devices · {BRACKETS} · wake ")
        devices = main.devices_pane.table
        codes = {row(devices, key)[0] for key in devices.row_keys}
        assert {shown(code) for code in CODES} <= codes
        snapshots_title = f"Recent snapshots · {BRACKETS} · "
        await wait_for(pilot, lambda: title(main.snapshots_pane).startswith(snapshots_title))
        detail = visual(main.sites_pane.detail)
        assert f"{BRACKETS} · Winter {BOLD} · Harbor\\x1b[2J\\x1b]0;owned\\x07" in detail
        health = main.health_pane.table
        instance = next(k for k in health.row_keys if row(health, k)[0].startswith("host"))
        assert row(health, instance)[0] == f"{shown(HOST)}:4242"
        assert row(health, instance)[-1] == INSTANCE_ERROR
        assert_inert(
            app,
            f"Devices · {BRACKETS}",
            shown(SITES["Drying Floor"]),
            CLICK,
            BOLD,
            f"{shown(HOST)}:4242",
            "Cold Room [North]",
        )

        await pilot.press("a")  # recent snapshots of all sites
        snapshots = main.snapshots_pane.table
        await wait_for(pilot, lambda: "all sites" in title(main.snapshots_pane))
        await wait_for(pilot, lambda: not main.snapshots_feed.loading and snapshots.row_count > 0)
        names = {row(snapshots, key)[1] for key in snapshots.row_keys}
        assert names & {shown(name) for name in SITES.values()}
        assert_inert(app, shown(SITES["Drying Floor"]), "Recent snapshots · all sites")


async def test_force_pause_palette_and_log_view_show_platform_text_as_typed(
    hostile: str, ids: dict[str, str], tmp_path: Path
) -> None:
    app = app_on(hostile, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settled(pilot)
        main = main_of(pilot)
        site = SITES["Harborview Main Warehouse"]
        assert main.sites_pane.table.move_to(ids[site])
        await wait_for(pilot, lambda: main.selected is not None and main.selected.site_name == site)

        await pilot.press("f")
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        toast = visual(app.screen.query_one(Toast))
        assert repr(site) in toast
        assert_inert(app, repr(site))

        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PauseScreen))
        question = app.screen.query_one(".dialog-question", Static)
        assert visual(question) == f"Pause snapshots of {site!r}"
        assert_inert(app, f"Pause snapshots of {site!r}")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)

        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"click")
        options = app.screen.query_one(OptionList)
        await wait_for(pilot, lambda: options.option_count > 0)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert f"Go to site {site}\n{shown(PROGRAMS['Winter Mold Watch'])} · " in "\n".join(prompts)
        assert_inert(app, f"Go to site {site}")
        jump = next(i for i, p in enumerate(prompts) if p.startswith(f"Go to site {site}"))
        options.highlighted = jump
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is main)
        assert main.sites_pane.table.cursor_key == ids[site]

        logging.getLogger("snapwatch.test").warning("site %s: %s", SITES["Drying Floor"], LINK)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogScreen))
        log = app.screen.query_one(Log)
        await wait_for(pilot, lambda: any(LINK in line for line in log.lines))
        said = next(line for line in log.lines if LINK in line)
        assert said.endswith(f"site {shown(SITES['Drying Floor'])}: {LINK}")
        assert_inert(app, LINK)
        await pilot.press("escape")
        assert app.is_running


# --- the inspection screen ------------------------------------------------------------------


async def test_inspection_diff_tree_and_chart_show_platform_text_as_typed(
    hostile: str, ids: dict[str, str], tmp_path: Path
) -> None:
    app = app_on(hostile, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        main = main_of(pilot)
        assert main.sites_pane.table.move_to(ids[BRACKETS])
        await wait_for(
            pilot, lambda: main.selected is not None and main.selected.site_name == BRACKETS
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))
        screen = app.screen
        assert isinstance(screen, InspectScreen)
        head = visual(screen.query_one("#inspect-header", Static))
        assert head.startswith(f"{BRACKETS} · ")
        codes = [str(cell) for cell in screen.devices_table.get_column_at(0)]
        assert {shown(code) for code in CODES} <= set(codes)
        await choose(pilot, screen, LINK)
        assert title(screen.query_one("#inspect-round")) == f"this round: {LINK}"
        assert_inert(
            app, f"this round: {LINK}", BRACKETS, CLICK, BOLD, "unplaced: ", shown(UNPLACED)
        )
        await pilot.press("i")  # every field of the device, in place of the map
        await wait_for(pilot, lambda: screen.has_class("-device"))
        assert title(screen.query_one("#inspect-device")) == f"device {LINK}"
        assert_inert(app, f"device    {LINK}", f"device {LINK}")
        await pilot.press("i")

        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartScreen))
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        await wait_for(pilot, lambda: bool(chart.chart.series.points))
        assert title(chart.chart).startswith(f"{LINK} MGI · ")
        assert_inert(app, f"{LINK} MGI · ")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)

        await pilot.press(keymap.default_key("inspect_first"))  # wake 3 has an alert
        await wait_for(pilot, lambda: screen.found.row.wake_number == 1)
        for wake in (2, 3):
            await pilot.press(keymap.default_key("inspect_next"))
            await wait_for(pilot, lambda: screen.found.row.wake_number == wake)  # noqa: B023
        await choose(pilot, screen, BOLD)
        body = visual(screen.query_one("#inspect-round-body", Static))
        assert f" {BOLD} warning low_battery: {shown(ALERT)}" in body
        assert_inert(app, f"this round: {BOLD}", shown(ALERT))

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen))
        diff = app.screen
        assert title(diff.query_one("#diff")) == f"{BRACKETS} · wake 3 against wake 2"
        listed = {str(c) for c in diff.query_one("#diff-devices", DataTable).get_column_at(0)}
        assert listed & {shown(code) for code in CODES}
        assert_inert(app, f"{BRACKETS} · wake 3 against wake 2")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)

        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(app.screen, TreeScreen))
        tree = app.screen.query_one(DocumentTree)
        labels = [str(node.label) for node in _nodes(tree)]
        assert f'site_name: "{BRACKETS}"' in labels
        assert f'device_code: "{LINK}"' in labels
        assert 'zone_label: "Racks\\u001b[2J\\u001b]0;owned\\u0007"' in labels  # JSON
        assert f'zone_label: "{ZONES["Door side"]}"' in labels
        assert title(app.screen.query_one("#json-view")).startswith(f"stored document · {BRACKETS}")
        assert_inert(app, f"stored document · {BRACKETS}")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.is_running


async def choose(pilot: Pilot[Any], screen: InspectScreen, code: str) -> None:
    """Put the device table's cursor on the device ``code``."""
    codes = [str(cell) for cell in screen.devices_table.get_column_at(0)]
    screen.devices_table.move_cursor(row=codes.index(shown(code)))
    await wait_for(pilot, lambda: getattr(screen.selected_device, "code", None) == code)


def _nodes(tree: DocumentTree) -> list[Any]:
    """Every node, with every branch expanded."""
    tree.root.expand_all()
    found, stack = [], [tree.root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


# --- a crash --------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_an_error_that_ends_the_app_exits_4_with_one_line_and_its_traceback_logged(
    migrated_dsn: str,
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    debug: bool,
) -> None:
    """The app on a real database, headless; showing the sites raises (as a name read as
    markup once did)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(isolated_env / "state"))

    def crash(self: SitesPane, *args: object) -> None:
        raise RuntimeError(f"no such site {LINK}{ESCAPES}")

    async def give_up(pilot: Pilot[Any]) -> None:  # had it not crashed, a clean exit
        deadline = time.monotonic() + 30
        while pilot.app.return_code is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        if pilot.app.return_code is None:
            pilot.app.exit(0)

    monkeypatch.setattr(SitesPane, "show", crash)
    headless = functools.partialmethod(App.run, headless=True, auto_pilot=give_up)
    monkeypatch.setattr(BaseApp, "run", headless)
    code = main(["--dsn", migrated_dsn, "--no-scheduler", *(["--debug"] if debug else [])])
    err = capsys.readouterr().err
    log_file = isolated_env / "state" / "snapwatch" / "snapwatch.log"
    assert code == 4
    assert not any(c in err for c in "\x1b\x07\x9b")
    *traceback, last = err.strip().splitlines()
    assert last == (
        f"snapwatch: error: internal error: RuntimeError: no such site {LINK}"
        f"\\x1b[2J\\x1b]0;owned\\x07 (traceback in {log_file})"
    )
    assert bool(traceback) is debug
    logged = log_file.read_text()
    assert "Traceback (most recent call last)" in logged and "in crash" in logged
    assert ESCAPES not in logged and shown(ESCAPES) in logged
