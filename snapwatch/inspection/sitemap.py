"""The site map as a character grid: the site outline, zones and devices by MGI band.

One rule for every map of a snapshot (the command line's plain text and the terminal
app's coloured widget): :func:`draw_map` fits the site into ``columns × rows`` character
cells and says, for every cell, what it shows and why (its
:class:`~snapwatch.inspection.sitemap_cells.Role`, band and the devices in it); the callers
only choose characters' colours. How feet become cells is
:mod:`snapwatch.inspection.sitemap_grid`'s; what the cells are,
:mod:`snapwatch.inspection.sitemap_cells`'.
"""

from __future__ import annotations

from collections.abc import Sequence

from snapwatch.inspection.sitemap_cells import (
    AXES,
    BAND_MARKS,
    CROWD_MARK,
    DEVICE_ZONE_MARK,
    NO_BAND_MARK,
    SITE_ZONE_MARKS,
    Cell,
    ExtentSource,
    LegendEntry,
    Role,
    SiteMap,
    device_band,
    device_mark,
)
from snapwatch.inspection.sitemap_grid import Grid, interior_size, map_extent, zone_cells
from snapwatch.inspection.view import BAND_ORDER, NO_BAND, DeviceView, SnapshotView

NO_DEVICES = "no placed devices"
NO_ROOM = "no room for a map"


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
    extent = map_extent(view, placed)
    if extent is None:
        return _nothing(None, unplaced, NO_DEVICES)
    if columns < 3 or rows < 3:
        return _nothing(extent, unplaced, NO_ROOM)
    length, width, source = extent
    grid = Grid(length, width, *interior_size(length, width, columns - 2, rows - 2))
    for zone in view.zones:
        role = Role.DEVICE_ZONE if zone.source == "device" else Role.SITE_ZONE
        if role is Role.DEVICE_ZONE and not device_zones and zone.device_id != selected:
            continue
        for column, row, char in zone_cells(grid, zone, role):
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
