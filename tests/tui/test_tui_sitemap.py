"""The site map widget in a bare app: it fills the space it is given, colours devices by
MGI band, lists the unplaced ones, and looks the same every time (SVG snapshots).

Regenerate the snapshots after a deliberate change with ``pytest
tests/tui/test_tui_sitemap.py --snapshot-update`` and look at the SVGs in
``tests/tui/__snapshots__/test_tui_sitemap/``.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from support.sitemap_parts import device, device_zone, key, site_zone, snapshot
from textual.app import App, ComposeResult

from snapwatch.inspection.sitemap_cells import Role, SiteMap
from snapwatch.inspection.view import SnapshotView
from snapwatch.snapshot.mgi import UNKNOWN
from snapwatch.tui.bands import BAND_COLOURS
from snapwatch.tui.widgets.site_map import SiteMapView

SnapCompare = Callable[..., bool]


def barn() -> SnapshotView:
    """A 120 × 60 ft site: one device of each band, a stale one, two on one spot, two
    unplaced, a site zone and a device zone; ``B`` is selected in the apps below."""
    devices = [
        device("A", 15, 10, "low"),
        device("B", 60, 30, "high"),
        device("C", 100, 48, "elevated"),
        device("D", 30, 45, "moderate"),
        device("S", 90, 12, "high", fresh="stale"),
        device("P1", 20, 52, "low"),
        device("P2", 20.2, 52.2, "elevated"),
        device("U1", None, None, "moderate"),
        device("U2", None, None, "none"),
    ]
    zones = [site_zone("North beds", 5, 4, 45, 26), device_zone("C", 100, 48, 14)]
    return snapshot(devices, 120, 60, zones)


class MapApp(App[None]):
    def __init__(self, view: SnapshotView | None, selected: str | None = None) -> None:
        super().__init__()
        self.document, self.chosen = view, selected

    def compose(self) -> ComposeResult:
        yield SiteMapView(id="map")

    def on_mount(self) -> None:
        widget = self.query_one(SiteMapView)
        widget.device_zones = True  # every circle: what the widget can draw
        if self.document is not None:
            widget.show(self.document, self.chosen)


async def drawn(size: tuple[int, int], view: SnapshotView | None = None) -> tuple[SiteMap, Text]:
    app = MapApp(view or barn(), key("B"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        widget = app.query_one(SiteMapView)
        assert widget.grid is not None
        return widget.grid, widget.render()


def style_at(text: Text, column: int, row: int) -> Style:
    lines = text.plain.split("\n")
    offset = sum(len(line) + 1 for line in lines[:row]) + column
    return Style.combine(
        s.style for s in text.spans if s.start <= offset < s.end and isinstance(s.style, Style)
    )


async def test_the_map_fits_80x24_and_grows_at_120x40() -> None:
    small, small_text = await drawn((80, 24))
    big, big_text = await drawn((120, 40))
    assert small.columns <= 80 and small.rows <= 24
    assert small.columns >= 40 and small.rows >= 12
    assert big.columns > small.columns * 1.4 and big.rows > small.rows * 1.4
    for grid, text in ((small, small_text), (big, big_text)):
        lines = text.plain.split("\n")
        assert lines[0].startswith("┌" + "─" * (grid.columns - 2) + "┐")
        assert lines[grid.rows].startswith("L low  M moderate  E elevated  H high")
    # This wide site's map is bigger with the unplaced devices under it than beside it.
    assert big.columns == 120 and "unplaced: M U1 ? U2" in big_text.plain.split("\n")
    assert "unplaced: M U1 ? U2" in small_text.plain.split("\n")


async def test_legend_and_unplaced_devices_go_beside_a_map_limited_by_the_height() -> None:
    devices = [device("A", 10, 10), device("U1", None, None, "moderate"), device("U2", None, None)]
    grid, text = await drawn((80, 24), snapshot(devices, 60, 60))
    lines = text.plain.split("\n")
    assert grid.rows == 24 and grid.columns < 60  # the whole height is the map's
    assert lines[0].endswith("  L low")
    at = next(i for i, line in enumerate(lines) if line.endswith("  unplaced (2)"))
    assert at < grid.rows
    assert lines[at + 1].endswith("  M U1") and lines[at + 2].endswith("  L U2")
    assert "unplaced:" not in text.plain


async def test_the_map_is_redrawn_when_the_terminal_grows() -> None:
    app = MapApp(barn(), key("B"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(SiteMapView)
        assert widget.grid is not None
        before = widget.grid.columns
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert widget.grid.columns > before


async def test_markers_have_their_band_colour_stale_is_grey_and_the_selection_reversed() -> None:
    grid, text = await drawn((120, 40))
    for code, band in (("A", "low"), ("D", "moderate"), ("C", "elevated")):
        style = style_at(text, *grid.placed[key(code)])
        assert style.color is not None and style.color.name == BAND_COLOURS[band], code
        assert not style.reverse
    stale = style_at(text, *grid.placed[key("S")])
    assert stale.color is not None and stale.color.name == UNKNOWN[1]
    selected = style_at(text, *grid.placed[key("B")])
    assert selected.reverse and selected.color is not None
    assert selected.color.name == BAND_COLOURS["high"]
    ring = next(
        (c, r)
        for r, row in enumerate(grid.cells)
        for c, cell in enumerate(row)
        if cell.role is Role.DEVICE_ZONE
    )
    assert style_at(text, *ring).dim


async def test_a_narrow_map_lists_the_unplaced_devices_under_it() -> None:
    grid, text = await drawn((30, 24))
    lines = text.plain.split("\n")
    assert grid.columns <= 30
    assert all(len(line) <= 30 for line in lines)
    assert "unplaced: M U1 ? U2" in lines[grid.rows :]
    assert "unplaced (" not in text.plain


async def test_a_site_without_placed_devices_says_so_and_lists_them() -> None:
    view = snapshot([device("U1", None, None), device("U2", None, None)], None, None)
    app = MapApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(SiteMapView)
        plain = widget.render().plain
        assert widget.grid is not None and widget.grid.cells == ()
        assert "no placed devices" in plain and "U1" in plain and "U2" in plain


async def test_before_a_snapshot_is_shown_the_widget_is_blank() -> None:
    app = MapApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(SiteMapView)
        assert widget.render().plain == "" and widget.grid is None


def test_snapshot_80x24(snap_compare: SnapCompare) -> None:
    assert snap_compare(MapApp(barn(), key("B")), terminal_size=(80, 24))


def test_snapshot_120x40(snap_compare: SnapCompare) -> None:
    assert snap_compare(MapApp(barn(), key("B")), terminal_size=(120, 40))
