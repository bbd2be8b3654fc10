"""The terminal app's Sites pane and its layout, driven with Pilot against a real database.

Also the helpers the other ``test_tui_*`` modules share (the app under test, waiting).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from rich.cells import cell_len
from support.app import NOW, main_of, make_app, make_settings, wait_for
from support.overview_rows import Rows
from textual.pilot import Pilot
from textual.widgets import Footer, Static
from textual.widgets.data_table import ColumnKey

from snapwatch.infra.clock import FixedClock
from snapwatch.infra.db import Target, resolve_target
from snapwatch.text.durations import format_duration
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.columns import GAP, ColumnSpec, fit, plan_layout, truncate_middle
from snapwatch.tui.panes.sites import SitesTable
from snapwatch.tui.panes.sites_model import SPECS
from snapwatch.tui.screens.help import HelpScreen

SIZES = [(80, 24), (120, 40)]


# --- shared helpers -------------------------------------------------------------------------


def table_of(pilot: Pilot[Any]) -> SitesTable:
    return main_of(pilot).sites_pane.table


async def loaded(pilot: Pilot[Any], count: int) -> SitesTable:
    """The sites table once it shows ``count`` rows and has been laid out."""
    table = table_of(pilot)
    await wait_for(pilot, lambda: table.row_count == count and table.size.width > 0)
    await pilot.pause()
    return table


def banner_of(pilot: Pilot[Any]) -> Static:
    return main_of(pilot).banner


def help_text(app: SnapwatchApp) -> str:
    return str(app.screen.query_one("#help-keys", Static).content)


def shown(table: SitesTable, site: UUID) -> list[str]:
    return table.shown_text(str(site))


def cell(table: SitesTable, site: UUID, column: str) -> str:
    """One cell by column key, as shown."""
    keys = [str(c.key.value) for c in table.ordered_columns]
    return shown(table, site)[keys.index(column)]


@pytest.fixture
def rows(migrated_dsn: str, isolated_env: Path) -> Iterator[Rows]:
    r = Rows(migrated_dsn)
    yield r
    r.close()


@pytest.fixture
def fleet(rows: Rows) -> dict[UUID, tuple[str, str, int]]:
    """A few sites across two programs: site id → (site name, program name, devices)."""
    harbor = rows.company("Harborview Cold Storage")
    winter = rows.program(harbor, "Winter Mold Watch")
    produce = rows.program(harbor, "Produce Ripening Pilot")
    made: dict[UUID, tuple[str, str, int]] = {}

    def add(program: UUID, program_name: str, name: str, devices: int, **columns: object) -> None:
        site = rows.site(program, name, **columns)
        for _ in range(devices):
            rows.device(site)
        made[site] = (name, program_name, devices)

    add(
        winter,
        "Winter Mold Watch",
        "Pier 4 Cold Room",
        14,
        timezone="America/New_York",
        snapshot_cadence_hours=0.25,
        last_snapshot_at=NOW - timedelta(minutes=5),
    )
    add(winter, "Winter Mold Watch", "Newark Annex", 8, snapshot_cadence_hours=3)
    add(
        winter,
        "Winter Mold Watch",
        "Harborview Main Warehouse",
        25,
        timezone="America/Chicago",
        snapshot_cadence_hours=2,
    )
    add(
        produce,
        "Produce Ripening Pilot",
        "Ripening Room A",
        12,
        timezone="America/Los_Angeles",
        snapshot_cadence_hours=0.5,
    )
    add(
        produce,
        "Produce Ripening Pilot",
        "Ripening Room B",
        9,
        timezone="America/Los_Angeles",
        snapshot_cadence_per_day=12,
    )
    add(produce, "Produce Ripening Pilot", "Empty Shed", 0, timezone="UTC")
    first = next(iter(made))
    rows.session(first, NOW - timedelta(hours=10), NOW + timedelta(hours=14), "in_progress")
    return made


def by_name(fleet: dict[UUID, tuple[str, str, int]]) -> dict[str, UUID]:
    return {name: site for site, (name, _, _) in fleet.items()}


# --- the pane ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_table_lists_every_site_with_its_program_and_device_count(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]], size: tuple[int, int]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=size) as pilot:
        table = await loaded(pilot, len(fleet))
        for site, (name, program, devices) in fleet.items():
            assert cell(table, site, "program") == program or "…" in cell(table, site, "program")
            assert cell(table, site, "devices") == str(devices)
            assert cell(table, site, "site") == name  # room enough: never shortened here
        # Sorted by program, then site name.
        order = [fleet[UUID(k)][1:2] + fleet[UUID(k)][0:1] for k in table.site_keys]
        assert order == sorted(order)
        # Every column fits the pane: nothing is pushed off to the right.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert banner_of(pilot).display is False


async def test_cells_say_cadence_last_snapshot_next_due_and_state(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    names = by_name(fleet)
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await loaded(pilot, len(fleet))
        pier = names["Pier 4 Cold Room"]
        assert cell(table, pier, "cadence") == "15 min"
        assert cell(table, pier, "last") == "5m ago"
        assert cell(table, pier, "next").startswith("in ")
        assert cell(table, names["Ripening Room B"], "cadence") == "2 h"
        annex = names["Newark Annex"]
        assert [cell(table, annex, c) for c in ("last", "next", "state")] == [
            "never",
            "—",
            "no session",
        ]
        shed = names["Empty Shed"]
        assert [cell(table, shed, c) for c in ("devices", "cadence", "state")] == [
            "0",
            "none",
            "no cadence",
        ]


async def test_a_cadence_from_disagreeing_columns_is_marked_and_explained(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    names = by_name(fleet)
    with psycopg.connect(migrated_dsn, autocommit=True) as admin:
        admin.execute(
            "UPDATE sites SET snapshot_cadence_hours = 1, snapshot_cadence_per_day = 96"
            " WHERE site_id = %s",
            (names["Ripening Room B"],),
        )
        # The platform's own CHECK would refuse it; older rows predate such checks.
        admin.execute("ALTER TABLE sites DROP CONSTRAINT sites_snapshot_cadence_per_day_check")
        admin.execute(
            "UPDATE sites SET snapshot_cadence_hours = NULL, snapshot_cadence_per_day = -3"
            " WHERE site_id = %s",
            (names["Empty Shed"],),
        )
    app = make_app(migrated_dsn)
    async with app.run_test(size=(200, 40)) as pilot:
        table = await loaded(pilot, len(fleet))
        room = names["Ripening Room B"]
        assert cell(table, room, "cadence") == "15 min*"
        assert cell(table, room, "reason").startswith("snapshot_cadence_per_day = 9")
        table.move_cursor(row=table.site_keys.index(str(room)))
        await pilot.pause()
        detail = " ".join(str(main_of(pilot).sites_pane.detail.content).split())
        assert (
            "snapshot_cadence_per_day = 96 used, snapshot_cadence_hours = 1 disagrees:"
            " an integer hours column cannot hold a sub-hour cadence"
        ) in detail
        shed = names["Empty Shed"]
        assert [cell(table, shed, c) for c in ("cadence", "state")] == ["none", "bad cadence"]
        assert cell(table, shed, "reason").startswith("snapshot_cadence_per_day = -")


async def test_the_next_due_countdown_ticks_every_second_without_a_query(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    pier = by_name(fleet)["Pier 4 Cold Room"]
    clock = FixedClock(NOW)
    app = make_app(migrated_dsn, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await loaded(pilot, len(fleet))
        reads = main_of(pilot).sites_feed.reads
        site = main_of(pilot).sites_pane.sites[str(pier)]
        assert site.next_due_at is not None
        clock.set(site.next_due_at - timedelta(seconds=42))
        await wait_for(pilot, lambda: cell(table, pier, "next") == "in 42s", timeout=3)
        clock.set(site.next_due_at + timedelta(seconds=61))
        await wait_for(pilot, lambda: cell(table, pier, "next") == "1m ago", timeout=3)
        assert cell(table, pier, "last") != "5m ago"  # the age moved on too
        assert main_of(pilot).sites_feed.reads == reads  # no read: only the clock moved


async def test_a_waiting_site_says_at_each_read_how_long_its_slot_has_waited(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    # The site's judgement is kept from read to read: only its wait and reason move, and
    # the row follows, until the grace passes and the site is late.
    pier = by_name(fleet)["Pier 4 Cold Room"]
    clock = FixedClock(NOW)
    app = make_app(migrated_dsn, clock=clock)
    async with app.run_test(size=(240, 50)) as pilot:  # wide enough for the reason
        table = await loaded(pilot, len(fleet))
        main = main_of(pilot)
        waited_at_start = main.sites_pane.sites[str(pier)].late_by_seconds
        assert waited_at_start is not None
        due = NOW - timedelta(seconds=waited_at_start)  # when the oldest unwritten slot fell due
        grace = main.services.settings.scheduler.late_grace_seconds
        program = cell(table, pier, "program")
        for waited, state in ((61, "due"), (125, "due"), (grace, "due"), (grace + 1, "late")):
            clock.set(due + timedelta(seconds=waited))
            main.sites_feed.request()
            words = f"due {format_duration(waited)} ago"

            def shows(state: str = state, words: str = words) -> bool:
                return cell(table, pier, "state") == state and cell(table, pier, "reason").endswith(
                    words
                )

            await wait_for(pilot, shows, timeout=5)
            assert cell(table, pier, "program") == program


async def test_header_says_watching_and_names_the_database_without_its_password(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]], tmp_path: Path
) -> None:
    # The test server trusts local connections, so it takes any password: a DSN with one
    # connects as well as the one without, and the password must not be shown.
    password = "s3cret-Pw"
    assert "postgres:@" in migrated_dsn
    dsn = migrated_dsn.replace("postgres:@", f"postgres:{password}@", 1)
    target = resolve_target(make_settings(dsn))
    app = make_app(dsn, target=target, tmp=tmp_path)
    async with app.run_test(size=(240, 24)) as pilot:
        await loaded(pilot, len(fleet))
        assert app.sub_title == "watching only (--no-scheduler)"
        status = main_of(pilot).status.text
        assert password not in status
        shown = dsn.replace(password, "****")
        assert shown in status, status
        assert pilot.app.query(Footer)


async def test_read_only_watches_only(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    settings = make_settings(migrated_dsn, read_only=True)
    app = make_app(migrated_dsn, settings=settings, scheduler=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, len(fleet))
        assert app.services.scheduler is None
        assert app.sub_title == "watching only (read-only)"


async def test_refresh_key_picks_up_a_new_site_without_moving_the_cursor(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        await pilot.press("down", "down", "down")
        selected = table.cursor_key
        assert selected is not None
        assert fleet[UUID(selected)][0] == "Harborview Main Warehouse"
        program = rows.conn.execute(
            "SELECT program_id FROM pilot_programs WHERE name = 'Winter Mold Watch'"
        ).fetchone()
        assert program is not None
        # Sorts before the selected site, so the selected row moves down by one.
        new_site = rows.site(program[0], "Annex Zero", snapshot_cadence_hours=1)
        rows.conn.execute(
            "UPDATE sites SET last_snapshot_at = %s WHERE site_id = %s",
            (NOW - timedelta(minutes=2), selected),
        )
        await pilot.press("r")
        await wait_for(pilot, lambda: table.row_count == len(fleet) + 1)
        await pilot.pause()
        assert table.cursor_key == selected
        assert table.site_keys.index(str(new_site)) < table.site_keys.index(selected)
        assert "Winter Mold Watch".startswith(cell(table, new_site, "program").rstrip("…"))
        assert cell(table, UUID(selected), "last") == "2m ago"


async def test_refresh_updates_rows_in_place_and_drops_deleted_sites(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    names = by_name(fleet)
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        rows.conn.execute("DELETE FROM sites WHERE site_id = %s", (names["Empty Shed"],))
        await pilot.press("r")
        await wait_for(pilot, lambda: table.row_count == len(fleet) - 1)
        assert str(names["Empty Shed"]) not in table.site_keys
        rows.device(names["Newark Annex"])
        await pilot.press("r")
        await wait_for(pilot, lambda: cell(table, names["Newark Annex"], "devices") == "9")


async def test_periodic_refresh_picks_up_changes_without_a_key(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    some_site = next(iter(fleet))
    app = make_app(migrated_dsn, refresh_seconds=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        before = int(cell(table, some_site, "devices"))
        rows.device(some_site)
        await wait_for(pilot, lambda: cell(table, some_site, "devices") == str(before + 1))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_unreachable_database_shows_a_banner_and_recovers(
    migrated_dsn: str,
    fleet: dict[UUID, tuple[str, str, int]],
    isolated_env: Path,
    size: tuple[int, int],
) -> None:
    dsn = "postgresql://snap:s3cret-pw@127.0.0.1:1/snapwatch?connect_timeout=2"
    target = Target(dsn=dsn, secrets=("s3cret-pw",))
    app = make_app(dsn, target=target, refresh_seconds=0.2)
    async with app.run_test(size=size) as pilot:
        banner = banner_of(pilot)
        await wait_for(pilot, lambda: banner.display and banner.has_class("-error"))
        text = str(banner.content)
        assert "unreachable" in text
        assert "127.0.0.1" in text
        assert "s3cret-pw" not in text
        assert table_of(pilot).row_count == 0
        assert app.is_running
        # The database comes back: a later read finds it and the banner goes away.
        target.dsn = migrated_dsn
        await loaded(pilot, len(fleet))
        await wait_for(pilot, lambda: banner.display is False)


async def test_refreshes_land_while_the_help_screen_is_open(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    some_site = next(iter(fleet))
    app = make_app(migrated_dsn, refresh_seconds=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows.device(some_site)
        expected = str(fleet[some_site][2] + 1)
        await wait_for(pilot, lambda: cell(table, some_site, "devices") == expected)
        assert isinstance(app.screen, HelpScreen)


async def test_q_quits_and_closes_its_connections(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, len(fleet))
        assert app_connections(rows) > 0
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    deadline = time.monotonic() + 10
    while app_connections(rows) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app_connections(rows) == 0


def app_connections(rows: Rows) -> int:
    found = rows.conn.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'snapwatch'"
    ).fetchone()
    assert found is not None
    return int(found[0])


async def test_no_color_is_honoured(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(migrated_dsn)
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        # The states read without colour: the words say it.
        assert {cell(table, s, "state") for s in fleet} >= {"late", "no session"}
        svg = app.export_screenshot()
    # Every colour on screen is a grey: the state colours (red, green, ...) are gone.
    colours = set(re.findall(r"fill: #([0-9a-f]{6})", svg))
    assert colours
    for colour in colours:
        rgb = [int(colour[i : i + 2], 16) for i in (0, 2, 4)]
        assert max(rgb) - min(rgb) <= 8, colour


async def test_a_site_name_with_markup_characters_is_shown_literally(
    migrated_dsn: str, rows: Rows
) -> None:
    program = rows.program(rows.company("Brackets Inc"), "[b]Program[/b]")
    site = rows.site(program, "Room [red]7[/red]")
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await loaded(pilot, 1)
        assert shown(table, site)[:2] == ["Room [red]7[/red]", "[b]Program[/b]"]


# --- layouts ---------------------------------------------------------------------------------


async def test_wide_terminal_shows_the_four_panes_at_once(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, len(fleet))
        main = main_of(pilot)
        assert main.wide and not main.tabs.display
        regions = [p.region for p in main.panes()]
        assert all(r.width > 30 and r.height > 10 for r in regions)
        assert len({(r.x, r.y) for r in regions}) == 4  # four places on screen
        sites = main.sites_pane.region
        assert sites.x == 0 and sites.y < main.devices_pane.region.y  # sites top-left
        assert sites.width > main.snapshots_pane.region.width


async def test_narrow_terminal_shows_tabs_and_every_pane_is_reachable(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, len(fleet))
        main = main_of(pilot)
        assert not main.wide and main.tabs.display
        visible = [p.pane_id for p in main.panes() if p.display and p.region.height > 0]
        assert visible == ["sites"]
        for key, pane in [("2", "snapshots"), ("3", "devices"), ("4", "health"), ("1", "sites")]:
            await pilot.press(key)

            def shown(pane: str = pane) -> bool:
                return main.current == pane

            await wait_for(pilot, shown)
            assert main.pane(pane).region.height > 0
            assert main.focused_pane() == pane
        await pilot.press("tab")
        await wait_for(pilot, lambda: main.current == "snapshots")
        await pilot.press("shift+tab")
        await wait_for(pilot, lambda: main.current == "sites")
        # Growing the terminal brings the grid back, and shrinking it the tabs.
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: main.wide)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: not main.wide)


async def test_resizing_relabels_columns_and_keeps_the_cursor(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    program = rows.program(rows.company("Long Names Ltd"), "Produce Ripening Pilot Program East")
    long_site = rows.site(
        program, "Harborview Main Warehouse North Annex", snapshot_cadence_hours=1
    )
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet) + 1)
        plan = table.layout_plan
        assert plan is not None and plan.compact
        # At 80 columns the program is shortened before the site name is.
        assert cell(table, long_site, "program").endswith("…")
        await pilot.press("down", "down")
        selected = table.cursor_key
        await pilot.resize_terminal(200, 50)
        await wait_for(
            pilot, lambda: table.columns[ColumnKey("last")].label.plain.strip() == "Last snapshot"
        )
        assert cell(table, long_site, "site") == "Harborview Main Warehouse North Annex"
        assert table.cursor_key == selected
        assert table.virtual_size.width <= table.scrollable_content_region.width


async def test_highlighted_site_is_described_in_full_below_the_table(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        key = table.cursor_key
        assert key is not None
        name, program, _ = fleet[UUID(key)]
        detail = str(main_of(pilot).sites_pane.detail.content)
        assert name in detail and program in detail


# --- column planning (plain functions, no database) -------------------------------------------

DEMO_LIKE = [
    ("Harborview Main Warehouse", "Produce Ripening Pilot", "25", "15 min", "5m ago", "in 4m",
     "late", "wake 5 due 12m ago"),
    ("Ripening Room A", "Winter Mold Watch", "9", "2 h", "never", "—", "no session", ""),
]  # fmt: skip


def _total(widths: tuple[int, ...]) -> int:
    return sum(w + GAP for w in widths if w)


def test_wide_table_gets_full_labels_and_the_reason_takes_the_rest() -> None:
    layout = plan_layout(140, SPECS, DEMO_LIKE)
    assert not layout.compact
    assert layout.labels[4] == "Last snapshot"
    assert all(layout.widths)
    assert _total(layout.widths) == 140
    assert fit(DEMO_LIKE[0][0], layout.widths[0], middle=True) == DEMO_LIKE[0][0]


def test_narrow_table_hides_the_reason_then_shortens_the_program_before_the_site() -> None:
    layout = plan_layout(77, SPECS, DEMO_LIKE)
    assert layout.compact
    assert layout.widths[7] == 0  # reason hidden (the line under the table says it)
    assert _total(layout.widths) <= 77
    assert layout.widths[0] == cell_len(DEMO_LIKE[0][0])  # the site name whole
    assert layout.widths[1] < cell_len(DEMO_LIKE[0][1])  # the program shortened


def test_the_site_name_is_shortened_last_and_never_below_its_minimum() -> None:
    tight = plan_layout(60, SPECS, DEMO_LIKE)
    assert tight.widths[0] < cell_len(DEMO_LIKE[0][0])
    # Every other column had already given up what it could.
    assert [tight.widths[i] for i in range(1, 7)] == [SPECS[i].min_width for i in range(1, 7)]
    assert plan_layout(20, SPECS, DEMO_LIKE).widths[0] == SPECS[0].min_width


def test_stable_widths_keep_the_layout_when_a_time_grows_by_a_digit() -> None:
    later = [(*DEMO_LIKE[0][:4], "59m ago", "in 59m", *DEMO_LIKE[0][6:]), DEMO_LIKE[1]]
    assert plan_layout(100, SPECS, later) == plan_layout(100, SPECS, DEMO_LIKE)


def test_a_hidden_growing_column_comes_back_when_there_is_room() -> None:
    specs = (ColumnSpec("a", "A"), ColumnSpec("b", "B", min_width=5, hideable=True, grow=True))
    assert plan_layout(4, specs, [("abc", "long text")]).widths == (3, 0)
    assert plan_layout(30, specs, [("abc", "long text")]).widths == (3, 25)


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("Ripening Room A", 20, "Ripening Room A"),
        ("Ripening Room A", 10, "Ripen…om A"),
        ("Ripening Room B", 10, "Ripen…om B"),
        ("abcdef", 1, "…"),
        ("倉庫倉庫倉庫", 7, "倉庫…庫"),
    ],
)
def test_truncate_middle_keeps_both_ends(text: str, width: int, expected: str) -> None:
    got = truncate_middle(text, width)
    assert got == expected
    assert cell_len(got) <= width
