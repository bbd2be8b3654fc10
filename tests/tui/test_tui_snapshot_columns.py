"""The Recent snapshots pane's columns for the width it has: the site's name is shown in
full while other columns can give way, a column is hidden rather than squeezed to
``…``, widths are display cells, and a provisional row never changes the columns."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from support.app import main_of, make_app, make_settings, wait_for
from support.app_notes import ready
from support.app_snapshots import NamedTarget, settled
from support.demo_fleet import AT, seed_and_tick
from support.overview_rows import Rows
from textual.pilot import Pilot

from snapwatch.infra.clock import FixedClock
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.columns import GAP, fit_value, natural_widths, plan_layout
from snapwatch.tui.panes.snapshots import SPECS, SnapshotsTable

DEMO_LIKE: list[tuple[str, ...]] = [
    ("17:47", "Harborview Main Warehouse", "37", "schedule", "24", "0.05", "0.21", "16", ""),
    ("17:47", "Pier 4 Loading Dock", "9", "catch-up", "9", "0.41", "0.62", "2", ""),
    ("17:35", "Ripening Room A", "12", "force", "12", "0.10", "0.30", "0", ""),
]
PROVISIONAL = ("17:50", "Pier 4 Loading Dock", "10", "force", "9", "0.41", "0.62", "2", "prov")
WIDE = ("17:48", "🌾 倉庫 Silo Hall", "5", "schedule", "19", "0.30", "0.50", "1", "")
SITE_SCOPE = [i for i, spec in enumerate(SPECS) if spec.key != "site"]


def shown(
    width: int, rows: Sequence[tuple[str, ...]], columns: list[int] | None = None
) -> dict[str, int]:
    keep = columns if columns is not None else list(range(len(SPECS)))
    specs = [SPECS[i] for i in keep]
    layout = plan_layout(width, specs, [tuple(r[i] for i in keep) for r in rows])
    return {spec.key: w for spec, w in zip(specs, layout.widths, strict=True) if w}


@pytest.mark.parametrize("width", range(36, 80))
def test_the_site_name_is_shown_in_full_and_no_column_is_squeezed(width: int) -> None:
    widths = shown(width, DEMO_LIKE)
    assert widths["site"] == len("Harborview Main Warehouse")
    natural = natural_widths(SPECS, DEMO_LIKE, compact=True, short=True)
    for i, spec in enumerate(SPECS):
        if spec.key in widths and not spec.grow:
            assert widths[spec.key] >= natural[i], spec.key  # its values fit, abbreviated


def test_the_columns_give_way_least_telling_first() -> None:
    assert list(shown(37, DEMO_LIKE)) == ["time", "site", "wake", "prov"]
    assert list(shown(41, DEMO_LIKE)) == ["time", "site", "wake", "devices", "prov"]
    assert list(shown(50, DEMO_LIKE)) == ["time", "site", "wake", "trigger", "avg", "prov"]
    assert len(shown(60, DEMO_LIKE)) == len(SPECS)


@pytest.mark.parametrize("width", range(20, 100))
def test_a_provisional_row_never_changes_the_columns(width: int) -> None:
    for columns in (None, SITE_SCOPE):
        before = shown(width, DEMO_LIKE, columns)
        assert shown(width, [PROVISIONAL, *DEMO_LIKE], columns) == before


def test_widths_are_display_cells_not_characters() -> None:
    widths = shown(60, [WIDE, DEMO_LIKE[2]])  # "Ripening Room A": 15 cells
    name = WIDE[1]
    assert cell_len(name) == len(name) + 3  # three wide characters
    assert widths["site"] == cell_len(name)


def test_values_are_abbreviated_only_when_they_would_not_fit() -> None:
    trigger = next(s for s in SPECS if s.key == "trigger")
    assert fit_value(trigger, "catch-up", 8) == "catch-up"
    assert fit_value(trigger, "catch-up", 6) == "catch"
    assert fit_value(trigger, "force", 5) == "force"
    assert fit_value(trigger, "manual", 5) == "manu…"  # no abbreviation: cut
    site_scope = [SPECS[i] for i in SITE_SCOPE]
    rows = [tuple(r[i] for i in SITE_SCOPE) for r in DEMO_LIKE]
    roomy = plan_layout(40, site_scope, rows)  # short labels, whole values
    assert roomy.compact and roomy.widths[site_scope.index(trigger)] == len("catch-up")
    tight = plan_layout(34, site_scope, rows)  # short values before any column goes
    assert all(tight.widths) and tight.widths[site_scope.index(trigger)] == len("sched")


# -- in the app ------------------------------------------------------------------------


def cli(dsn: str, *args: str) -> None:
    """The command line in a process of its own (the schedulers' clock: the server's)."""
    done = subprocess.run(
        [sys.executable, "-m", "snapwatch", *args, "--dsn", dsn],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == 0, done.stderr


def columns_of(table: SnapshotsTable) -> list[str]:
    return [str(c.key.value) for c in table.ordered_columns]


async def test_a_provisional_row_from_another_process_keeps_the_devices_column(
    migrated_dsn: str, rows: Rows
) -> None:
    now = datetime.now(UTC)
    program = rows.program(rows.company("Live Co"), "Live Watch")
    site = rows.site(program, "North Room", snapshot_cadence_hours=1, timezone="UTC")
    for _ in range(12):
        rows.device(site)
    start = now - timedelta(hours=12, minutes=30)
    rows.session(site, start, start + timedelta(hours=24), "in_progress")
    cli(migrated_dsn, "run-once")  # the twelve slots owed: wakes of two digits
    app = make_app(migrated_dsn, clock=FixedClock(now), listen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, count=1)
        main = main_of(pilot)
        pane = main.snapshots_pane
        await wait_for(pilot, lambda: pane.table.row_count == 12 and "North Room" in title(pilot))
        before = columns_of(pane.table)
        assert "devices" in before and "site" not in before  # one site's snapshots
        await asyncio.to_thread(cli, migrated_dsn, "force", "--site", "North Room")
        await wait_for(pilot, lambda: pane.table.row_count == 13, timeout=5)
        table = pane.table
        assert columns_of(table) == before
        assert "Dev" in [c.label.plain.strip() for c in table.ordered_columns]
        newest = dict(zip(columns_of(table), table.shown_text(table.row_keys[0]), strict=True))
        assert newest["prov"].strip() in {"P", "prov"} and newest["devices"] == "12"
        for key in table.row_keys:
            assert "…" not in "".join(table.shown_text(key))


def title(pilot: Pilot[Any]) -> str:
    return str(main_of(pilot).snapshots_pane.border_title)


async def test_every_site_name_of_the_demo_shows_in_full_at_120x40(
    migrated_dsn: str, isolated_env: Path, tmp_path: Path
) -> None:
    await seed_and_tick(migrated_dsn)
    app = SnapwatchApp(
        NamedTarget(dsn=migrated_dsn),
        make_settings(migrated_dsn),
        FixedClock(AT),
        "snapwatch demo",
        scheduler=False,
        listen=False,
        log_path=tmp_path / "snapwatch.log",
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        main = main_of(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: "all sites" in title(pilot))
        table = main.snapshots_pane.table
        await wait_for(pilot, lambda: "site" in columns_of(table))
        names = {s.site_name for s in main.snapshots_pane.snapshots.values()}
        assert len(names) > 3
        site = columns_of(table).index("site")
        for key in table.row_keys:
            cells = table.shown_text(key)
            snap = main.snapshots_pane.snapshots[key]
            assert cells[site].strip() == snap.site_name
            assert all(cell.strip() != "…" for cell in cells)
        layout = table.layout_plan
        assert layout is not None
        assert sum(w + GAP for w in layout.widths if w) <= table.size.width
