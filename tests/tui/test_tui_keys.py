"""Every key of the terminal app does what it says, on a real database (Pilot)."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from support.app import NOW, main_of, make_app, make_settings, wait_for
from support.app_notes import Notes, ready
from support.overview_rows import Rows
from textual.pilot import Pilot
from textual.widgets import Input, Log, Static
from textual.widgets._footer import FooterKey

from snapwatch.infra.config import KeysSettings
from snapwatch.infra.errors import ConfigError
from snapwatch.tui import keymap
from snapwatch.tui.panes.sites import SitesTable
from snapwatch.tui.screens.dialogs import ConfirmScreen, PauseScreen
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.inspect.screen import InspectScreen
from snapwatch.tui.screens.log import LogScreen

CLOSED = "postgresql://bob@127.0.0.1:1/platform"


@pytest.fixture
def rows(migrated_dsn: str, isolated_env: Path) -> Iterator[Rows]:
    r = Rows(migrated_dsn)
    yield r
    r.close()


@pytest.fixture
def sites(rows: Rows) -> dict[str, UUID]:
    """Two eligible sites with scored devices (hourly, a session open since 5.5 h ago: five
    slots complete, the sixth in progress) and one without devices."""
    company = rows.company("Northwind Storage")
    program = rows.program(company, "Mold Watch")
    made: dict[str, UUID] = {}
    for name, devices in [("Cold Room", 3), ("Loading Dock", 2), ("Empty Shed", 0)]:
        site = rows.site(program, name, snapshot_cadence_hours=1, timezone="UTC")
        made[name] = site
        for i in range(devices):
            device = rows.device(site, x_position=2 + i, y_position=3)
            for back in (90, 30):
                at = NOW - timedelta(minutes=back)
                rows.payload(device, at, temperature=40.0, humidity=80.0)
                rows.image(device, at, 0.05 + 0.2 * i)
        start = NOW - timedelta(hours=5, minutes=30)  # slot 6 is half done
        rows.session(site, start, start + timedelta(hours=24), "in_progress")
    return made


async def select(pilot: Pilot[Any], site: UUID) -> None:
    main = main_of(pilot)
    assert main.sites_pane.table.move_to(str(site))
    await wait_for(pilot, lambda: main.selected is not None and main.selected.site_id == site)


def state_of(pilot: Pilot[Any], site: UUID) -> str:
    return main_of(pilot).sites_pane.table.shown_text(str(site))[6]


def provisional(rows: Rows, site: UUID) -> list[int]:
    found = rows.conn.execute(
        "SELECT w.wake_number FROM session_wake_snapshots w"
        " JOIN snapwatch.provisional_snapshots p USING (session_id, wake_number)"
        " WHERE w.site_id = %s",
        (site,),
    ).fetchall()
    return [r[0] for r in found]


def snapshot_count(rows: Rows) -> int:
    found = rows.conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone()
    assert found is not None
    return int(found[0])


async def test_f_forces_the_selected_site_and_the_snapshots_pane_shows_it_provisional(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await select(pilot, sites["Cold Room"])
        await pilot.press("f")
        await wait_for(pilot, lambda: notes.any("forced 'Cold Room'"))
        wakes = provisional(rows, sites["Cold Room"])
        assert wakes == [6]  # the slot in progress
        pane = main_of(pilot).snapshots_pane
        await wait_for(pilot, lambda: len(pane.snapshots) == 1)
        newest = pane.table.shown_text(pane.table.row_keys[0])
        assert newest[-1] == "prov"
        assert "6" in newest and "force" in newest
        assert "Cold Room" in str(pane.border_title)  # one site's snapshots, and it says so
        devices = main_of(pilot).devices_pane
        await wait_for(pilot, lambda: devices.table.row_count == 3)
        first = devices.table.shown_text(devices.table.row_keys[0])
        assert first[2] == "0.05"  # current MGI
        assert set(first[5]) <= set("▁▂▃▄▅▆▇█· ")  # the sparkline


async def test_f_on_a_site_that_cannot_be_forced_says_why_in_one_line(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    notes = Notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, sites["Empty Shed"])
        await pilot.press("f")
        await wait_for(pilot, lambda: notes.any("cannot force"))
        text, severity = notes.said[-1]
        assert text == "cannot force 'Empty Shed': no devices"
        assert severity == "warning"
        assert snapshot_count(rows) == 0


async def test_capital_f_forces_every_eligible_site_after_a_confirmation(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    notes = Notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert snapshot_count(rows) == 0
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: notes.any("forced 2 site(s)"))
        assert provisional(rows, sites["Cold Room"]) == [6]
        assert provisional(rows, sites["Loading Dock"]) == [6]
        assert notes.any("1 no devices")


async def test_p_asks_why_and_for_how_long_pauses_and_p_again_resumes(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    notes = Notes(app)
    dock = sites["Loading Dock"]
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, dock)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PauseScreen))
        await pilot.press(*"forklift repair", "enter")
        await pilot.press(*"2 hours")
        problem = app.screen.query_one("#pause-problem", Static)
        await wait_for(pilot, lambda: "not a duration" in str(problem.content))
        said = str(problem.content)
        assert said.count("45s, 90m, 2h") == 1, said  # the accepted forms, once
        await pilot.press("enter")  # refused: the dialog stays
        assert isinstance(app.screen, PauseScreen)
        duration = app.screen.query_one("#pause-duration", Input)
        duration.value = "2h"
        await pilot.press("enter")
        await wait_for(pilot, lambda: notes.any("paused 'Loading Dock' for 2h"))
        pause = rows.conn.execute(
            "SELECT reason, paused_at, expires_at, resumed_at FROM snapwatch.pauses"
            " WHERE site_id = %s",
            (dock,),
        ).fetchone()
        assert pause == ("forklift repair", NOW, NOW + timedelta(hours=2), None)
        await wait_for(pilot, lambda: state_of(pilot, dock) == "paused")
        await pilot.press("p")
        await wait_for(pilot, lambda: notes.any("resumed 'Loading Dock'"))
        resumed = rows.conn.execute(
            "SELECT resumed_at FROM snapwatch.pauses WHERE site_id = %s", (dock,)
        ).fetchone()
        assert resumed == (NOW,)
        await wait_for(pilot, lambda: state_of(pilot, dock) != "paused")


async def test_capital_p_pauses_every_site_and_resumes_after_a_confirmation(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    notes = Notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, PauseScreen))
        await pilot.press(*"audit", "enter", "enter")
        await wait_for(pilot, lambda: notes.any("paused every site until resumed: audit"))
        row = rows.conn.execute(
            "SELECT site_id, reason FROM snapwatch.pauses WHERE resumed_at IS NULL"
        ).fetchall()
        assert row == [(None, "audit")]
        for name in ("Cold Room", "Loading Dock"):

            def paused(name: str = name) -> bool:
                return state_of(pilot, sites[name]) == "paused"

            await wait_for(pilot, paused)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: notes.any("resumed every site"))
        await wait_for(pilot, lambda: state_of(pilot, sites["Cold Room"]) != "paused")


async def test_read_only_refuses_the_writing_keys_in_one_line(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    settings = make_settings(migrated_dsn, read_only=True)
    app = make_app(migrated_dsn, settings=settings)
    notes = Notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        for key in ("f", "F", "p", "P"):
            await pilot.press(key)
        await pilot.pause()
        assert [t for t, _ in notes.said] == [
            "read-only: cannot force a snapshot",
            "read-only: cannot force snapshots",
            "read-only: cannot pause",
            "read-only: cannot pause",
        ]
        assert isinstance(app.screen, type(main_of(pilot)))


async def test_space_freezes_the_view_until_pressed_again(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn, refresh_seconds=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await ready(pilot)
        main = main_of(pilot)
        await pilot.press("space")
        assert main.frozen and main.status.frozen_mark.display
        reads = main.sites_feed.reads
        shed = sites["Empty Shed"]
        rows.device(shed)
        await pilot.press("r")
        await pilot.pause(0.5)  # several refresh intervals
        assert table.shown_text(str(shed))[2] == "0"
        assert main.sites_feed.reads == reads
        await pilot.press("space")
        assert not main.status.frozen_mark.display
        await wait_for(pilot, lambda: table.shown_text(str(shed))[2] == "1")


async def test_freeze_holds_the_status_line_too_but_not_the_clock(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        main = main_of(pilot)
        main.status.set_part("tick", "last tick: 0 written")
        await pilot.press("space")
        main.status.set_part("tick", "last tick: 1 written")
        later = NOW + timedelta(minutes=3)
        main.status.set_now(later)
        assert "last tick: 0 written" in main.status.text
        assert "1 written" not in main.status.text
        assert later.strftime("%H:%M:%S") in main.status.text
        await pilot.press("space")
        assert "last tick: 1 written" in main.status.text


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (60, 20)])
async def test_the_footer_shows_help_and_quit_first_and_drops_keys_that_do_not_fit(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID], size: tuple[int, int]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.pause(0.2)
        keys = [k for k in app.screen.query(FooterKey) if not k.has_class("-command-palette")]
        assert [(k.key_display, k.description) for k in keys[:2]] == [("?", "Help"), ("q", "Quit")]
        assert all(k.region.right <= size[0] for k in app.screen.query(FooterKey))
        descriptions = [k.description for k in keys]
        shown = [a.description for a in keymap.MAIN_ACTIONS if a.description in descriptions]
        # what is left out is the end of the list: the keys shown come in the screen's order
        order = [d for d in descriptions if d in shown and d not in ("Help", "Quit", "Inspect")]
        assert order == [d for d in shown if d not in ("Help", "Quit", "Inspect")]
        if size[0] < 120:
            assert "Log" not in descriptions


async def test_slash_filters_by_name_program_or_state_and_escape_clears(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await ready(pilot)
        pane = main_of(pilot).sites_pane
        await pilot.press("slash", *"dock")
        await wait_for(pilot, lambda: table.row_keys == [str(sites["Loading Dock"])])
        assert 'filter "dock"' in str(pane.border_title)
        await pilot.press("enter")  # back to the table, filter kept
        assert isinstance(app.focused, SitesTable) and table.row_count == 1
        await pilot.press("escape")  # from the table too: the filter goes
        await wait_for(pilot, lambda: table.row_count == len(sites))
        assert "filter" not in str(pane.border_title)
        await pilot.press("slash")
        pane.filter_input.value = "no devices"  # by state
        await wait_for(pilot, lambda: table.row_keys == [str(sites["Empty Shed"])])
        pane.filter_input.value = "mold watch"  # by program
        await wait_for(pilot, lambda: table.row_count == 3)
        pane.filter_input.value = "nothing like it"
        await wait_for(pilot, lambda: table.row_count == 0)
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count == 3)
        assert not pane.filter_input.display


async def test_s_cycles_the_sort_order_and_the_title_names_it(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await ready(pilot)
        pane = main_of(pilot).sites_pane
        assert "by program" in str(pane.border_title)
        await pilot.press("s")
        assert "by name" in str(pane.border_title)
        assert table.row_keys == [
            str(sites[n]) for n in ("Cold Room", "Empty Shed", "Loading Dock")
        ]
        await pilot.press("s")
        assert "by state" in str(pane.border_title)
        assert table.row_keys[-1] == str(sites["Empty Shed"])  # not eligible sorts after late
        seen = {str(pane.border_title)}
        for _ in range(3):
            await pilot.press("s")
            seen.add(str(pane.border_title))
        assert "by program" in str(pane.border_title)  # round again
        assert len(seen) == 4


async def test_r_refreshes_now_and_says_so(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    notes = Notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: notes.any("refreshed: 3 sites"))


async def test_enter_inspects_the_latest_snapshot_and_escape_closes(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await select(pilot, sites["Loading Dock"])
        await pilot.press("enter")
        await wait_for(pilot, lambda: notes.any("has no snapshots"))
        assert notes.said[-1][0] == "site 'Loading Dock' has no snapshots"
        await pilot.press("f")
        await wait_for(pilot, lambda: notes.any("forced 'Loading Dock'"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))
        head = str(app.screen.query_one("#inspect-header", Static).render())
        assert head.startswith("Loading Dock")
        assert re.search(r" · wake 6 of \d+ snapshot slots · forced · provisional", head)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InspectScreen))


async def test_a_scope_key_switches_the_snapshots_pane_between_all_sites_and_the_selected(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        pane = main_of(pilot).snapshots_pane
        await select(pilot, sites["Cold Room"])
        await wait_for(pilot, lambda: len(pane.snapshots) == 1)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(pane.snapshots) == 2)
        assert "all sites" in str(pane.border_title)
        assert "Site" in [c.label.plain.strip() for c in pane.table.ordered_columns]
        await pilot.press("a")
        await wait_for(pilot, lambda: len(pane.snapshots) == 1)
        assert "Cold Room" in str(pane.border_title)


async def test_help_lists_every_action_with_its_key(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-keys", Static).content)
        for action in keymap.MAIN_ACTIONS:
            assert action.help in text
        for key in ("f ", "F ", "p ", "P ", "space", "⏎", "/", "s ", "r ", "?", "q ", "l "):
            assert key in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_keys_remapped_in_the_settings_work_and_show_in_help_and_footer(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    settings = make_settings(migrated_dsn, keys={"force": "x", "refresh": "f5,ctrl+r"})
    app = make_app(migrated_dsn, settings=settings)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await select(pilot, sites["Cold Room"])
        await pilot.press("f")  # no longer force
        await pilot.press("x")
        await wait_for(pilot, lambda: notes.any("forced 'Cold Room'"))
        assert len(provisional(rows, sites["Cold Room"])) == 1
        await pilot.press("f5")
        await wait_for(pilot, lambda: notes.any("refreshed"))
        shown = {(k.key_display, k.description) for k in app.screen.query(FooterKey)}
        assert ("x", "Force") in shown and ("f", "Force") not in shown
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-keys", Static).content)
        line = next(line for line in text.splitlines() if "force a snapshot" in line)
        assert line.startswith("x ")


def test_every_binding_has_an_id_and_a_documented_default() -> None:
    ids = {a.id for a in keymap.ACTIONS}
    assert ids == set(KeysSettings.model_fields)
    for binding in keymap.bindings():
        assert binding.id in ids
        assert binding.key == keymap.default_key(binding.id)
    assert keymap.keymap(KeysSettings()) == {}
    assert keymap.keymap(KeysSettings(quit="ctrl+q")) == {"quit": "ctrl+q"}


async def test_the_palette_jumps_to_a_site_by_part_of_its_name_and_runs_actions(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await ready(pilot)
        assert table.cursor_key == str(sites["Cold Room"])
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"loading")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: table.cursor_key == str(sites["Loading Dock"]))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for action in keymap.MAIN_ACTIONS:
            if action.palette:
                assert any(t.startswith(action.description + " (") for t in titles)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"sort (s)")
        await pilot.pause(0.5)
        await pilot.press("enter")
        pane = main_of(pilot).sites_pane
        await wait_for(pilot, lambda: "by name" in str(pane.border_title))


async def test_l_shows_the_log_which_goes_to_a_file_not_the_terminal(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID], tmp_path: Path
) -> None:
    app = make_app(migrated_dsn, tmp=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        root = logging.getLogger()
        assert [type(h).__name__ for h in root.handlers] == ["RingHandler", "FileHandler"]
        logging.getLogger("snapwatch.test").warning("a line for the log view")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogScreen))
        log_widget = app.screen.query_one(Log)
        await wait_for(
            pilot, lambda: any("a line for the log view" in line for line in log_widget.lines)
        )
        await pilot.press("escape")
    assert "a line for the log view" in (tmp_path / "snapwatch.log").read_text()
    assert "RingHandler" not in [type(h).__name__ for h in logging.getLogger().handlers]


# --- [keys] validated before the app starts ------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"force": "bogus"}, "[keys] force = 'bogus': 'bogus' is not a key name"),
        ({"log": "l,hyper+"}, "[keys] log = 'l,hyper+': 'hyper+' is not a key name"),
        ({"pause": "ctrl+q"}, "[keys] pause = 'ctrl+q': 'ctrl+q' quits the app"),
        ({"refresh": "ctrl+c"}, "[keys] refresh = 'ctrl+c': 'ctrl+c' quits the app"),
        ({"force": "q"}, "[keys] force = 'q': 'q' quits the app"),
        ({"quit": "x", "inspect_diff": "x"}, "[keys] inspect_diff = 'x': 'x' quits the app"),
    ],
)
def test_a_key_the_terminal_cannot_send_or_one_taken_from_quit_is_refused(
    keys: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        keymap.check_keys(KeysSettings(**keys))
    assert str(caught.value).startswith(message)
    assert caught.value.exit_code == 2


def test_every_default_and_a_remapped_quit_pass_the_check() -> None:
    keymap.check_keys(KeysSettings())
    keymap.check_keys(KeysSettings(quit="x", force="q,f5", filter="slash", sort="ctrl+s"))


def test_the_app_refuses_bad_keys_before_it_connects(tmp_path: Path) -> None:
    config = tmp_path / "bad-keys.toml"
    config.write_text('[keys]\nforce = "ctrl+c"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    done = subprocess.run(
        [sys.executable, "-m", "snapwatch", "--config", str(config), "--dsn", CLOSED],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "snapwatch: error: [keys] force = 'ctrl+c': 'ctrl+c' quits the app and cannot be rebound\n"
    )
