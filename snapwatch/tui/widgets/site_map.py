"""The site map of one snapshot, coloured: devices in their MGI band's colour.

The grid comes from :func:`snapwatch.inspection.sitemap.draw_map` (the same rule as the
command line's map), drawn for the widget's current size: the map, and its legend,
caption and the devices without a position in a column beside it or under it, whichever
leaves the bigger map. Nothing is read here: :meth:`SiteMapView.show` hands over the snapshot.
Device codes are literal text with control characters shown escaped
(:func:`snapwatch.text.inert.printable`), measured as shown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from snapwatch.inspection.sitemap import draw_map, extent_text, legend_rows
from snapwatch.inspection.sitemap_cells import Cell, Role, SiteMap, device_band, device_mark
from snapwatch.inspection.view import DeviceView, SnapshotView
from snapwatch.text.inert import printable
from snapwatch.tui.bands import band_colour

ZONE_STYLES = {
    Role.SITE_ZONE: Style(color="#60a5fa", dim=True),
    Role.DEVICE_ZONE: Style(dim=True),
}
CAPTION = Style(dim=True)
GAP = 2
"""Spaces between the map and the list beside it."""
SIDE_MAX = 22
"""Width of the column beside the map (legend, caption, unplaced devices)."""
MAP_MIN = 16
"""Narrowest map worth keeping the column beside it; below, it all goes under the map."""
FITS = 3
"""Times the map is redrawn smaller for the lines under it to fit the height."""

Segment = tuple[str, Style | None]
Line = list[Segment]


def device_colour(device: DeviceView) -> str:
    """The colour a device is shown in, on the map and in the tables: its stored band's,
    grey when stale or without data."""
    return band_colour(device_band(device))


def style_for(role: Role, band: str | None = None, selected: bool = False) -> Style | None:
    """A cell's look: band colour for devices (grey when stale or without data), zones
    dim, the selected device reversed."""
    if role is Role.DEVICE:
        return Style(color=band_colour(band), bold=True, reverse=selected)
    return ZONE_STYLES.get(role)


class SiteMapView(Widget):
    """The map of the snapshot given to :meth:`show`, redrawn at every size."""

    DEFAULT_CSS = """
    SiteMapView { height: 1fr; width: 1fr; }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._view: SnapshotView | None = None
        self._selected: str | None = None
        self.device_zones = False
        """Every device's circle, or only the selected device's."""
        self.grid: SiteMap | None = None
        """The grid last drawn (``None`` before a snapshot is shown)."""

    def show(self, view: SnapshotView, selected: str | None = None) -> None:
        self._view, self._selected = view, selected
        self.refresh()

    def toggle_device_zones(self) -> bool:
        self.device_zones = not self.device_zones
        self.refresh()
        return self.device_zones

    def render(self) -> Text:
        if self._view is None:
            self.grid = None
            return Text()
        size = self.content_size
        self.grid, lines = layout(
            self._view, self._selected, size.width, size.height, self.device_zones
        )
        text = Text(no_wrap=True, overflow="crop", end="")
        for i, line in enumerate(lines):
            if i:
                text.append("\n")
            for chunk, style in line:
                text.append(chunk, style)
        return text


def layout(
    view: SnapshotView, selected: str | None, width: int, height: int, device_zones: bool = True
) -> tuple[SiteMap, list[Line]]:
    """The grid for ``width × height`` cells and the lines showing it: the map with its
    legend, caption and unplaced devices in a column beside it, or under it, whichever
    leaves the bigger map (beside when equal)."""
    sides = [0]
    if width - SIDE_MAX - GAP >= MAP_MIN:
        sides.insert(0, SIDE_MAX)
    drawn = [
        _arranged(view, selected, width, height, side=side, device_zones=device_zones)
        for side in sides
    ]
    return max(drawn, key=lambda found: found[0].columns * found[0].rows)


