"""One device's MGI over time as a terminal chart.

The y axis is the fixed MGI scale 0–1 (two devices, or two snapshots, compare at a
glance), or, when :attr:`MgiChart.fitted`, the range fitted to the series
(:func:`snapwatch.inspection.scale.fitted_scale`, which keeps the nearby band thresholds
in view); the axis label says which. A horizontal line marks the upper edge of each band
(:data:`snapwatch.snapshot.mgi.BANDS`) within the range, in the band's colour. Points are
coloured by their band: ``●`` for new data, ``○`` for a value carried forward from an
earlier round. The x axis is labelled with dates and times in the site's time zone when
one is given (UTC otherwise). The border title names the chart; the border subtitle gives
the latest velocity per day, the number of points, and any scores left out as outside 0–1.

The drawing is laid out when the widget renders, so it always fits the widget's size.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo

from textual.app import RenderResult
from textual_plotext import PlotextPlot

from snapwatch.inspection.chart_data import MgiPoint, MgiSeries
from snapwatch.inspection.render import signed
from snapwatch.inspection.scale import FIXED, MgiScale, fitted_scale
from snapwatch.snapshot.mgi import BANDS
from snapwatch.tui.bands import score_colour
from snapwatch.tui.plain import literal

NEW_MARKER = "●"
CARRIED_MARKER = "○"
EMPTY_MESSAGE = "no MGI data"
TIME_FORMAT = "%m-%d %H:%M"
TICK_SPACING = 16
"""Cells per x label at least (a label is 11 wide)."""
MAX_TICKS = 6
TICK_STEPS = tuple(60.0 * m for m in (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080))
"""Seconds between x labels: the smallest that keeps them within the width is used."""
DAY = 86400.0
PAD_SECONDS = 3600.0
"""Either side of a series whose points are all at one instant."""

RGB = tuple[int, int, int]


def rgb(color: str) -> RGB:
    """``#10b981`` as ``(16, 185, 129)``, the form plotext takes."""
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def caption(series: MgiSeries, zone: tzinfo = UTC) -> str:
    """``velocity +0.800/day · 12 points · 3 carried ○ · America/New_York``: what the
    chart shows, for its border."""
    velocity = series.velocity_per_day
    parts = [f"velocity {signed(velocity)}/day" if velocity is not None else "velocity unknown"]
    count = len(series.plotted)
    parts.append(f"{count} point" + ("" if count == 1 else "s"))
    carried = sum(p.carried for p in series.plotted)
    if carried:
        parts.append(f"{carried} carried {CARRIED_MARKER}")
    if series.rejected:
        parts.append(f"{series.rejected} outside 0-1 left out")
    parts.append(str(zone))
    return " · ".join(parts)


class MgiChart(PlotextPlot):
    """MGI over time for one device; call :meth:`show` with the series to draw."""

    DEFAULT_CSS = """
    MgiChart {
        border: round $foreground 40%;
        min-height: 8;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._series = MgiSeries((), "session snapshots", None)
        self._zone: tzinfo = UTC
        self.fitted = False
        """The y axis fitted to the series instead of the fixed 0–1."""

    @property
    def series(self) -> MgiSeries:
        return self._series

    def show(self, series: MgiSeries, title: str, zone: tzinfo | None = None) -> None:
        """Draw ``series`` under ``title``, with x labels in ``zone`` (e.g. the site's
        ``ZoneInfo``; UTC when None). Until the first call the chart reads "no MGI data"."""
        self._series = series
        self._zone = zone or UTC
        self.border_title = literal(title)
        self.border_subtitle = literal(caption(series, self._zone))
        self.refresh()

    @property
    def scale(self) -> MgiScale:
        """The y axis in use."""
        return fitted_scale(p.mgi for p in self._series.plotted) if self.fitted else FIXED

    def toggle_scale(self) -> bool:
        """Switch between the fixed 0–1 axis and the fitted one and redraw; whether it
        is fitted now."""
        self.fitted = not self.fitted
        self.refresh()
        return self.fitted

    def render(self) -> RenderResult:
        self._draw(max(1, self.size.width))
        return super().render()

    def _draw(self, width: int) -> None:
        plt = self.plt
        plt.clear_figure()
        scale = self.scale
        plt.ylim(scale.low, scale.high)
        plt.yticks(sorted({scale.low, *scale.thresholds(), scale.high}))
        plt.ylabel(scale.label)
        shown = scale.thresholds()
        for upper, _, color in BANDS:
            if upper in shown:
                plt.horizontal_line(upper, color=rgb(color))
        points = self._series.plotted
        if not points:
            plt.xlim(0, 1)
            plt.xticks([])
            plt.text(EMPTY_MESSAGE, 0.5, (scale.low + scale.high) / 2, alignment="center")
            return
        xs = [p.at.timestamp() for p in points]
        plt.plot(xs, [p.mgi for p in points], marker="braille", color="gray")
        groups: dict[tuple[str, bool], list[MgiPoint]] = {}
        for point in points:
            groups.setdefault((score_colour(point.mgi), point.carried), []).append(point)
        for (colour, carried), members in groups.items():
            plt.scatter(
                [p.at.timestamp() for p in members],
                [p.mgi for p in members],
                marker=CARRIED_MARKER if carried else NEW_MARKER,
                color=rgb(colour),
            )
        low, high = min(xs), max(xs)
        if low == high:
            low, high = low - PAD_SECONDS, high + PAD_SECONDS
        plt.xlim(low, high)
        ticks = time_ticks(low, high, max(2, min(MAX_TICKS, width // TICK_SPACING)), self._zone)
        plt.xticks(ticks, [_time_label(t, self._zone) for t in ticks])


def time_ticks(low: float, high: float, count: int, zone: tzinfo) -> list[float]:
    """At most ``count`` instants (epoch seconds) in ``[low, high]`` on round wall-clock
    times of ``zone`` (every 15 minutes, 6 hours, day...); the two ends when the range is
    too short for two such times."""
    span = high - low
    step = next((s for s in TICK_STEPS if span / s < count), math.ceil(span / count / DAY) * DAY)
    offset = _offset(low, zone)
    first = math.ceil((low + offset) / step) * step - offset
    ticks = [first + i * step for i in range(count) if first + i * step <= high]
    return ticks if len(ticks) >= 2 else [low, high]


def _offset(timestamp: float, zone: tzinfo) -> float:
    offset = datetime.fromtimestamp(timestamp, zone).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def _time_label(timestamp: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(timestamp, zone).strftime(TIME_FORMAT)
