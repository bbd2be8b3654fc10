"""The site map as a character grid: the site outline, zones and devices by MGI band.

One rule for every map of a snapshot (the command line's plain text and the terminal
app's coloured widget): :func:`draw_map` fits the site into ``columns × rows`` character
cells and says, for every cell, what it shows and why (its :class:`Role`, band and the
devices in it); the callers only choose characters' colours.

Geometry: x runs left to right along the site's length, y top to bottom along its
width, origin at the top-left corner, in feet. A terminal cell is about twice as tall as
wide, so one row spans twice the feet of one column. The outer ring of the grid is the
site's border; the cells inside it cover the site, each a half-open range of feet (the
last column and row also hold the far edge), and a device is drawn in the cell holding
its position. A site without dimensions is drawn to the extent of its devices and zones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from snapwatch.inspection.view import BAND_ORDER, DeviceView, SnapshotView, ZoneView

ExtentSource = Literal["dimensions", "devices"]

BAND_MARKS = {"low": "L", "moderate": "M", "elevated": "E", "high": "H"}
NO_BAND = "unknown"
NO_BAND_MARK = "?"
"""Stale or no MGI (or a band the map does not know): never a band letter or colour."""
CROWD_MARK = "+"
"""Ten devices or more in one cell; two to nine show their number."""
DEVICE_ZONE_MARK = "·"
SITE_ZONE_MARKS = {"horizontal": "╌", "vertical": "╎", "corner": "+"}
BORDER_MARKS = {"horizontal": "─", "vertical": "│", "tl": "┌", "tr": "┐", "bl": "└", "br": "┘"}
MARGIN_SHARE = 0.05
"""Room added beyond the farthest device or zone when the site has no dimensions."""
MIN_MARGIN_FEET = 1.0
NO_DEVICES = "no placed devices"
NO_ROOM = "no room for a map"


class Role(StrEnum):
    """What a cell shows. Where several meet, the border wins, then devices, then site
    zones, then device zones (:data:`PRECEDENCE`)."""

    BORDER = "border"
    DEVICE = "device"
    SITE_ZONE = "site_zone"
    DEVICE_ZONE = "device_zone"
    EMPTY = "empty"


PRECEDENCE = {Role.BORDER: 4, Role.DEVICE: 3, Role.SITE_ZONE: 2, Role.DEVICE_ZONE: 1, Role.EMPTY: 0}


@dataclass(frozen=True, slots=True)
class Cell:
    char: str
    role: Role = Role.EMPTY
    band: str | None = None
    """For a device cell: the highest band among its devices (``unknown`` if none has one)."""
    keys: tuple[str, ...] = ()
    """For a device cell: the :attr:`DeviceView.key` of every device in it, document order."""
    selected: bool = False
    """The selected device is in this cell."""

    @property
    def count(self) -> int:
        return len(self.keys)


EMPTY_CELL = Cell(" ")


@dataclass(frozen=True, slots=True)
class LegendEntry:
    mark: str
    role: Role
    meaning: str
    band: str | None = None
    selected: bool = False


AXES = LegendEntry("x→ y↓", Role.EMPTY, "origin top-left")
"""Always the last legend entry: which way the axes run."""


@dataclass(frozen=True)
class SiteMap:
    columns: int
    """Width of the grid in cells, border included (at most the space given)."""
    rows: int
    cells: tuple[tuple[Cell, ...], ...]
    """``cells[row][column]``; empty when there is nothing to draw."""
    length: float | None
    """Feet drawn along x (the site's length, or the devices' extent with a margin)."""
    width: float | None
    extent_source: ExtentSource | None
    placed: dict[str, tuple[int, int]]
    """Device key → ``(column, row)`` of its cell, for every device with a position."""
    outside: tuple[DeviceView, ...]
    """Placed devices whose position lies outside the site, drawn in the nearest edge cell."""
    unplaced: tuple[DeviceView, ...]
    """Devices without a position, in document order."""
    legend: tuple[LegendEntry, ...]
    """What the grid shows, in a fixed order, ending with :data:`AXES`."""
    note: str | None = None
    """Why the map is empty or misses its devices (``no placed devices``, ``no room ...``)."""

    def cell(self, column: int, row: int) -> Cell:
        return self.cells[row][column]

    def lines(self) -> list[str]:
        return ["".join(c.char for c in row) for row in self.cells]


def device_band(device: DeviceView) -> str:
    """The band a device is drawn with: ``unknown`` when stale, without data or odd."""
    if device.without_data or device.band not in BAND_ORDER:
        return NO_BAND
    return device.band


def device_mark(device: DeviceView) -> str:
    return BAND_MARKS.get(device_band(device), NO_BAND_MARK)


def draw_map(
    view: SnapshotView,
    columns: int,
    rows: int,
    selected: str | None = None,
    *,
    device_zones: bool = True,
) -> SiteMap:
    """The largest map of ``view`` that fits ``columns × rows`` cells, border included,
    keeping the site's proportions; ``selected`` is a device key to highlight. Without
    ``device_zones`` only the selected device's own circle is drawn (a fleet's circles
    overlap into a fog)."""
    placed = [d for d in view.devices if d.position is not None]
    unplaced = tuple(d for d in view.devices if d.position is None)
    note = None if placed else NO_DEVICES
    extent = _extent(view, placed)
    if extent is None:
        return _nothing(None, unplaced, NO_DEVICES)
    if columns < 3 or rows < 3:
        return _nothing(extent, unplaced, NO_ROOM)
    length, width, source = extent
    grid = _Grid(length, width, *_interior(length, width, columns - 2, rows - 2))
    for zone in view.zones:
        role = Role.DEVICE_ZONE if zone.source == "device" else Role.SITE_ZONE
        if role is Role.DEVICE_ZONE and not device_zones and zone.device_id != selected:
            continue
        for column, row, char in _zone_cells(grid, zone, role):
            grid.put(column, row, Cell(char, role))
    where: dict[str, tuple[int, int]] = {}
    outside = []
    crowds: dict[tuple[int, int], list[DeviceView]] = {}
    for device in placed:
        assert device.position is not None
        x, y = device.position
        if not (0 <= x <= length and 0 <= y <= width):
            outside.append(device)
        spot = (grid.column(x) + 1, grid.row(y) + 1)
        where[device.key] = spot
        crowds.setdefault(spot, []).append(device)
    for (column, row), devices in crowds.items():
        grid.put(column, row, _device_cell(devices, selected))
    grid.border()
    cells = tuple(tuple(r) for r in grid.cells)
    return SiteMap(
        columns=grid.columns + 2,
        rows=grid.rows + 2,
        cells=cells,
        length=length,
        width=width,
        extent_source=source,
        placed=where,
        outside=tuple(outside),
        unplaced=unplaced,
        legend=_legend(cells),
        note=note,
    )


def _nothing(
    extent: tuple[float, float, ExtentSource] | None, unplaced: tuple[DeviceView, ...], note: str
) -> SiteMap:
    """A map without a grid, saying why (``note``)."""
    length, width, source = extent or (None, None, None)
    return SiteMap(
        columns=0,
        rows=0,
        cells=(),
        length=length,
        width=width,
        extent_source=source,
        placed={},
        outside=(),
        unplaced=unplaced,
        legend=(),
        note=note,
    )


def extent_text(site_map: SiteMap) -> str:
    """``60 × 40 ft``, or what a map without site dimensions was drawn to."""
    if site_map.length is None or site_map.width is None:
        return "site size unknown"
    size = f"{site_map.length:g} × {site_map.width:g} ft"
    if site_map.extent_source == "dimensions":
        return size
    return f"site size unknown, devices span {size} (with margin)"


def legend_rows(legend: Sequence[LegendEntry], width: int) -> list[tuple[LegendEntry, ...]]:
    """Entries packed into lines of at most ``width`` characters (``mark meaning``, two
    spaces apart); an entry never breaks across lines."""
    rows: list[tuple[LegendEntry, ...]] = []
    line: list[LegendEntry] = []
    used = 0
    for entry in legend:
        size = len(entry.mark) + 1 + len(entry.meaning)
        if line and used + 2 + size > width:
            rows.append(tuple(line))
            line, used = [], 0
        used += size + (2 if line else 0)
        line.append(entry)
    if line:
        rows.append(tuple(line))
    return rows


# --- geometry --------------------------------------------------------------------------


def _extent(
    view: SnapshotView, placed: Sequence[DeviceView]
) -> tuple[float, float, ExtentSource] | None:
    """The feet to draw: the site's dimensions, else 0 to the farthest device or zone
    plus a margin; ``None`` when there is nothing to size a map by."""
    if view.length and view.width and view.length > 0 and view.width > 0:
        return view.length, view.width, "dimensions"
    points = [d.position for d in placed if d.position is not None]
    points += [p for z in view.zones for p in _zone_corners(z)]
    if not points:
        return None
    far_x = max(0.0, *(x for x, _ in points))
    far_y = max(0.0, *(y for _, y in points))
    margin = max(MIN_MARGIN_FEET, MARGIN_SHARE * max(far_x, far_y))
    return float(math.ceil(far_x + margin)), float(math.ceil(far_y + margin)), "devices"


def _zone_corners(zone: ZoneView) -> Iterator[tuple[float, float]]:
    if zone.bounds is not None:
        yield zone.bounds[2], zone.bounds[3]
    if zone.center is not None and zone.radius is not None and zone.radius > 0:
        yield zone.center[0] + zone.radius, zone.center[1] + zone.radius


def _interior(length: float, width: float, columns: int, rows: int) -> tuple[int, int]:
    """The most cells inside the border keeping the proportions: one row spans twice the
    feet of one column, so ``rows / columns ≈ width / (2 × length)``."""
    down = max(1, round(width * columns / (2 * length)))
    if down <= rows:
        return columns, down
    return max(1, min(columns, round(2 * length * rows / width))), rows


class _Grid:
    """Cells being drawn: the site's cells plus the border ring, each kept only when it
    ranks at least as high as what is already there."""

    def __init__(self, length: float, width: float, columns: int, rows: int) -> None:
        self.length, self.width = length, width
        self.columns, self.rows = columns, rows
        self.cells = [[EMPTY_CELL] * (columns + 2) for _ in range(rows + 2)]

    def column(self, x: float) -> int:
        """The site cell (0-based, inside the border) holding ``x``, clamped to the edge."""
        return min(self.columns - 1, max(0, math.floor(x / self.length * self.columns)))

    def row(self, y: float) -> int:
        return min(self.rows - 1, max(0, math.floor(y / self.width * self.rows)))

    def put(self, column: int, row: int, cell: Cell) -> None:
        if PRECEDENCE[cell.role] >= PRECEDENCE[self.cells[row][column].role]:
            self.cells[row][column] = cell

    def border(self) -> None:
        right, bottom = self.columns + 1, self.rows + 1
        marks = BORDER_MARKS
        for column in range(1, right):
            self.put(column, 0, Cell(marks["horizontal"], Role.BORDER))
            self.put(column, bottom, Cell(marks["horizontal"], Role.BORDER))
        for row in range(1, bottom):
            self.put(0, row, Cell(marks["vertical"], Role.BORDER))
            self.put(right, row, Cell(marks["vertical"], Role.BORDER))
        for column, row, name in ((0, 0, "tl"), (right, 0, "tr"), (0, bottom, "bl")):
            self.put(column, row, Cell(marks[name], Role.BORDER))
        self.put(right, bottom, Cell(marks["br"], Role.BORDER))


def _zone_cells(grid: _Grid, zone: ZoneView, role: Role) -> Iterable[tuple[int, int, str]]:
    """Grid cells (border-offset) of a zone's outline inside the site: a device zone's
    circle (its bounds when it has none), a site zone's rectangle."""
    circle = zone.center is not None and zone.radius is not None and zone.radius > 0
    if circle and (role is Role.DEVICE_ZONE or zone.bounds is None):
        assert zone.center is not None and zone.radius is not None
        mark = DEVICE_ZONE_MARK if role is Role.DEVICE_ZONE else SITE_ZONE_MARKS["corner"]
        return ((c + 1, r + 1, mark) for c, r in _circle(grid, zone.center, zone.radius))
    if zone.bounds is None:
        return ()
    return (
        (c + 1, r + 1, DEVICE_ZONE_MARK if role is Role.DEVICE_ZONE else SITE_ZONE_MARKS[kind])
        for c, r, kind in _rectangle(grid, zone.bounds)
    )


