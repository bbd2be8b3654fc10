"""A bad value is isolated to the value (pitfall 35): implausible readings and positions
are kept as stored, named in data_quality and left out of every average; a statistic the
numeric(5,2) columns cannot hold is null and named, never a failure."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from support.snapshot_factory import START, build, device, inputs, one_device, site, telemetry

from snapwatch.infra.config import PlausibilitySettings
from snapwatch.snapshot.aggregates import aggregates, fits_column, to_cents
from snapwatch.snapshot.inputs import DeviceFacts, DeviceObservations
from snapwatch.snapshot.model import SiteZone, SnapshotDocument
from snapwatch.snapshot.plausible import Span, position_span, site_limits
from snapwatch.snapshot.stats import mean

WIDE = PlausibilitySettings(temperature_min_f=-1e6, temperature_max_f=1e6)
"""Bounds widened by configuration: every temperature a sensor can send is plausible."""

finite = st.floats(allow_nan=False, allow_infinity=False)


def reading(**values: Any) -> DeviceObservations:
    return DeviceObservations(telemetry=telemetry(START, **values))


def site_with(
    readings: dict[DeviceFacts, DeviceObservations],
    plausibility: PlausibilitySettings | None = None,
    **site_changes: Any,
) -> SnapshotDocument:
    data = inputs(
        tuple(readings),
        {facts.device_id: obs for facts, obs in readings.items()},
        site_facts=site(**site_changes),
    )
    return build(data, plausibility=plausibility or PlausibilitySettings())


def problems(doc: SnapshotDocument) -> list[tuple[Any, str, Any, str]]:
    return [(q.device_id, q.field, q.value, q.problem) for q in doc.data_quality]


# --- the rule ----------------------------------------------------------------------------------


@given(finite, finite, finite)
def test_a_span_holds_exactly_the_values_between_its_edges(a: float, b: float, x: float) -> None:
    low, high = min(a, b), max(a, b)
    assert Span(low, high).holds(x) == (low <= x <= high)
    assert Span(low).holds(x) == (x >= low)
    assert Span(None, high).holds(x) == (x <= high)
    assert Span().holds(x)


@given(
    st.floats(0.1, 1e6), st.floats(0, 100), st.floats(0, 1), st.floats(0.001, 1e6, exclude_min=True)
)
def test_a_position_on_the_site_or_within_the_margin_is_plausible_and_beyond_it_is_not(
    extent: float, margin: float, share: float, beyond: float
) -> None:
    span = position_span(extent, margin)
    assert span.holds(share * extent)
    assert span.holds(-margin) and span.holds(extent + margin)
    assert not span.holds(-margin - beyond)
    assert not span.holds(extent + margin + beyond)


@pytest.mark.parametrize("extent", [None, 0.0, -10.0])
def test_without_a_length_only_a_position_below_the_margin_is_outside(
    extent: float | None,
) -> None:
    span = position_span(extent, 2.0)
    assert span.holds(1e9) and span.holds(-2.0)
    assert not span.holds(-2.5)


def test_the_default_bounds() -> None:
    limits = site_limits(PlausibilitySettings(), 100.0, 60.0)
    assert limits.temperature == Span(-40.0, 200.0)
    assert limits.humidity == Span(0.0, 100.0)
    assert limits.pressure == Span(300.0, 1100.0)
    assert limits.gas_resistance == Span(0.0, None)
    assert limits.battery_voltage == Span(0.0, 5.0)
    assert limits.wifi_rssi == Span(-120.0, 0.0)
    assert (limits.x_position, limits.y_position) == (Span(-2.0, 102.0), Span(-2.0, 62.0))


def test_a_low_bound_above_its_high_bound_is_refused() -> None:
    with pytest.raises(ValidationError, match="humidity_min_percent is above"):
        PlausibilitySettings(humidity_min_percent=80.0, humidity_max_percent=20.0)


def test_a_bound_must_be_a_finite_number() -> None:
    with pytest.raises(ValidationError):
        PlausibilitySettings(temperature_max_f=math.inf)


# --- readings ----------------------------------------------------------------------------------


def test_a_65535_f_reading_is_kept_named_and_left_out_of_the_averages() -> None:
    broken, fine = device("a", x=10.0, y=10.0), device("b", x=20.0, y=10.0)
    zone = {"id": "z", "bounds": {"x1": 0, "y1": 0, "x2": 50, "y2": 50}}
    doc = site_with(
        {broken: reading(temperature=65535.0), fine: reading(temperature=70.0)}, zones=[zone]
    )
    assert doc.devices[0].telemetry.temperature == 65535.0  # as stored
    assert problems(doc) == [(broken.device_id, "temperature", 65535.0, "implausible")]
    assert doc.session_metrics.avg_temperature == 70.0
    assert aggregates(doc).avg_temperature == Decimal("70.00")
    [site_zone] = [z for z in doc.environmental_zones if isinstance(z, SiteZone)]
    assert site_zone.device_ids == [broken.device_id, fine.device_id]
    assert site_zone.avg_temperature == 70.0


def test_the_only_temperature_implausible_leaves_the_average_null_not_zero() -> None:
    doc = build(one_device(reading(temperature=65535.0)))
    assert doc.session_metrics.avg_temperature is None
    assert aggregates(doc).avg_temperature is None
    assert doc.session_metrics.avg_humidity == 55.0  # the device's other values still count


def test_200_percent_humidity_is_kept_named_and_not_averaged() -> None:
    doc = build(one_device(reading(humidity=200.0)))
    assert doc.devices[0].telemetry.humidity == 200.0
    assert [(q.field, q.value, q.problem) for q in doc.data_quality] == [
        ("humidity", 200.0, "implausible")
    ]
    assert doc.session_metrics.avg_humidity is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", -41.0),
        ("temperature", 200.5),
        ("humidity", -0.5),
        ("pressure", 0.0),
        ("pressure", 1100.1),
        ("gas_resistance", -1.0),
        ("battery_voltage", 7.5),
        ("battery_voltage", -0.1),
        ("wifi_rssi", 10),
        ("wifi_rssi", -127),
    ],
)
def test_a_reading_outside_its_bounds_is_kept_and_named(field: str, value: float) -> None:
    doc = build(one_device(reading(**{field: value})))
    assert getattr(doc.devices[0].telemetry, field) == value
    assert [(q.field, q.value, q.problem) for q in doc.data_quality] == [
        (field, value, "implausible")
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", -40.0),
        ("temperature", 200.0),
        ("humidity", 100.0),
        ("pressure", 300.0),
        ("gas_resistance", 0.0),
        ("gas_resistance", 5e6),
        ("battery_voltage", 0.0),
        ("wifi_rssi", -120),
        ("wifi_rssi", 0),
    ],
)
def test_a_reading_on_a_bound_is_plausible(field: str, value: float) -> None:
    assert build(one_device(reading(**{field: value}))).data_quality == []


def test_the_device_rows_battery_voltage_is_checked_too() -> None:
    doc = build(one_device(DeviceObservations(), battery_voltage=65.535))
    assert doc.devices[0].battery_voltage == 65.535
    assert [(q.field, q.problem) for q in doc.data_quality] == [("battery_voltage", "implausible")]


def test_the_bounds_are_configurable() -> None:
    data = one_device(reading(humidity=104.0))
    assert [q.field for q in build(data).data_quality] == ["humidity"]
    wider = PlausibilitySettings(humidity_max_percent=105.0)
    doc = build(data, plausibility=wider)
    assert doc.data_quality == [] and doc.session_metrics.avg_humidity == 104.0


def test_not_finite_stays_null_and_is_not_called_implausible() -> None:
    doc = build(one_device(reading(temperature=math.inf, humidity=math.nan)))
    assert (doc.devices[0].telemetry.temperature, doc.devices[0].telemetry.humidity) == (None, None)
    assert [(q.field, q.value, q.problem) for q in doc.data_quality] == [
        ("temperature", "inf", "not_finite"),
        ("humidity", "nan", "not_finite"),
    ]


# --- positions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "field", "value"),
    [
        (-5.0, 10.0, "x_position", -5.0),
        (10.0, -5.0, "y_position", -5.0),
        (1e9, 10.0, "x_position", 1e9),
        (10.0, 1e9, "y_position", 1e9),
    ],
)
def test_a_position_far_outside_the_site_is_kept_and_named(
    x: float, y: float, field: str, value: float
) -> None:
    facts = device("a", x=x, y=y)
    doc = site_with({facts: reading()})  # 100 × 60 ft
    assert doc.devices[0].position is not None
    assert doc.devices[0].position.model_dump() == {"x": x, "y": y}
    assert problems(doc) == [(facts.device_id, field, value, "outside_site")]
    assert doc.session_metrics.avg_temperature == 71.5  # its readings still count


@pytest.mark.parametrize(("x", "y"), [(0.0, 0.0), (100.0, 60.0), (-2.0, 61.5), (101.9, -1.0)])
def test_a_position_on_the_site_or_within_the_margin_is_not_named(x: float, y: float) -> None:
    assert site_with({device("a", x=x, y=y): reading()}).data_quality == []


def test_a_site_without_dimensions_names_only_negative_positions() -> None:
    far, below = device("a", x=1e9, y=1e9), device("b", x=-5.0, y=1.0)
    doc = site_with({far: reading(), below: reading()}, length=None, width=None)
    assert problems(doc) == [(below.device_id, "x_position", -5.0, "outside_site")]


# --- what the aggregate columns can hold -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fits"),
    [
        (999.99, True),
        (999.994, True),
        (-999.994, True),
        (999.995, False),
        (-999.995, False),
        (1000.0, False),
        (5e-324, True),
        (0.0, True),
        (1e300, False),
        (-1e300, False),
    ],
)
def test_a_value_fits_numeric_5_2_when_it_rounds_to_at_most_999_99(
    value: float, fits: bool
) -> None:
    assert fits_column(value) is fits


def test_the_default_bounds_keep_every_average_storable() -> None:
    """A plausible average lies between its bounds, which the columns can hold."""
    p = PlausibilitySettings()
    for low, high in (
        (p.temperature_min_f, p.temperature_max_f),
        (p.humidity_min_percent, p.humidity_max_percent),
    ):
        assert fits_column(low) and fits_column(high)


def test_a_plausible_average_the_column_cannot_hold_is_null_and_named() -> None:
    hot, warm = device("a"), device("b")
    doc = site_with(
        {hot: reading(temperature=65535.0), warm: reading(temperature=70.0)}, plausibility=WIDE
    )
    assert doc.devices[0].telemetry.temperature == 65535.0
    assert doc.session_metrics.avg_temperature is None
    assert problems(doc) == [(None, "avg_temperature", 32802.5, "not_storable")]
    agg = aggregates(doc)
    assert agg.avg_temperature is None and agg.avg_humidity == Decimal("55.00")


def test_an_average_that_rounds_to_1000_is_not_storable() -> None:
    doc = build(one_device(reading(temperature=999.995)), plausibility=WIDE)
    assert doc.session_metrics.avg_temperature is None
    assert [(q.field, q.problem) for q in doc.data_quality] == [("avg_temperature", "not_storable")]
    doc = build(one_device(reading(temperature=999.99)), plausibility=WIDE)
    assert aggregates(doc).avg_temperature == Decimal("999.99")


def test_the_mean_of_values_beyond_the_float_range_is_still_a_number() -> None:
    assert mean([1e308, 1e308, 1e308]) == 1e308
    doc = site_with(
        {device("a"): reading(temperature=1e308), device("b"): reading(temperature=1e308)},
        plausibility=PlausibilitySettings(temperature_max_f=1e308),
    )
    assert problems(doc) == [(None, "avg_temperature", 1e308, "not_storable")]
    assert to_cents(doc.session_metrics.avg_humidity) == aggregates(doc).avg_humidity
