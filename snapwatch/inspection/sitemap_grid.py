"""Fitting a site into character cells: the feet a map spans, the grid and the zones' outlines.

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

from snapwatch.inspection.sitemap_cells import (
    BORDER_MARKS,
    DEVICE_ZONE_MARK,
    EMPTY_CELL,
    PRECEDENCE,
    SITE_ZONE_MARKS,
    Cell,
    ExtentSource,
    Role,
)
from snapwatch.inspection.view import DeviceView, SnapshotView, ZoneView

MARGIN_SHARE = 0.05
"""Room added beyond the farthest device or zone when the site has no dimensions."""
MIN_MARGIN_FEET = 1.0


def map_extent(
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


def interior_size(length: float, width: float, columns: int, rows: int) -> tuple[int, int]:
    """The most cells inside the border keeping the proportions: one row spans twice the
    feet of one column, so ``rows / columns ≈ width / (2 × length)``."""
    down = max(1, round(width * columns / (2 * length)))
    if down <= rows:
        return columns, down
    return max(1, min(columns, round(2 * length * rows / width))), rows


class Grid:
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


def zone_cells(grid: Grid, zone: ZoneView, role: Role) -> Iterable[tuple[int, int, str]]:
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


def _circle(grid: Grid, center: tuple[float, float], radius: float) -> Iterator[tuple[int, int]]:
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
    grid: Grid, bounds: tuple[float, float, float, float]
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