def _circle(grid: _Grid, center: tuple[float, float], radius: float) -> Iterator[tuple[int, int]]:
    """Site cells the circle's edge passes through: the cell's nearest point is inside
    the circle and its farthest corner outside (a cell it only touches is left out).
    Measured in feet, so the circle keeps its shape on the taller-than-wide cells."""
    cx, cy = center
    dx, dy = grid.length / grid.columns, grid.width / grid.rows
    square = radius * radius
    columns = [
        (column, *_spread(column * dx, (column + 1) * dx, cx))
        for column in range(grid.column(cx - radius), grid.column(cx + radius) + 1)
    ]
    for row in range(grid.row(cy - radius), grid.row(cy + radius) + 1):
        near_y, far_y = _spread(row * dy, (row + 1) * dy, cy)
        for column, near_x, far_x in columns:
            if near_x + near_y < square < far_x + far_y:
                yield column, row


def _spread(start: float, end: float, at: float) -> tuple[float, float]:
    """Squared distances from ``at`` to the nearest and the farthest point of
    ``[start, end]``."""
    near = max(start - at, 0.0, at - end)
    far = max(abs(start - at), abs(end - at))
    return near * near, far * far


def _rectangle(
    grid: _Grid, bounds: tuple[float, float, float, float]
) -> Iterator[tuple[int, int, str]]:
    """Site cells on the rectangle's edges, each with its kind (``horizontal``,
    ``vertical``, ``corner``); only the edges that lie inside the site are drawn."""
    x1, y1, x2, y2 = bounds
    if x2 < 0 or y2 < 0 or x1 > grid.length or y1 > grid.width:
        return
    left, right = grid.column(x1), grid.column(x2)
    top, bottom = grid.row(y1), grid.row(y2)
    columns = {left} if x1 >= 0 else set()
    columns |= {right} if x2 <= grid.length else set()
    rows = {top} if y1 >= 0 else set()
    rows |= {bottom} if y2 <= grid.width else set()
    for row in range(top, bottom + 1):
        for column in range(left, right + 1):
            on_row, on_column = row in rows, column in columns
            if on_row and on_column:
                yield column, row, "corner"
            elif on_row:
                yield column, row, "horizontal"
            elif on_column:
                yield column, row, "vertical"


