"""The MGI chart renders a series (or the lack of one) at 80×24 and captions it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from textual.app import App, ComposeResult
from textual.geometry import Region

from snapwatch.inspection.chart_data import MgiPoint, MgiSeries
from snapwatch.snapshot.mgi import BANDS
from snapwatch.tui.widgets.mgi_chart import MgiChart, caption, rgb, time_ticks

START = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # midnight in New York
NEW_YORK = ZoneInfo("America/New_York")


def series(velocity: float | None = 0.48) -> MgiSeries:
    values = [0.05, 0.12, 0.2, None, 0.3, 0.3, 0.45]
    freshness = ["current_wake"] * 4 + ["carried_forward"] * 2 + ["current_wake"]
    points = tuple(
        MgiPoint(START + timedelta(hours=3 * i), v, f)
        for i, (v, f) in enumerate(zip(values, freshness, strict=True))
    )
    return MgiSeries(points, "session snapshots", velocity, rejected=1)


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield MgiChart(id="chart")


def screen_text(chart: MgiChart) -> list[str]:
    strips = chart.render_lines(Region(0, 0, *chart.outer_size))
    return ["".join(segment.text for segment in strip) for strip in strips]


def colours(chart: MgiChart) -> set[tuple[int, ...]]:
    strips = chart.render_lines(Region(0, 0, *chart.outer_size))
    return {
        tuple(segment.style.color.get_truecolor())
        for strip in strips
        for segment in strip
        if segment.style is not None and segment.style.color is not None
    }


async def test_a_series_renders_with_band_lines_markers_and_local_times() -> None:
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(MgiChart)
        chart.show(series(), "DEVICE-D1 MGI", NEW_YORK)
        await pilot.pause()
        text = "\n".join(screen_text(chart))
        assert "●" in text and "○" in text  # new data and carried values look different
        assert "0.10" in text and "0.25" in text and "0.40" in text and "1.00" in text
        assert "11-28 00:00" in text and "11-28 05:00" not in text  # New York, not UTC
        assert {rgb(color) for _, _, color in BANDS} <= colours(chart)
        assert chart.border_title == "DEVICE-D1 MGI"
        assert chart.border_subtitle == (
            "velocity +0.480/day · 6 points · 2 carried ○ · 1 outside 0-1 left out"
            " · America/New_York"
        )


async def test_an_empty_series_reads_no_mgi_data() -> None:
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(MgiChart)
        await pilot.pause()
        assert any("no MGI data" in line for line in screen_text(chart))  # before any show
        chart.show(MgiSeries((), "scored images", None), "DEVICE-D2 MGI")
        await pilot.pause()
        assert any("no MGI data" in line for line in screen_text(chart))
        assert chart.border_subtitle == "velocity unknown · 0 points · UTC"


async def test_a_single_point_and_a_tiny_widget_still_render() -> None:
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(MgiChart)
        chart.show(MgiSeries((MgiPoint(START, 0.5, None),), "scored images", None), "one")
        await pilot.pause()
        assert any("●" in line for line in screen_text(chart))
        chart.styles.width, chart.styles.height = 12, 8
        await pilot.pause()
        assert screen_text(chart)


def test_caption_counts_points_with_a_value() -> None:
    assert caption(series(-0.1)).startswith("velocity -0.100/day · 6 points")


def test_time_ticks_fall_on_round_local_times() -> None:
    low = START.timestamp() + 17 * 60
    high = low + 11 * 3600
    ticks = time_ticks(low, high, 5, NEW_YORK)
    assert [datetime.fromtimestamp(t, NEW_YORK).strftime("%H:%M") for t in ticks] == [
        "03:00",
        "06:00",
        "09:00",
    ]
    assert all(low <= t <= high for t in ticks)
    assert time_ticks(low, low + 60, 5, UTC) == [low, low + 60]
