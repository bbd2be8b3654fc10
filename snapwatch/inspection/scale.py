"""The MGI scale a sparkline or chart draws on: the fixed 0–1 scale, or a range fitted to
the values shown.

The fixed scale is the default: a flat 0.2 and a flat 0.8 look different, and any two
drawings compare at a glance. When every value is low (0.02–0.20, the usual case early in
a program) the fixed scale draws them all in its lowest eighth; a fitted range spreads
them out. :func:`fitted_scale` is the one rule for that range:

- it spans the values, widened to at least :data:`MIN_SPAN` (centred on them, kept
  within 0–1), so a little noise is not magnified into a wall;
- it reaches out to the nearest band threshold (:data:`snapwatch.snapshot.mgi.BANDS`)
  above and below the values when one lies within :data:`THRESHOLD_REACH` of them, so the
  lines that say which band a value is in stay in view;
- its ends are rounded outward to hundredths, so the label reads ``MGI 0.02–0.25 fitted``;
- without a usable value (none, or none finite) it is the fixed scale.

Values outside 0–1 are clamped into it, as the drawings clamp them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from snapwatch.snapshot.mgi import BANDS

THRESHOLDS: tuple[float, ...] = tuple(upper for upper, _, _ in BANDS)
"""The band thresholds on the 0–1 scale (upper edges of low, moderate, elevated)."""
MIN_SPAN = 0.10
"""The narrowest fitted range: an eighth of it (one sparkline level) is 0.0125 of MGI."""
THRESHOLD_REACH = 0.15
"""How far from the values a band threshold may lie and still be brought into range."""


@dataclass(frozen=True, slots=True)
class MgiScale:
    low: float
    high: float
    fitted: bool = False

    @property
    def label(self) -> str:
        """``MGI 0–1``, or ``MGI 0.02–0.25 fitted``: what the title or axis says."""
        if not self.fitted:
            return "MGI 0–1"
        return f"MGI {self.low:.2f}–{self.high:.2f} fitted"

    def share(self, value: float) -> float:
        """Where ``value`` falls on the scale, from 0 (its low end) to 1 (its high end);
        clamped at the ends."""
        span = self.high - self.low
        return min(1.0, max(0.0, (value - self.low) / span)) if span > 0 else 0.0

    def thresholds(self) -> tuple[float, ...]:
        """The band thresholds within the scale (its ends included)."""
        return tuple(t for t in THRESHOLDS if self.low <= t <= self.high)


FIXED = MgiScale(0.0, 1.0)
"""The fixed MGI scale, 0–1."""


def fitted_scale(values: Iterable[float | None]) -> MgiScale:
    """The range fitted to ``values`` (None and non-finite values are left out); the
    fixed scale when none is left."""
    usable = [min(1.0, max(0.0, v)) for v in values if v is not None and math.isfinite(v)]
    if not usable:
        return FIXED
    low, high = min(usable), max(usable)
    above = [t for t in THRESHOLDS if high <= t <= high + THRESHOLD_REACH]
    below = [t for t in THRESHOLDS if low - THRESHOLD_REACH <= t <= low]
    if above:
        high = min(above)
    if below:
        low = max(below)
    if high - low < MIN_SPAN:
        middle = (low + high) / 2
        low = min(max(0.0, middle - MIN_SPAN / 2), 1.0 - MIN_SPAN)
        high = low + MIN_SPAN
    low = math.floor(round(low * 100, 6)) / 100
    high = math.ceil(round(high * 100, 6)) / 100
    return MgiScale(low, high, fitted=True)
