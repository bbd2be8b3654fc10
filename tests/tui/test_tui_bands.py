"""One band → colour table: the panes colour a device as the map does (grey when its MGI
is stale or missing), in the document's band colours."""

from __future__ import annotations

import pytest

from snapwatch.inspection.view import NO_BAND, shown_band
from snapwatch.readmodels.devices import DeviceRow
from snapwatch.snapshot.mgi import BANDS, HIGH, UNKNOWN
from snapwatch.tui.bands import GREY, band_colour, score_colour
from snapwatch.tui.panes.devices import device_row
from snapwatch.tui.panes.snapshots import mgi_cell


def device(mgi: float | None, band: str, freshness: str | None) -> DeviceRow:
    return DeviceRow(
        device_id="d1",
        code="D-1",
        name=None,
        position=None,
        mgi=mgi,
        band=band,
        velocity_per_day=None,
        mgi_freshness=freshness,
        mgi_age_hours=None,
        telemetry_freshness=None,
        telemetry_age_hours=None,
        series=(0.5, mgi),
    )


def test_the_table_is_the_documents_colours() -> None:
    for _, name, colour in BANDS:
        assert band_colour(name) == colour
    assert band_colour(HIGH[0]) == HIGH[1]
    assert band_colour(None) == band_colour("nonsense") == GREY == UNKNOWN[1]
    assert score_colour(0.05) == BANDS[0][2] and score_colour(0.9) == HIGH[1]


@pytest.mark.parametrize(
    ("mgi", "band", "freshness", "shown"),
    [
        (0.5, "high", "current_wake", "high"),
        (0.5, "high", "carried_forward", "high"),
        (0.5, "high", "stale", NO_BAND),
        (None, "unknown", "no_data", NO_BAND),
        (0.5, "purple", "current_wake", NO_BAND),
    ],
)
def test_a_device_row_is_coloured_as_the_map_colours_it(
    mgi: float | None, band: str, freshness: str, shown: str
) -> None:
    assert shown_band(band, mgi, freshness) == shown
    row = device_row(device(mgi, band, freshness), points=8)
    mgi_cell_, spark = row[2], row[5]
    assert mgi_cell_.style == spark.style == band_colour(shown)


def test_a_snapshot_mgi_is_coloured_by_its_band() -> None:
    assert mgi_cell(0.3).style == band_colour("elevated")
    assert mgi_cell(None).text == "—"
