"""MGI metrics, bands and rejected scores (pitfall 17)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.snapshot_factory import (
    END,
    START,
    build,
    device,
    hours,
    image,
    inputs,
    one_device,
    scored,
    site,
)

from snapwatch.snapshot.inputs import DeviceObservations
from snapwatch.snapshot.mgi import band
from snapwatch.snapshot.model import MgiState
from snapwatch.snapshot.precision import significant


def mgi_of(obs: DeviceObservations) -> MgiState:
    return build(one_device(obs)).devices[0].mgi_state


# --- velocity ----------------------------------------------------------------------------------


def test_velocity_with_one_image_is_null() -> None:
    m = mgi_of(DeviceObservations(mgi=(scored(START + hours(1), 0.2),)))
    assert m.current_mgi == 0.2
    assert [m.previous_mgi, m.previous_captured_at, m.delta] == [None, None, None]
    assert [m.velocity_per_day, m.mgi_velocity.per_hour] == [None] * 2


def test_velocity_with_two_images_is_delta_over_the_hours_between_them() -> None:
    newest = scored(START + hours(1), 0.30, "new")
    previous = scored(START - hours(3), 0.10, "old")
    m = mgi_of(DeviceObservations(mgi=(newest, previous)))
    assert m.previous_mgi == 0.10
    assert m.previous_captured_at == previous.captured_at
    assert m.delta == pytest.approx(0.20)
    assert m.mgi_velocity.per_hour == pytest.approx(0.05)
    assert m.velocity_per_day == pytest.approx(1.2)


def test_falling_mgi_has_a_negative_velocity() -> None:
    m = mgi_of(DeviceObservations(mgi=(scored(START, 0.1, "a"), scored(START - hours(2), 0.3))))
    assert m.delta == pytest.approx(-0.2)
    assert m.mgi_velocity.per_hour == pytest.approx(-0.1)


def test_velocity_with_zero_gap_is_null_but_delta_is_kept() -> None:
    at = START + hours(1)
    m = mgi_of(DeviceObservations(mgi=(scored(at, 0.3, "a"), scored(at, 0.2, "b"))))
    assert m.delta == pytest.approx(0.1)
    assert m.mgi_velocity.per_hour is None and m.velocity_per_day is None


def test_previous_image_may_be_older_than_the_max_age() -> None:
    m = mgi_of(DeviceObservations(mgi=(scored(START, 0.5, "a"), scored(START - hours(100), 0.1))))
    assert m.previous_mgi == 0.1
    assert m.mgi_velocity.per_hour == pytest.approx(0.4 / 100)


def test_speed_per_day_is_current_over_program_day() -> None:
    # program starts 2026-11-01; the round ends 2026-11-28 (site-local) -> day 28
    m = mgi_of(DeviceObservations(mgi=(scored(START, 0.56),)))
    assert m.speed_per_day == pytest.approx(0.56 / 28)


def test_speed_per_day_divides_by_at_least_one() -> None:
    facts = device()
    obs = {facts.device_id: DeviceObservations(mgi=(scored(START, 0.4),))}
    before = site(program_start_date=date(2026, 12, 5), program_end_date=date(2027, 1, 5))
    doc = build(inputs((facts,), obs, site_facts=before))
    assert doc.program_context.program_day < 1
    assert doc.devices[0].mgi_state.speed_per_day == 0.4


# --- bands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "expected", "color"),
    [
        (0.0, "low", "#10b981"),
        (0.10, "low", "#10b981"),
        (0.1000001, "moderate", "#f59e0b"),
        (0.25, "moderate", "#f59e0b"),
        (0.2500001, "elevated", "#f97316"),
        (0.40, "elevated", "#f97316"),
        (0.4000001, "high", "#ef4444"),
        (1.0, "high", "#ef4444"),
    ],
)
def test_band_and_color_at_their_edges(score: float, expected: str, color: str) -> None:
    d = build(one_device(DeviceObservations(mgi=(scored(START, score),)))).devices[0]
    assert d.mgi_state.band == expected
    assert d.display.color == color
    assert (d.display.shape, d.display.size) == ("circle", "medium")


def test_device_without_mgi_is_unknown_and_grey() -> None:
    d = build(one_device(DeviceObservations())).devices[0]
    assert (d.mgi_state.band, d.display.color) == ("unknown", "#9ca3af")


@given(st.floats(0, 1), st.floats(0, 1))
def test_bands_never_decrease_as_the_score_grows(a: float, b: float) -> None:
    order = ["low", "moderate", "elevated", "high"]
    low, high = sorted((a, b))
    assert order.index(band(low)[0]) <= order.index(band(high)[0])


# --- rejected scores ---------------------------------------------------------------------------


def test_out_of_range_score_is_rejected_into_data_quality_and_the_previous_valid_is_used() -> None:
    facts = device()
    obs = DeviceObservations(
        mgi=(scored(START - hours(2), 0.22, "ok"),),
        rejected_mgi=(scored(START + hours(1), 42.0, "bad"),),
    )
    doc = build(inputs((facts,), {facts.device_id: obs}))
    m = doc.devices[0].mgi_state
    assert (m.current_mgi, m.data_freshness, m.band) == (0.22, "carried_forward", "moderate")
    assert [p.model_dump() for p in doc.data_quality] == [
        {
            "device_id": facts.device_id,
            "field": "mgi_score",
            "value": 42.0,
            "problem": "out_of_range",
        }
    ]


def test_out_of_range_score_is_never_rescaled() -> None:
    obs = DeviceObservations(rejected_mgi=(scored(START, 35.0),))
    doc = build(one_device(obs))
    m = doc.devices[0].mgi_state
    assert (m.current_mgi, m.band, m.data_freshness) == (None, "unknown", "no_data")
    assert doc.session_metrics.avg_mgi is None and doc.session_metrics.max_mgi is None


def test_out_of_range_score_passed_as_valid_is_still_rejected() -> None:
    obs = DeviceObservations(mgi=(scored(START + hours(1), 1.5, "bad"), scored(START, 0.3)))
    doc = build(one_device(obs))
    m = doc.devices[0].mgi_state
    assert (m.current_mgi, m.data_freshness, m.previous_mgi) == (0.3, "current_wake", None)
    assert [(p.field, p.value, p.problem) for p in doc.data_quality] == [
        ("mgi_score", 1.5, "out_of_range")
    ]


def test_negative_score_is_rejected() -> None:
    doc = build(one_device(DeviceObservations(rejected_mgi=(scored(START, -0.01),))))
    assert [(p.value, p.problem) for p in doc.data_quality] == [(-0.01, "out_of_range")]


def test_out_of_range_round_image_is_shown_without_its_score_and_reported_once() -> None:
    bad = scored(START + hours(1), 55.0, "x")
    obs = DeviceObservations(
        rejected_mgi=(bad,),
        images=(image(START + hours(1), 55.0, "x"), image(START + hours(1.5), 0.3, "y")),
    )
    doc = build(one_device(obs))
    scores = [i.mgi_score for i in doc.devices[0].images_this_round]
    assert scores == [None, 0.3]
    assert [(p.value, p.problem) for p in doc.data_quality] == [(55.0, "out_of_range")]


def test_not_finite_score_is_rejected() -> None:
    obs = DeviceObservations(mgi=(scored(START, float("nan")),))
    doc = build(one_device(obs))
    assert doc.devices[0].mgi_state.current_mgi is None
    assert [(p.value, p.problem) for p in doc.data_quality] == [("nan", "not_finite")]


def test_rejected_score_after_the_round_end_is_ignored() -> None:
    doc = build(one_device(DeviceObservations(rejected_mgi=(scored(END, 80.0),))))
    assert doc.data_quality == []


# --- precision ---------------------------------------------------------------------------------


def test_derived_numbers_are_rounded_to_their_stated_precision() -> None:
    newest = scored(START + hours(1), 0.1128, "new")
    previous = scored(START, 0.1005, "old")
    m = mgi_of(DeviceObservations(mgi=(newest, previous)))
    assert (m.current_mgi, m.previous_mgi) == (0.1128, 0.1005)  # inputs as they are
    assert m.delta == 0.0123  # not 0.012299999999999991
    assert m.mgi_velocity.per_hour == 0.0123
    assert m.velocity_per_day == 0.2952  # 6 significant digits
    assert m.speed_per_day == 0.00402857  # 0.1128 / day 28


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (0.0, 0.0),
        (123456789.0, 123457000.0),
        (-0.000123456789, -0.000123457),
        (0.0025000000000000022, 0.0025),
        (1.0, 1.0),
    ],
)
def test_significant_digits(value: float | None, expected: float | None) -> None:
    assert significant(value) == expected
