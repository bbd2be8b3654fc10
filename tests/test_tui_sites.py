"""The terminal app's sites screen, driven with Pilot against a real database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from overview_rows import Rows
from rich.cells import cell_len
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Footer, Static

from snapwatch.clock import FixedClock
from snapwatch.config import Settings, load_settings
from snapwatch.db import Target
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.columns import (
    CELL_PADDING,
    SITE_MIN_WIDTH,
    SiteRow,
    fit_row,
    plan_layout,
    truncate_middle,
)
from snapwatch.tui.help import HelpScreen
from snapwatch.tui.sites_table import SitesTable

NOW = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)
SIZES = [(80, 24), (120, 40)]


def make_settings(dsn: str, refresh_seconds: float = 3600) -> Settings:
    return load_settings(overrides={"dsn": dsn, "ui": {"refresh_seconds": refresh_seconds}})[0]


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


def make_app(dsn: str, refresh_seconds: float = 3600) -> SnapwatchApp:
    return SnapwatchApp(Target(dsn=dsn), make_settings(dsn, refresh_seconds), FixedClock(NOW))


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


async def loaded(pilot: Pilot[None], count: int) -> SitesTable:
    """The sites table once it shows ``count`` rows and has been laid out."""
    table = table_of(pilot)
    await wait_for(pilot, lambda: table.row_count == count and table.size.width > 0)
    await pilot.pause()
    return table


def table_of(pilot: Pilot[None]) -> SitesTable:
    return pilot.app.query_one(SitesTable)


def banner_of(pilot: Pilot[None]) -> Static:
    return pilot.app.query_one("#banner", Static)


def help_text(app: SnapwatchApp) -> str:
    content = app.screen.query_one("#help-keys", Static).content
    assert isinstance(content, Text)
    return content.plain


def shown(table: SitesTable, site: UUID) -> list[str]:
    return [cell.plain for cell in table.get_row(str(site))]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_table_lists_every_site_with_its_program_and_device_count(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]], size: tuple[int, int]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=size) as pilot:
        table = await loaded(pilot, len(fleet))
        for site, (name, program, devices) in fleet.items():
            cells = shown(table, site)
            assert cells[1] == program
            assert cells[2] == str(devices)
            assert cells[0] == name or "…" in cells[0]
        # Sorted by program, then site name.
        order = [fleet[UUID(k)][1:2] + fleet[UUID(k)][0:1] for k in table.site_keys]
        assert order == sorted(order)
        # Every column fits the screen: nothing is pushed off to the right.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert banner_of(pilot).display is False


async def test_cells_say_cadence_timezone_session_and_age_compactly(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    by_name = {name: site for site, (name, _, _) in fleet.items()}
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await loaded(pilot, len(fleet))
        assert shown(table, by_name["Pier 4 Cold Room"])[3:] == [
            "15 min",
            "America/New_York",
            "open",
            "5m ago",
        ]
        assert shown(table, by_name["Ripening Room B"])[3] == "2 h"
        assert shown(table, by_name["Newark Annex"])[3:] == ["3 h", "UTC (unset)", "none", "never"]
        assert shown(table, by_name["Empty Shed"])[2:4] == ["0", "none"]


async def test_header_names_the_database_without_its_password(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    target = Target(dsn=migrated_dsn, secrets=("not-in-the-dsn",))
    app = SnapwatchApp(target, make_settings(migrated_dsn), FixedClock(NOW), title="ops")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, len(fleet))
        assert app.title == "ops"
        assert app.sub_title == target.display
        assert pilot.app.query(Footer)


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
        assert shown(table, new_site)[1] == "Winter Mold Watch"
        assert shown(table, UUID(selected))[6] == "2m ago"


async def test_refresh_updates_rows_in_place_and_drops_deleted_sites(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    by_name = {name: site for site, (name, _, _) in fleet.items()}
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        await pilot.press("end")
        selected = table.cursor_key
        rows.conn.execute("DELETE FROM sites WHERE site_id = %s", (by_name["Empty Shed"],))
        await pilot.press("r")
        await wait_for(pilot, lambda: table.row_count == len(fleet) - 1)
        assert str(by_name["Empty Shed"]) not in table.site_keys
        assert selected != table.cursor_key or selected is None
        rows.device(by_name["Newark Annex"])
        await pilot.press("r")
        await wait_for(pilot, lambda: shown(table, by_name["Newark Annex"])[2] == "9")


async def test_resizing_the_terminal_relabels_columns_and_keeps_the_cursor(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        assert table.columns["last"].label.plain == "Last"
        await pilot.press("down", "down")
        selected = table.cursor_key
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: table.columns["last"].label.plain == "Last snapshot")
        assert table.cursor_key == selected
        assert table.virtual_size.width <= table.scrollable_content_region.width


async def test_periodic_refresh_picks_up_changes_without_a_key(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    some_site = next(iter(fleet))
    app = make_app(migrated_dsn, refresh_seconds=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        before = int(shown(table, some_site)[2])
        rows.device(some_site)
        await wait_for(pilot, lambda: shown(table, some_site)[2] == str(before + 1))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_unreachable_database_shows_a_banner_and_retries(
    migrated_dsn: str,
    fleet: dict[UUID, tuple[str, str, int]],
    isolated_env: Path,
    size: tuple[int, int],
) -> None:
    dsn = "postgresql://snap:s3cret-pw@127.0.0.1:1/snapwatch?connect_timeout=2"
    target = Target(dsn=dsn, secrets=("s3cret-pw",))
    app = SnapwatchApp(target, make_settings(dsn), FixedClock(NOW))
    async with app.run_test(size=size) as pilot:
        banner = banner_of(pilot)
        await wait_for(pilot, lambda: banner.has_class("-error"))
        text = str(banner.content)
        assert "unreachable" in text
        assert "127.0.0.1" in text
        assert "s3cret-pw" not in text
        assert banner.display is True
        assert table_of(pilot).row_count == 0
        assert app.is_running
        # The database comes back: the next refresh finds it and the banner goes away.
        target.dsn = migrated_dsn
        await pilot.press("r")
        await loaded(pilot, len(fleet))
        assert not banner.has_class("-error")
        assert banner.display is False


async def test_help_screen_lists_the_keys(
    migrated_dsn: str, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, len(fleet))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = help_text(app)
        for expected in ("q", "Quit", "r", "Refresh", "?", "Help"):
            assert expected in keys
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


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
        await wait_for(pilot, lambda: shown(table, some_site)[2] == expected)
        assert isinstance(app.screen, HelpScreen)
        assert app.is_running


async def test_remapped_keys_show_in_help_and_work(
    migrated_dsn: str, rows: Rows, fleet: dict[UUID, tuple[str, str, int]]
) -> None:
    app = make_app(migrated_dsn)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, len(fleet))
        app.set_keymap({"refresh": "f5"})
        some_site = next(iter(fleet))
        rows.device(some_site)
        await pilot.press("f5")
        expected = str(fleet[some_site][2] + 1)
        await wait_for(pilot, lambda: shown(table, some_site)[2] == expected)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "f5" in help_text(app)


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
        await loaded(pilot, len(fleet))


async def test_a_site_name_with_markup_characters_is_shown_literally(
    migrated_dsn: str, rows: Rows
) -> None:
    program = rows.program(rows.company("Brackets Inc"), "[b]Program[/b]")
    site = rows.site(program, "Room [red]7[/red]")
    app = make_app(migrated_dsn)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await loaded(pilot, 1)
        assert shown(table, site)[:2] == ["Room [red]7[/red]", "[b]Program[/b]"]


# Column planning (plain functions, no database).

DEMO_LIKE = [
    SiteRow("Harborview Main Warehouse", "Produce Ripening Pilot", "25", "15 min",
            "America/Los_Angeles", "open", "5m ago"),
    SiteRow("Ripening Room A", "Winter Mold Watch", "9", "2 h", "UTC (unset)", "none", "never"),
]  # fmt: skip


def _total(widths: tuple[int, ...]) -> int:
    return sum(w + 2 * CELL_PADDING for w in widths)


def test_wide_terminal_gets_full_labels_and_full_names() -> None:
    layout = plan_layout(118, DEMO_LIKE)
    assert not layout.compact
    assert layout.labels[-1] == "Last snapshot"
    assert fit_row(DEMO_LIKE[0], layout) == DEMO_LIKE[0]
    assert _total(layout.widths) <= 118


def test_narrow_terminal_gets_short_labels_and_only_the_site_name_is_shortened() -> None:
    layout = plan_layout(79, DEMO_LIKE)
    assert layout.compact
    assert _total(layout.widths) <= 79
    assert layout.widths[0] >= SITE_MIN_WIDTH
    row = fit_row(DEMO_LIKE[0], layout)
    assert row.program == "Produce Ripening Pilot"
    assert row.timezone == "Los_Angeles"
    assert cell_len(row.site) <= layout.widths[0]
    assert "…" in row.site


def test_site_column_never_gets_narrower_than_its_minimum() -> None:
    layout = plan_layout(40, DEMO_LIKE)
    assert layout.widths[0] == SITE_MIN_WIDTH


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


def test_site_names_do_not_change_the_layout() -> None:
    longer = DEMO_LIKE[0]._replace(site="A considerably longer name for a storage site")
    assert plan_layout(79, [*DEMO_LIKE, longer]) == plan_layout(79, DEMO_LIKE)
    assert plan_layout(118, [*DEMO_LIKE, longer]) == plan_layout(118, DEMO_LIKE)
