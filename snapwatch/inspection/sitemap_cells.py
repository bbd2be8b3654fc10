"""What a site map is made of: cells with their roles and marks, legend entries, the map itself.

:func:`snapwatch.inspection.sitemap.draw_map` fills a :class:`SiteMap` with these cells;
the callers read them to choose characters' colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from snapwatch.inspection.view import DeviceView, shown_band

ExtentSource = Literal["dimensions", "devices"]

BAND_MARKS = {"low": "L", "moderate": "M", "elevated": "E", "high": "H"}
NO_BAND_MARK = "?"
"""Stale or no MGI (or a band the map does not know): never a band letter or colour."""
CROWD_MARK = "+"
"""Ten devices or more in one cell; two to nine show their number."""
DEVICE_ZONE_MARK = "·"
SITE_ZONE_MARKS = {"horizontal": "╌", "vertical": "╎", "corner": "+"}
BORDER_MARKS = {"horizontal": "─", "vertical": "│", "tl": "┌", "tr": "┐", "bl": "└", "br": "┘"}


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
    return shown_band(device.band, device.mgi, device.mgi_freshness)


def device_mark(device: DeviceView) -> str:
    return BAND_MARKS.get(device_band(device), NO_BAND_MARK)