# --- devices and legend ----------------------------------------------------------------


def _device_cell(devices: Sequence[DeviceView], selected: str | None) -> Cell:
    """One device shows its band's mark; several show their number (``+`` from ten)
    with the highest band among them."""
    bands = [device_band(d) for d in devices]
    top = max(bands, key=lambda b: BAND_ORDER.get(b, -1))
    if len(devices) == 1:
        char = device_mark(devices[0])
    else:
        char = str(len(devices)) if len(devices) < 10 else CROWD_MARK
    keys = tuple(d.key for d in devices)
    return Cell(char, Role.DEVICE, top, keys, selected is not None and selected in keys)


def _legend(cells: Sequence[Sequence[Cell]]) -> tuple[LegendEntry, ...]:
    shown = [c for row in cells for c in row]
    singles = {c.band for c in shown if c.role is Role.DEVICE and c.count == 1}
    counts = {c.count for c in shown if c.role is Role.DEVICE}
    roles = {c.role for c in shown}
    entries = [LegendEntry(BAND_MARKS[b], Role.DEVICE, b, b) for b in BAND_MARKS if b in singles]
    if NO_BAND in singles:
        entries.append(LegendEntry(NO_BAND_MARK, Role.DEVICE, "stale or no MGI", NO_BAND))
    if any(1 < n < 10 for n in counts):
        entries.append(LegendEntry("2-9", Role.DEVICE, "devices in one cell"))
    if any(n >= 10 for n in counts):
        entries.append(LegendEntry(CROWD_MARK, Role.DEVICE, "10 or more in one cell"))
    if any(c.selected for c in shown):
        selected = next(c for c in shown if c.selected)
        entries.append(LegendEntry(selected.char, Role.DEVICE, "selected", selected.band, True))
    if Role.SITE_ZONE in roles:
        marks = SITE_ZONE_MARKS["horizontal"] + SITE_ZONE_MARKS["vertical"]
        entries.append(LegendEntry(marks, Role.SITE_ZONE, "site zone"))
    if Role.DEVICE_ZONE in roles:
        entries.append(LegendEntry(DEVICE_ZONE_MARK, Role.DEVICE_ZONE, "device zone"))
    return (*entries, AXES)
