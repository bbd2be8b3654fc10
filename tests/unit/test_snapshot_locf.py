"""Last observation carried forward, for telemetry and MGI separately (pitfalls 8-10, 14, 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.snapshot_factory import END, START, build, hours, one_device, scored, telemetry

from snapwatch.infra.config import SnapshotSettings
from snapwatch.snapshot.inputs import DeviceObservations
from snapwatch.snapshot.locf import Window, classify
from snapwatch.snapshot.model import MgiState, Telemetry

MAX_AGE = SnapshotSettings().locf_max_age_hours


def telemetry_of(obs: DeviceObservations, settings: SnapshotSettings | None = None) -> Telemetry:
    doc = build(one_device(obs), settings or SnapshotSettings())
    return doc.devices[0].telemetry


def mgi_of(obs: DeviceObservations, settings: SnapshotSettings | None = None) -> MgiState:
    doc = build(one_device(obs), settings or SnapshotSettings())
    return doc.devices[0].mgi_state


# --- telemetry: the four cases -----------------------------------------------------------------


def test_telemetry_captured_inside_the_round_is_current() -> None:
    row = telemetry(START + hours(1), temperature=68.25)
    t = telemetry_of(DeviceObservations(telemetry=row))
    assert (t.data_freshness, t.is_current) == ("current_wake", True)
    assert t.temperature == 68.25
    assert t.captured_at == row.captured_at
    assert t.wake_payload_id == row.payload_id
    assert t.hours_since_last == 1.0


def test_telemetry_before_the_round_within_max_age_is_carried_forward_with_its_age() -> None:
    row = telemetry(START - hours(3.5), temperature=70.0)
    t = telemetry_of(DeviceObservations(telemetry=row))
    assert (t.data_freshness, t.is_current) == ("carried_forward", False)
    assert t.temperature == 70.0
    assert t.captured_at == row.captured_at
    assert t.hours_since_last == 5.5  # measured from the round end


def test_telemetry_older_than_max_age_is_stale_with_null_values_and_its_age() -> None:
    row = telemetry(END - hours(MAX_AGE + 10))
    t = telemetry_of(DeviceObservations(telemetry=row))
    assert (t.data_freshness, t.is_current) == ("stale", False)
    assert t.hours_since_last == MAX_AGE + 10
    assert t.captured_at == row.captured_at
    assert [t.temperature, t.humidity, t.pressure, t.gas_resistance] == [None] * 4
    assert [t.wifi_rssi, t.battery_voltage, t.wake_payload_id, t.image_id] == [None] * 4


def test_telemetry_without_any_payload_is_no_data_and_the_device_is_still_listed() -> None:
    doc = build(one_device(DeviceObservations()))
    assert len(doc.devices) == 1
    t = doc.devices[0].telemetry
    assert (t.data_freshness, t.is_current, t.hours_since_last) == ("no_data", False, None)
    assert t.captured_at is None and t.temperature is None


# --- telemetry: boundaries ---------------------------------------------------------------------


def test_telemetry_captured_exactly_at_round_start_is_current() -> None:
    t = telemetry_of(DeviceObservations(telemetry=telemetry(START)))
    assert t.data_freshness == "current_wake"


def test_telemetry_captured_exactly_at_round_end_is_ignored() -> None:
    t = telemetry_of(DeviceObservations(telemetry=telemetry(END, temperature=99.0)))
    assert t.data_freshness == "no_data"
    assert t.temperature is None


def test_telemetry_exactly_max_age_before_round_end_is_carried_forward() -> None:
    t = telemetry_of(DeviceObservations(telemetry=telemetry(END - hours(MAX_AGE))))
    assert t.data_freshness == "carried_forward"
    assert t.hours_since_last == MAX_AGE


def test_telemetry_just_over_max_age_is_stale() -> None:
    at = END - hours(MAX_AGE) - timedelta(seconds=1)
    t = telemetry_of(DeviceObservations(telemetry=telemetry(at)))
    assert t.data_freshness == "stale"
    assert t.temperature is None


def test_max_age_is_configurable() -> None:
    obs = DeviceObservations(telemetry=telemetry(END - hours(13)))
    assert telemetry_of(obs).data_freshness == "carried_forward"
    short = SnapshotSettings(locf_max_age_hours=12)
    assert telemetry_of(obs, short).data_freshness == "stale"
    assert mgi_of(DeviceObservations(mgi=(scored(END - hours(13), 0.2),)), short).band == "unknown"


# --- telemetry: partial rows and sanity --------------------------------------------------------


def test_partial_telemetry_row_keeps_its_null_fields_null_and_its_values() -> None:
    row = telemetry(
        START + hours(1),
        temperature=None,
        humidity=48.5,
        pressure=None,
        gas_resistance=None,
        battery_voltage=None,
        wifi_rssi=None,
    )
    t = telemetry_of(DeviceObservations(telemetry=row))
    assert t.data_freshness == "current_wake"
    assert t.humidity == 48.5
    assert [t.temperature, t.pressure, t.gas_resistance, t.battery_voltage, t.wifi_rssi] == [
        None
    ] * 5


def test_carried_partial_row_keeps_its_null_fields_null() -> None:
    row = telemetry(START - hours(2), temperature=None, humidity=40.0)
    t = telemetry_of(DeviceObservations(telemetry=row))
    assert t.data_freshness == "carried_forward"
    assert (t.temperature, t.humidity) == (None, 40.0)


@pytest.mark.parametrize("humidity", [-0.1, 100.5, 250.0])
def test_humidity_outside_0_to_100_is_kept_reported_and_not_averaged(humidity: float) -> None:
    data = one_device(DeviceObservations(telemetry=telemetry(START, humidity=humidity)))
    doc = build(data)
    assert doc.devices[0].telemetry.humidity == humidity
    assert doc.devices[0].telemetry.temperature == 71.5
    assert doc.session_metrics.avg_humidity is None
    [problem] = doc.data_quality
    assert problem.model_dump() == {
        "device_id": doc.devices[0].device_id,
        "field": "humidity",
        "value": humidity,
        "problem": "implausible",
    }


@pytest.mark.parametrize("humidity", [0.0, 100.0])
def test_humidity_at_0_and_100_is_kept(humidity: float) -> None:
    t = telemetry_of(DeviceObservations(telemetry=telemetry(START, humidity=humidity)))
    assert t.humidity == humidity


def test_not_finite_telemetry_is_null_and_reported() -> None:
    data = one_device(DeviceObservations(telemetry=telemetry(START, pressure=float("nan"))))
    doc = build(data)
    assert doc.devices[0].telemetry.pressure is None
    assert [(p.field, p.value, p.problem) for p in doc.data_quality] == [
        ("pressure", "nan", "not_finite")
    ]


def test_stale_telemetry_is_not_checked_or_reported() -> None:
    row = telemetry(END - hours(MAX_AGE + 1), humidity=180.0)
    assert build(one_device(DeviceObservations(telemetry=row))).data_quality == []


# --- MGI: the four cases -----------------------------------------------------------------------


def test_mgi_captured_inside_the_round_is_current() -> None:
    image = scored(START + hours(0.5), 0.3)
    m = mgi_of(DeviceObservations(mgi=(image,)))
    assert (m.data_freshness, m.is_current, m.current_mgi) == ("current_wake", True, 0.3)
    assert (m.image_id, m.captured_at, m.hours_since_last) == (
        image.image_id,
        image.captured_at,
        1.5,
    )


def test_mgi_before_the_round_within_max_age_is_carried_forward_with_its_age() -> None:
    m = mgi_of(DeviceObservations(mgi=(scored(START - hours(22), 0.12),)))
    assert (m.data_freshness, m.is_current, m.current_mgi) == ("carried_forward", False, 0.12)
    assert m.hours_since_last == 24.0
    assert m.band == "moderate"


def test_mgi_older_than_max_age_is_stale_with_null_score_and_unknown_band() -> None:
    old = scored(END - hours(MAX_AGE + 0.25), 0.9)
    m = mgi_of(DeviceObservations(mgi=(old, scored(old.captured_at - hours(5), 0.8))))
    assert (m.data_freshness, m.is_current, m.current_mgi) == ("stale", False, None)
    assert m.hours_since_last == MAX_AGE + 0.25
    assert m.band == "unknown"
    assert [m.previous_mgi, m.delta, m.mgi_velocity.per_hour, m.speed_per_day, m.image_id] == [
        None
    ] * 5


def test_mgi_without_any_score_is_no_data() -> None:
    m = mgi_of(DeviceObservations(telemetry=telemetry(START)))
    assert (m.data_freshness, m.current_mgi, m.hours_since_last, m.band) == (
        "no_data",
        None,
        None,
        "unknown",
    )


# --- MGI: boundaries ---------------------------------------------------------------------------


def test_mgi_captured_exactly_at_round_start_is_current() -> None:
    assert mgi_of(DeviceObservations(mgi=(scored(START, 0.2),))).data_freshness == "current_wake"


def test_mgi_captured_at_round_end_is_ignored_and_the_older_score_is_used() -> None:
    obs = DeviceObservations(mgi=(scored(END, 0.9), scored(START - hours(1), 0.05)))
    m = mgi_of(obs)
    assert (m.data_freshness, m.current_mgi) == ("carried_forward", 0.05)
    assert m.previous_mgi is None


def test_mgi_exactly_max_age_before_round_end_is_carried_forward() -> None:
    m = mgi_of(DeviceObservations(mgi=(scored(END - hours(MAX_AGE), 0.2),)))
    assert (m.data_freshness, m.current_mgi) == ("carried_forward", 0.2)


def test_mgi_just_over_max_age_is_stale() -> None:
    at = END - hours(MAX_AGE) - timedelta(seconds=1)
    m = mgi_of(DeviceObservations(mgi=(scored(at, 0.2),)))
    assert (m.data_freshness, m.current_mgi) == ("stale", None)


def test_telemetry_and_mgi_are_carried_forward_separately() -> None:
    obs = DeviceObservations(
        telemetry=telemetry(START + hours(1)),
        mgi=(scored(START - hours(30), 0.2),),
    )
    device = build(one_device(obs)).devices[0]
    assert device.telemetry.data_freshness == "current_wake"
    assert device.mgi_state.data_freshness == "carried_forward"
    stale_mgi = DeviceObservations(telemetry=obs.telemetry, mgi=(scored(START - hours(60), 0.2),))
    device = build(one_device(stale_mgi)).devices[0]
    assert device.telemetry.data_freshness == "current_wake"
    assert device.mgi_state.data_freshness == "stale"


# --- the rule itself, on arbitrary instants ----------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@given(
    captured=instants,
    start=instants,
    length_min=st.integers(1, 24 * 60),
    max_age=st.floats(0.25, 200),
)
def test_freshness_follows_the_half_open_round_and_the_max_age(
    captured: datetime, start: datetime, length_min: int, max_age: float
) -> None:
    window = Window(start, start + timedelta(minutes=length_min))
    locf = classify(captured, window, max_age)
    if captured >= window.end:
        assert locf.freshness == "no_data" and locf.hours_since_last is None
        return
    age = window.end - captured
    assert locf.hours_since_last == round(age.total_seconds() / 3600, 2)
    if window.start <= captured:
        assert locf.freshness == "current_wake" and locf.is_current
    elif age <= timedelta(hours=max_age):
        assert locf.freshness == "carried_forward" and locf.usable and not locf.is_current
    else:
        assert locf.freshness == "stale" and not locf.usable