def _arranged(
    view: SnapshotView,
    selected: str | None,
    width: int,
    height: int,
    *,
    side: int,
    device_zones: bool,
) -> tuple[SiteMap, list[Line]]:
    """With ``side``: the map at full height and a column ``side`` wide beside it with
    the legend, the caption and the unplaced devices. Without: the map redrawn smaller
    until the lines under it fit the height."""
    if side:
        left = width - side - GAP
        site_map = draw_map(view, left, height, selected, device_zones=device_zones)
        column = _legend(site_map, side) + _caption(site_map, side)
        if site_map.unplaced:
            room = max(2, height - len(column))
            column += _unplaced_beside(site_map.unplaced, selected, side, room)
        lines = _beside([_cells(row) for row in site_map.cells], column[:height], left)
        return site_map, lines[:height]
    below = 0
    for _ in range(FITS):
        site_map = draw_map(
            view, width, max(0, height - below), selected, device_zones=device_zones
        )
        under = _legend(site_map, width) + _caption(site_map, width)
        under += _unplaced_under(site_map.unplaced, selected, width)
        if site_map.rows + len(under) <= height:
            break
        below = len(under)
    lines = [_cells(row) for row in site_map.cells] + under
    return site_map, lines[:height]


def _cells(row: Sequence[Cell]) -> Line:
    """A grid row as runs of one style."""
    line: Line = []
    for cell in row:
        style = style_for(cell.role, cell.band, cell.selected)
        if line and line[-1][1] == style:
            line[-1] = (line[-1][0] + cell.char, style)
        else:
            line.append((cell.char, style))
    return line


def _legend(site_map: SiteMap, width: int) -> list[Line]:
    lines: list[Line] = []
    for row in legend_rows(site_map.legend, width):
        line: Line = []
        for entry in row:
            if line:
                line.append(("  ", None))
            line += [(entry.mark, style_for(entry.role, entry.band, entry.selected))]
            line.append((f" {entry.meaning}", CAPTION))
        lines.append(line)
    return lines


def _caption(site_map: SiteMap, width: int) -> list[Line]:
    """The drawn extent, why the map is empty, and the devices drawn at the edge."""
    words = [extent_text(site_map)] if site_map.cells else []
    if site_map.note:
        words.append(site_map.note)
    if site_map.outside:
        codes = ", ".join(printable(d.code) for d in site_map.outside)
        words.append(f"outside, drawn at the edge: {codes}")
    return [[(w, CAPTION)] for w in textwrap.wrap("; ".join(words), max(1, width))]


def _heading(unplaced: Sequence[DeviceView]) -> str:
    return f"unplaced ({len(unplaced)})"


def _mark(device: DeviceView, selected: str | None) -> Segment:
    return device_mark(device), style_for(Role.DEVICE, device_band(device), device.key == selected)


def _unplaced_beside(
    unplaced: Sequence[DeviceView], selected: str | None, width: int, height: int
) -> list[Line]:
    """A column: heading, then one device a line, the last line counting the rest."""
    room = max(0, width - 2)
    lines: list[Line] = [[(_heading(unplaced), CAPTION)]]
    shown = unplaced if len(unplaced) < height else unplaced[: max(0, height - 2)]
    lines += [[_mark(d, selected), (" " + printable(d.code)[:room], None)] for d in shown]
    if len(shown) < len(unplaced):
        lines.append([(f"… {len(unplaced) - len(shown)} more", CAPTION)])
    return lines


def _unplaced_under(unplaced: Sequence[DeviceView], selected: str | None, width: int) -> list[Line]:
    """``unplaced: ? A  M B``, wrapped to the width, a device never split."""
    if not unplaced:
        return []
    lines: list[Line] = [[("unplaced:", CAPTION)]]
    used = len("unplaced:")
    for d in unplaced:
        code = printable(d.code)
        size = 3 + len(code)
        if used + size > width and lines[-1]:
            lines.append([])
            used = 0
        lines[-1] += [(" ", None), _mark(d, selected), (" " + code, None)]
        used += size
    return lines


def _beside(left: list[Line], right: list[Line], width: int) -> list[Line]:
    """Two columns: ``left`` padded to ``width``, a gap, then ``right``."""
    rows = max(len(left), len(right))
    out: list[Line] = []
    for i in range(rows):
        line = list(left[i]) if i < len(left) else []
        used = sum(len(chunk) for chunk, _ in line)
        if i < len(right):
            line.append((" " * (width - used + GAP), None))
            line += right[i]
        out.append(line)
    return out
