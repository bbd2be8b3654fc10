"""The stated precision of the document's derived numbers.

Arithmetic on binary floats leaves digits nobody measured (``0.1128 - 0.1005`` is
``0.012299999999999991``); they cost bytes in every document and suggest a precision the
inputs never had. Derived numbers are rounded once, here, when the document is built;
values copied from the platform's rows are written as they are.
"""

from __future__ import annotations

import math

MGI_DECIMALS = 4
"""MGI differences and averages (the scale is 0–1, scores carry 4 decimals)."""
MEAN_DECIMALS = 4
"""Averages of temperature and humidity (2 more than the stored values)."""
SIGNIFICANT_DIGITS = 6
"""Velocities and speeds, whose magnitude depends on the gap between two images."""
SECONDS_DECIMALS = 3
"""Durations in seconds (``late_by_seconds``): milliseconds."""


def significant(value: float | None, digits: int = SIGNIFICANT_DIGITS) -> float | None:
    """``value`` rounded to ``digits`` significant digits; None and 0 stay as they are."""
    if value is None or value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))
