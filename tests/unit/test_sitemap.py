"""The site map grid (``draw_map``) and the command line's map text, on hand-made
documents read by the lenient reader."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from support.sitemap_parts import device, device_zone, key, site_zone, snapshot

from snapwatch.inspection.render import map_lines
from snapwatch.inspection.sitemap import NO_DEVICES, NO_ROOM, draw_map, legend_rows
from snapwatch.inspection.sitemap_cells import AXES, LegendEntry, Role, SiteMap


def cells_of(site_map: SiteMap, role: Role) -> set[tuple[int, int]]:
    return {
        (c, r)
        for r, row in enumerate(site_map.cells)
        for c, cell in enumerate(row)
        if cell.role is role
    }


# A 100 × 50 ft site in a 102 × 27 box: 100 × 25 cells inside the border, so one
# column is 1 ft and one row 2 ft; the cell of (x, y) is (floor(x) + 1, floor(y / 2) + 1).
EXACT = (102, 27)


# --- placing devices -------------------------------------------------------------------


def test_each_device_is_drawn_in_the_cell_holding_its_position_with_its_band() -> None:
    devices = [
        device("A", 10, 20, "low"),
        device("B", 55.5, 3, "moderate"),
        device("C", 70, 41, "elevated"),
        device("D", 99.2, 49.9, "high"),
    ]
    site_map = draw_map(snapshot(devices), *EXACT)
    assert (site_map.columns, site_map.rows) == EXACT
    assert site_map.extent_source == "dimensions"
    assert (site_map.length, site_map.width) == (100, 50)
    expected = {"A": (11, 11, "L", "low"), "B": (56, 2, "M", "moderate")}
    expected |= {"C": (71, 21, "E", "elevated"), "D": (100, 25, "H", "high")}
    for code, (column, row, char, band) in expected.items():
        assert site_map.placed[key(code)] == (column, row)
        cell = site_map.cell(column, row)
        assert (cell.char, cell.role, cell.band, cell.keys) == (
            char,
            Role.DEVICE,
            band,
            (key(code),),
        )
    assert len(cells_of(site_map, Role.DEVICE)) == 4
    assert site_map.outside == () and site_map.unplaced == () and site_map.note is None


def test_stale_and_no_data_devices_get_their_own_mark_and_no_band() -> None:
    devices = [
        device("stale", 10, 10, "high", fresh="stale"),
        device("silent", 30, 10, "none"),
        device("carried", 50, 10, "high", fresh="carried_forward"),
    ]
    site_map = draw_map(snapshot(devices), *EXACT)
    stale, silent, carried = (
        site_map.cell(*site_map.placed[key(c)]) for c in ("stale", "silent", "carried")
    )
    assert (stale.char, stale.band) == ("?", "unknown")
    assert (silent.char, silent.band) == ("?", "unknown")
    assert (carried.char, carried.band) == ("H", "high")
    marks = {(e.mark, e.meaning) for e in site_map.legend}
    assert ("?", "stale or no MGI") in marks and ("H", "high") in marks


def test_devices_at_the_corners_are_inside_the_border() -> None:
    site_map = draw_map(snapshot([device("origin", 0, 0), device("far", 100, 50)]), *EXACT)
    assert site_map.placed[key("origin")] == (1, 1)
    assert site_map.placed[key("far")] == (100, 25)
    assert site_map.outside == ()
    assert site_map.cell(0, 0).role is Role.BORDER and site_map.cell(101, 26).role is Role.BORDER


def test_positions_outside_the_site_are_clamped_to_the_edge_and_reported() -> None:
    devices = [device("east", 150, 20), device("north", 40, -5), device("in", 40, 20)]
    site_map = draw_map(snapshot(devices), *EXACT)
    assert site_map.placed[key("east")] == (100, 11)
    assert site_map.placed[key("north")] == (41, 1)
    assert [d.code for d in site_map.outside] == ["east", "north"]
    assert site_map.cell(100, 11).role is Role.DEVICE


def test_several_devices_in_one_cell_show_their_number_and_the_highest_band() -> None:
    devices = [
        device("a", 10.1, 10.1, "low"),
        device("b", 10.5, 11.0, "high"),
        device("c", 10.9, 11.9, "none"),
        device("alone", 60, 30, "moderate"),
    ]
    site_map = draw_map(snapshot(devices), *EXACT)
    spot = site_map.placed[key("a")]
    assert site_map.placed[key("b")] == site_map.placed[key("c")] == spot
    cell = site_map.cell(*spot)
    assert (cell.char, cell.band, cell.count) == ("3", "high", 3)
    assert cell.keys == (key("a"), key("b"), key("c"))
    assert ("2-9", Role.DEVICE) in {(e.mark, e.role) for e in site_map.legend}
    crowd = draw_map(snapshot([device(f"d{i}", 5, 5) for i in range(12)]), *EXACT)
    assert crowd.cell(6, 3).char == "+" and crowd.cell(6, 3).count == 12


def test_the_selected_device_is_marked_on_its_cell_only() -> None:
    devices = [device("A", 10, 20), device("B", 60, 30, "high"), device("U", None, None)]
    view = snapshot(devices)
    site_map = draw_map(view, *EXACT, selected=key("B"))
    selected = [
        (c, r) for r, row in enumerate(site_map.cells) for c, x in enumerate(row) if x.selected
    ]
    assert selected == [site_map.placed[key("B")]]
    assert LegendEntry("H", Role.DEVICE, "selected", "high", True) in site_map.legend
    unplaced = draw_map(view, *EXACT, selected=key("U"))
    assert not any(c.selected for row in unplaced.cells for c in row)
    assert draw_map(view, *EXACT).legend == draw_map(view, *EXACT, selected="nobody").legend


def test_one_device_site() -> None:
    site_map = draw_map(snapshot([device("only", 50, 25, "elevated")]), 40, 12)
    assert len(cells_of(site_map, Role.DEVICE)) == 1
    assert site_map.cell(*site_map.placed[key("only")]).char == "E"
    assert [(e.mark, e.meaning) for e in site_map.legend] == [
        ("E", "elevated"),
        (AXES.mark, AXES.meaning),
    ]


# --- the outline -----------------------------------------------------------------------


def interior(site_map: SiteMap) -> tuple[int, int]:
    return site_map.columns - 2, site_map.rows - 2


def test_a_100_by_50_site_is_four_times_wider_than_tall_in_cells() -> None:
    # One row spans twice the feet of one column: 100 ft / 50 ft × 2 = 4 columns a row.
    site_map = draw_map(snapshot([device("A", 1, 1)]), 300, 300)
    columns, rows = interior(site_map)
    assert columns == 298
    assert abs(columns / rows - 4) < 0.06
    feet_per_column, feet_per_row = 100 / columns, 50 / rows
    assert abs(feet_per_row / feet_per_column - 2) < 0.03


def test_a_deep_site_fills_the_height_and_keeps_its_proportions() -> None:
    site_map = draw_map(snapshot([device("A", 1, 1)], length=20, width=100), 100, 30)
    columns, rows = interior(site_map)
    assert rows == 28 and columns == round(2 * 20 * 28 / 100)
    assert site_map.columns <= 100


def test_the_map_uses_the_space_given() -> None:
    for length, width in ((100, 50), (100, 60), (40, 40), (300, 10)):
        site_map = draw_map(snapshot([device("A", 1, 1)], length, width), 100, 30)
        assert site_map.columns <= 100 and site_map.rows <= 30
        assert site_map.columns == 100 or site_map.rows == 30, (length, width)
        lines = site_map.lines()
        assert lines[0][0] == "┌" and lines[-1][-1] == "┘"
        assert all(len(line) == site_map.columns for line in lines)


def test_a_tiny_box_still_shows_the_outline_and_the_devices() -> None:
    devices = [device("A", 10, 10, "high"), device("B", 90, 40, "low")]
    site_map = draw_map(snapshot(devices), 20, 6)
    assert site_map.columns <= 20 and site_map.rows <= 6
    assert {site_map.cell(*site_map.placed[key(c)]).char for c in "AB"} == {"H", "L"}
    smallest = draw_map(snapshot(devices), 3, 3)
    assert smallest.lines() == ["┌─┐", "│2│", "└─┘"]
    none = draw_map(snapshot(devices), 2, 10)
    assert none.cells == () and none.note == NO_ROOM and none.extent_source == "dimensions"


def test_without_dimensions_the_map_spans_the_devices_and_zones_with_a_margin() -> None:
    for length, width in ((None, None), (0, 0), (-5, 40), (80, None)):
        devices = [device("A", 0, 0), device("B", 40, 12)]
        zones = [site_zone("yard", 10, 0, 30, 18)]
        site_map = draw_map(snapshot(devices, length, width, zones), *EXACT)
        assert site_map.extent_source == "devices"
        assert site_map.length is not None and site_map.width is not None
        assert 40 < site_map.length <= 45 and 18 < site_map.width <= 22
        assert site_map.outside == ()
        assert site_map.placed[key("A")] == (1, 1)
    assert map_lines(snapshot([device("A", 40, 12)], None, None))[0] == (
        "map: site size unknown, devices span 42 × 14 ft (with margin)"
    )


def test_devices_without_a_position_are_listed_in_document_order() -> None:
    devices = [device("Z", None, None), device("A", 10, 10), device("M", None, None, "high")]
    site_map = draw_map(snapshot(devices), *EXACT)
    assert [d.code for d in site_map.unplaced] == ["Z", "M"]
    assert set(site_map.placed) == {key("A")}


def test_all_devices_unplaced() -> None:
    devices = [device("Z", None, None), device("M", None, None)]
    site_map = draw_map(snapshot(devices), *EXACT)
    assert site_map.note == NO_DEVICES and site_map.rows == 27
    assert cells_of(site_map, Role.DEVICE) == set()
    assert [d.code for d in site_map.unplaced] == ["Z", "M"]
    unsized = draw_map(snapshot(devices, None, None), *EXACT)
    assert unsized.cells == () and unsized.note == NO_DEVICES
    assert [d.code for d in unsized.unplaced] == ["Z", "M"]
    assert map_lines(snapshot(devices, None, None)) == ["map: no placed devices (2 unplaced)"]


# --- zones -----------------------------------------------------------------------------


def test_a_site_zone_is_the_outline_of_its_rectangle() -> None:
    site_map = draw_map(
        snapshot([device("in", 20, 20)], zones=[site_zone("beds", 10, 10, 30, 30)]), *EXACT
    )
    # x 10..30 ft → columns 11..31; y 10..30 ft → rows 6..16.
    drawn = cells_of(site_map, Role.SITE_ZONE)
    edges = {(c, r) for c in range(11, 32) for r in (6, 16)} | {
        (c, r) for c in (11, 31) for r in range(6, 17)
    }
    assert drawn == edges
    assert [site_map.cell(11, 6).char, site_map.cell(20, 6).char, site_map.cell(11, 10).char] == [
        "+",
        "╌",
        "╎",
    ]
    assert site_map.cell(21, 11).role is Role.DEVICE
    assert ("╌╎", Role.SITE_ZONE) in {(e.mark, e.role) for e in site_map.legend}


def test_a_site_zone_beyond_the_site_draws_only_its_edges_inside() -> None:
    zones = [site_zone("annex", 80, 40, 140, 90), site_zone("away", 200, 0, 250, 10)]
    site_map = draw_map(snapshot([device("A", 1, 1)], zones=zones), *EXACT)
    drawn = cells_of(site_map, Role.SITE_ZONE)
    assert drawn == {(c, 21) for c in range(81, 101)} | {(81, r) for r in range(21, 26)}


def test_a_device_zone_is_a_circle_twice_as_wide_in_columns_as_in_rows() -> None:
    zones = [device_zone("hub", 50, 25, 10)]
    site_map = draw_map(snapshot([device("hub", 50, 25)], zones=zones), *EXACT)
    ring = cells_of(site_map, Role.DEVICE_ZONE)
    columns = {c for c, _ in ring}
    rows = {r for _, r in ring}
    # 10 ft each way: 10 columns of 1 ft, 5 rows of 2 ft (y 35 is inside row 18's 34..36 ft).
    assert (min(columns), max(columns)) == (41, 60)
    assert (min(rows), max(rows)) == (8, 18)
    assert (41, 13) in ring and (60, 13) in ring and (51, 8) in ring and (51, 18) in ring
    assert site_map.cell(51, 13).role is Role.DEVICE
    assert site_map.cell(46, 13).role is Role.EMPTY
    for c, r in ring:
        x, y = c - 1 + 0.5, (r - 1) * 2 + 1
        assert abs(math.hypot(x - 50, y - 25) - 10) < 2, (c, r)
    assert all(site_map.cell(c, r).char == "·" for c, r in ring)


def test_devices_and_the_border_win_over_zone_outlines() -> None:
    zones = [site_zone("all", 0, 0, 100, 50), device_zone("edge", 5, 20, 10)]
    devices = [device("edge", 5, 20), device("on-line", 30, 0)]
    site_map = draw_map(snapshot(devices, zones=zones), *EXACT)
    assert site_map.cell(*site_map.placed[key("on-line")]).role is Role.DEVICE
    assert all(site_map.cell(0, r).role is Role.BORDER for r in range(site_map.rows))
    assert site_map.cell(1, 11).role is Role.SITE_ZONE


# --- legend ----------------------------------------------------------------------------


def test_the_legend_names_what_the_map_shows_and_ends_with_the_axes() -> None:
    site_map = draw_map(snapshot([device("A", 10, 10, "low")]), *EXACT)
    assert site_map.legend == (LegendEntry("L", Role.DEVICE, "low", "low"), AXES)


def test_legend_rows_pack_whole_entries_into_the_width() -> None:
    entries = [
        LegendEntry("L", Role.DEVICE, "low"),
        LegendEntry("M", Role.DEVICE, "moderate"),
        AXES,
    ]
    assert legend_rows(entries, 100) == [tuple(entries)]
    assert legend_rows(entries, 17) == [tuple(entries[:2]), (AXES,)]
    assert legend_rows(entries, 16) == [(e,) for e in entries]
    assert legend_rows(entries, 1) == [(e,) for e in entries]


# --- the command line's map ------------------------------------------------------------


def test_the_command_line_map_has_title_grid_legend_and_the_devices_not_drawn_exactly() -> None:
    devices = [
        device("SW-A", 10, 5, "low"),
        device("SW-X", 150, 5, "high"),
        device("SW-U", None, None),
    ]
    lines = map_lines(snapshot(devices, 60, 40))
    assert lines[0] == "map: 60 × 40 ft; 1 unplaced device(s) not shown"
    grid = lines[1 : 1 + 18]
    assert grid[0].startswith("┌") and grid[-1].startswith("└")
    assert len(grid[0]) <= 62
    assert lines[19] == "L low  H high  x→ y↓ origin top-left"
    assert lines[20] == "outside the site, drawn at its edge: SW-X (150.0, 5.0)"
    assert lines[21] == "unplaced: SW-U"
    many = [device(f"UNPLACED-{i:03d}", None, None) for i in range(40)]
    assert all(len(line) <= 100 for line in map_lines(snapshot([*devices, *many])))


# --- every placed device is where its position is --------------------------------------

feet = st.floats(min_value=-60, max_value=600, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    length=st.one_of(st.none(), st.floats(min_value=0.5, max_value=500)),
    width=st.one_of(st.none(), st.floats(min_value=0.5, max_value=500)),
    columns=st.integers(min_value=3, max_value=120),
    rows=st.integers(min_value=3, max_value=50),
    positions=st.lists(st.tuples(feet, feet), min_size=1, max_size=8),
)
def test_every_placed_device_is_in_the_cell_covering_its_position_or_clamped(
    length: float | None,
    width: float | None,
    columns: int,
    rows: int,
    positions: list[tuple[float, float]],
) -> None:
    devices = [device(f"d{i}", x, y) for i, (x, y) in enumerate(positions)]
    site_map = draw_map(snapshot(devices, length, width), columns, rows)
    assert 3 <= site_map.columns <= columns and 3 <= site_map.rows <= rows
    assert site_map.length is not None and site_map.width is not None
    inner_columns, inner_rows = interior(site_map)
    dx, dy = site_map.length / inner_columns, site_map.width / inner_rows
    outside = {d.code for d in site_map.outside}
    for i, (x, y) in enumerate(positions):
        column, row = site_map.placed[key(f"d{i}")]
        assert key(f"d{i}") in site_map.cell(column, row).keys
        assert 1 <= column <= inner_columns and 1 <= row <= inner_rows
        inside = 0 <= x <= site_map.length and 0 <= y <= site_map.width
        assert (f"d{i}" in outside) is not inside
        if inside:
            tolerance = 1e-9 * max(1.0, site_map.length, site_map.width)
            assert (column - 1) * dx - tolerance <= x <= column * dx + tolerance
            assert (row - 1) * dy - tolerance <= y <= row * dy + tolerance
        else:
            expected_column = 1 if x < 0 else inner_columns if x > site_map.length else None
            expected_row = 1 if y < 0 else inner_rows if y > site_map.width else None
            assert expected_column in (None, column) and expected_row in (None, row)


def test_without_device_zones_only_the_selected_devices_circle_is_drawn() -> None:
    devices = [device("A", 20, 20), device("B", 70, 30)]
    zones = [device_zone("A", 20, 20, 8), device_zone("B", 70, 30, 8)]
    view = snapshot(devices, 100, 50, zones)

    def ring_columns(site_map: SiteMap) -> set[int]:
        return {
            c
            for row in site_map.cells
            for c, cell in enumerate(row)
            if cell.role is Role.DEVICE_ZONE
        }

    every = draw_map(view, 62, 18, key("A"))
    only_a = draw_map(view, 62, 18, key("A"), device_zones=False)
    a_column, b_column = only_a.placed[key("A")][0], only_a.placed[key("B")][0]
    assert min(ring_columns(every)) < a_column < b_column < max(ring_columns(every))
    assert max(ring_columns(only_a)) < b_column  # B's circle is not drawn
    assert min(ring_columns(only_a)) < a_column < max(ring_columns(only_a))
    assert not ring_columns(draw_map(view, 62, 18, None, device_zones=False))
