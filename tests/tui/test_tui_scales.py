"""The MGI scale key (``g``) with Pilot on a real database: the Devices pane's sparklines
and the inspection chart switch between the fixed 0–1 scale and the range fitted to the
data, and say which is in use (pane title, chart axis)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from support.app import main_of, wait_for
from support.low_fleet import app_on, low_fleet, on_site, open_inspection
from support.overview_rows import Rows
from textual.geometry import Region
from textual.pilot import Pilot

from snapwatch.infra.config import Settings
from snapwatch.tui.screens.inspect.chart import ChartScreen
from snapwatch.tui.widgets.mgi_chart import MgiChart


def sparkline_of(pilot: Pilot[Any], key: str) -> str:
    return main_of(pilot).devices_pane.table.shown_text(key)[-1].strip()


def title_of(pilot: Pilot[Any]) -> str:
    return str(main_of(pilot).devices_pane.border_title)


async def test_g_fits_the_sparklines_to_the_site_and_the_title_says_so(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[Any], cfg: Settings, tmp_path: Path
) -> None:
    fleet = await low_fleet(rows, conn, cfg)
    l1 = str(fleet.devices["L-1"])
    app = app_on(migrated_dsn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_site(pilot, fleet.site)
        assert title_of(pilot).endswith("2 devices · MGI 0–1")
        assert sparkline_of(pilot, l1) == "▁▁▂▂"  # 0.02 → 0.20 on 0–1: two levels of eight

        await pilot.press("g")
        await wait_for(pilot, lambda: title_of(pilot).endswith("MGI 0.02–0.25 fitted"))
        assert sparkline_of(pilot, l1) == "▁▃▅▇"  # up to the 0.25 threshold above the data

        await pilot.press("g")
        await wait_for(pilot, lambda: title_of(pilot).endswith("MGI 0–1"))
        assert sparkline_of(pilot, l1) == "▁▁▂▂"


def chart_text(chart: MgiChart) -> str:
    strips = chart.render_lines(Region(0, 0, *chart.outer_size))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def test_g_on_the_chart_fits_its_axis_and_labels_it(
    migrated_dsn: str, rows: Rows, conn: AsyncConnection[Any], cfg: Settings, tmp_path: Path
) -> None:
    fleet = await low_fleet(rows, conn, cfg)
    app = app_on(migrated_dsn, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_inspection(pilot, fleet.site)
        await pilot.press("down")  # L-1 (the devices are in code order)
        await wait_for(pilot, lambda: screen.selected == str(fleet.devices["L-1"]))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartScreen))
        chart = app.screen.query_one(MgiChart)
        await wait_for(pilot, lambda: len(chart.series.plotted) == 4)
        await pilot.pause()
        fixed = chart_text(chart)
        assert "MGI 0–1" in fixed and "1.00" in fixed and "0.40" in fixed

        await pilot.press("g")
        await wait_for(pilot, lambda: "MGI 0.02–0.25 fitted" in chart_text(chart))
        fitted = chart_text(chart)
        assert "0.02" in fitted and "0.10" in fitted and "0.25" in fitted  # ends, threshold
        assert "1.00" not in fitted and "0.40" not in fitted

        await pilot.press("g")
        await wait_for(pilot, lambda: "MGI 0–1" in chart_text(chart))
