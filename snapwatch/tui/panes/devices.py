"""The Devices pane: the selected site's devices as its latest snapshot shows them.

Code, position, current MGI coloured by band, velocity per day, freshness, and a
sparkline of MGI over the site's recent snapshots (:func:`snapwatch.readmodels.devices.sparkline`):
on the fixed 0–1 scale by default, so a flat 0.2 and a flat 0.8 differ, or on one range
fitted to all of the site's devices (:meth:`SiteDevices.fitted_scale`) when toggled. The
title says which scale is in use.
"""

from __future__ import annotations

from textual.app import ComposeResult

from snapwatch.inspection.render import freshness_text, position_text, signed
from snapwatch.inspection.scale import FIXED, MgiScale
from snapwatch.inspection.view import shown_band
from snapwatch.readmodels.devices import DeviceRow, SiteDevices, sparkline
from snapwatch.tui.bands import band_colour
from snapwatch.tui.columns import ColumnSpec
from snapwatch.tui.panes.pane import Pane
from snapwatch.tui.panes.table import Cell, KeyedTable, Row

SPARK_MIN = 8

SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("device", "Device", min_width=8, max_width=24, shrink_rank=9, middle=True),
    ColumnSpec("position", "Position", "Pos", shrink_rank=3, min_width=5),
    ColumnSpec("mgi", "MGI", right=True, stable_width=4, shrink_rank=8),
    ColumnSpec("velocity", "Vel/day", "Vel", right=True, stable_width=6, shrink_rank=5),
    ColumnSpec("fresh", "Freshness", "Fresh", stable_width=7, shrink_rank=4),
    ColumnSpec(
        "spark",
        "MGI history",
        "MGI",
        min_width=SPARK_MIN,
        shrink_rank=2,
        grow=True,
        tail=True,
    ),
)

FRESH_STYLES = {"current_wake": "", "carried_forward": "yellow", "stale": "red", "no_data": "dim"}


def device_row(device: DeviceRow, points: int, scale: MgiScale = FIXED) -> Row:
    """One device; its MGI and history in its band's colour, grey without current data
    (as the map shows it)."""
    mgi = device.mgi
    colour = band_colour(shown_band(device.band, mgi, device.mgi_freshness))
    return (
        Cell(device.label),
        Cell(position_text(device.position), "dim" if device.position is None else ""),
        Cell("—" if mgi is None else f"{mgi:.2f}", colour),
        Cell(signed(device.velocity_per_day)),
        Cell(
            freshness_text(device.mgi_freshness, device.mgi_age_hours),
            FRESH_STYLES.get(device.mgi_freshness or "", ""),
        ),
        Cell(sparkline(device.series, points, scale), colour),
    )


def device_key(device: DeviceRow, index: int) -> str:
    return device.device_id or device.code or f"#{index}"


class DevicesTable(KeyedTable):
    SPECS = SPECS

    def __init__(self) -> None:
        super().__init__(id="devices", fixed_columns=1)


class DevicesPane(Pane):
    def __init__(self, points: int) -> None:
        super().__init__("devices", "Devices")
        self.table = DevicesTable()
        self.points = points
        self.data: SiteDevices | None = None
        self.site_name: str | None = None
        self.fitted = False
        """Sparklines on the range fitted to the site's data, not the fixed 0–1."""

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        self.set_title("no site selected")

    def show(self, data: SiteDevices | None, site_name: str | None) -> None:
        self.data = data
        self.site_name = site_name
        if data is None:
            self.table.show_rows({})
            self.set_title("no site selected")
            return
        scale = self.scale
        rows = {
            device_key(d, i): device_row(d, self.points, scale) for i, d in enumerate(data.devices)
        }
        self.table.show_rows(rows)
        where = site_name or str(data.site_id)
        if data.snapshot_id is None:
            self.set_title(where, "no snapshot yet")
        else:
            self.set_title(where, f"wake {data.wake_number}", f"{len(rows)} devices", scale.label)

    @property
    def scale(self) -> MgiScale:
        """The sparklines' scale in use."""
        if self.fitted and self.data is not None:
            return self.data.fitted_scale()
        return FIXED

    def toggle_scale(self) -> bool:
        """Switch between the fixed 0–1 scale and the fitted range and redraw; whether
        it is fitted now."""
        self.fitted = not self.fitted
        self.show(self.data, self.site_name)
        return self.fitted

    @property
    def selected(self) -> DeviceRow | None:
        """The highlighted device."""
        key = self.table.cursor_key
        if key is None or self.data is None:
            return None
        return next((d for i, d in enumerate(self.data.devices) if device_key(d, i) == key), None)
