"""The app's one band → colour table: the document's band colours, grey for a device
without current data (:func:`snapwatch.inspection.view.shown_band`), on the map, in the
panes, the tables and the chart alike."""

from __future__ import annotations

from snapwatch.snapshot.mgi import BANDS, HIGH, UNKNOWN
from snapwatch.snapshot.mgi import band as score_band

BAND_COLOURS: dict[str, str] = dict((*((name, colour) for _, name, colour in BANDS), HIGH, UNKNOWN))
GREY = UNKNOWN[1]


def band_colour(band: str | None) -> str:
    """The colour of ``band`` (grey when unknown or None)."""
    return BAND_COLOURS.get(band or UNKNOWN[0], GREY)


def score_colour(score: float | None) -> str:
    """The colour of the band an MGI score falls in (grey for None)."""
    return band_colour(score_band(score)[0])
