"""The fitted MGI range (one rule for sparklines and the chart): it spans the values, at
least MIN_SPAN wide, reaches the nearby band thresholds, and is the fixed 0-1 scale
without data."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapwatch.inspection.scale import (
    FIXED,
    MIN_SPAN,
    THRESHOLDS,
    MgiScale,
    fitted_scale,
)


def test_no_data_is_the_fixed_scale() -> None:
    assert fitted_scale([]) == FIXED
    assert fitted_scale([None, None]) == FIXED
    assert fitted_scale([math.nan, math.inf]) == FIXED
    assert FIXED.label == "MGI 0–1" and not FIXED.fitted


def test_low_values_fit_up_to_the_next_threshold_above_them() -> None:
    scale = fitted_scale([0.02, 0.07, None, 0.2])
    assert scale == MgiScale(0.02, 0.25, fitted=True)
    assert scale.label == "MGI 0.02–0.25 fitted"
    assert scale.thresholds() == (0.10, 0.25)


def test_flat_values_keep_a_minimum_span_and_flat_levels_still_differ() -> None:
    assert fitted_scale([0.8] * 5) == MgiScale(0.75, 0.85, fitted=True)
    assert fitted_scale([0.2] * 5) == MgiScale(0.10, 0.25, fitted=True)  # both thresholds near
    assert fitted_scale([1.0]) == MgiScale(0.9, 1.0, fitted=True)  # kept inside 0-1
    assert fitted_scale([0.0]) == MgiScale(0.0, 0.1, fitted=True)


def test_a_tiny_span_is_widened_not_magnified() -> None:
    scale = fitted_scale([0.61, 0.612, 0.615])
    assert scale == MgiScale(0.56, 0.67, fitted=True)  # MIN_SPAN round them, to hundredths
    assert MIN_SPAN <= scale.high - scale.low <= MIN_SPAN + 0.02


def test_values_across_thresholds_keep_them_in_view() -> None:
    scale = fitted_scale([0.3, 0.35])
    assert scale == MgiScale(0.25, 0.40, fitted=True)  # the band's both edges
    assert fitted_scale([0.05, 0.5]).thresholds() == (0.10, 0.25, 0.40)
    assert fitted_scale([0.5, 0.6]) == MgiScale(0.40, 0.6, fitted=True)
    assert fitted_scale([0.95, 0.97]).thresholds() == ()  # 0.40 is too far to bring in


def test_share_places_values_on_the_scale_and_clamps() -> None:
    scale = MgiScale(0.2, 0.4, fitted=True)
    assert scale.share(0.3) == pytest.approx(0.5)
    assert (scale.share(0.1), scale.share(0.9)) == (0.0, 1.0)
    assert FIXED.share(0.25) == 0.25


@given(st.lists(st.one_of(st.none(), st.floats(0, 1)), max_size=30))
def test_the_range_holds_every_value_within_0_1_and_at_least_min_span(
    values: list[float | None],
) -> None:
    scale = fitted_scale(values)
    present = [v for v in values if v is not None]
    assert 0.0 <= scale.low < scale.high <= 1.0
    assert scale.high - scale.low >= MIN_SPAN - 1e-9
    assert all(scale.low <= v <= scale.high for v in present)
    assert scale.fitted == bool(present)
    if present:  # the nearest threshold just above the values is in view
        above = [t for t in THRESHOLDS if max(present) <= t <= max(present) + 0.15]
        assert not above or scale.high >= min(above)
