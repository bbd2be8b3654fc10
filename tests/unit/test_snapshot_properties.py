"""Properties of any document built from arbitrary inputs (pitfalls 8, 11, 12, 19, 21, 35)."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.snapshot_factory import (
    END,
    GENERATED_AT,
    PLAUSIBILITY,
    SETTINGS,
    START,
    as_json,
    build,
    inputs,
    site,
    uid,
    validate,
)

from snapwatch.infra.config import PlausibilitySettings
from snapwatch.snapshot.aggregates import to_cents
from snapwatch.snapshot.document import (
    aggregates,
    build_document,
    document_aggregates,
    document_data,
)
from snapwatch.snapshot.inputs import (
    CapturedImage,
    DeviceFacts,
    DeviceObservations,
    RoundAlert,
    RoundInputs,
    ScoredImage,
    TelemetryRow,
)
from snapwatch.snapshot.jsontext import dumps
from snapwatch.snapshot.model import Device, DeviceZone, SiteZone, SnapshotDocument
from snapwatch.snapshot.stats import maximum, mean
from snapwatch.snapshot.zones import inside

# Instants from well before the round (stale) to after its end (must be ignored).
instants = st.integers(-80 * 60, 3 * 60).map(lambda m: START + timedelta(minutes=m))
# Ordinary readings, sensor error codes, huge and tiny numbers, NaN and ±Infinity.
extremes = st.sampled_from([65535.0, -65535.0, 1e9, -1e9, 1e308, -1e308, 5e-324, 999.995])
maybe = st.one_of(st.none(), st.floats(-50, 250, allow_nan=False), st.floats(), extremes)
scores = st.one_of(st.floats(0, 1), st.floats(-2, 100, allow_nan=False), st.just(0.1))


@st.composite
def telemetry_rows(draw: st.DrawFn) -> TelemetryRow:
    return TelemetryRow(
        payload_id=uid(f"p{draw(st.integers())}"),
        captured_at=draw(instants),
        temperature=draw(maybe),
        humidity=draw(maybe),
        pressure=draw(maybe),
        gas_resistance=draw(maybe),
        battery_voltage=draw(st.none() | st.floats(2.5, 4.5) | st.floats()),
        wifi_rssi=draw(st.none() | st.integers(-100, -20) | st.integers(-300, 300)),
        image_id=None,
    )


def scored_images(name: str) -> st.SearchStrategy[tuple[ScoredImage, ...]]:
    one = st.builds(
        lambda n, at, score: ScoredImage(uid(f"{name}{n}"), at, score),
        st.integers(0, 10_000),
        instants,
        scores,
    )
    return st.lists(one, max_size=3).map(
        lambda xs: tuple(sorted(xs, key=lambda s: s.captured_at, reverse=True))
    )


round_images = st.builds(
    lambda n, at, score: CapturedImage(uid(f"ri{n}"), None, score, at, "petri", None),
    st.integers(0, 10_000),
    instants,
    st.none() | scores,
)
round_alerts = st.builds(
    lambda n, at: RoundAlert(uid(f"al{n}"), None, "t", "info", None, at),
    st.integers(0, 10_000),
    instants,
)
coordinate = st.one_of(
    st.none(), st.floats(0, 120, allow_nan=False), st.sampled_from([-5.0, 1e9]), st.floats()
)
# The default bounds, or bounds so wide that every finite reading is plausible (and the
# statistics of the aggregate columns may not fit them).
bounds = st.sampled_from(
    [
        PlausibilitySettings(),
        PlausibilitySettings(
            temperature_min_f=-1e308,
            temperature_max_f=1e308,
            humidity_min_percent=-1e308,
            humidity_max_percent=1e308,
        ),
    ]
)


@st.composite
def round_inputs(draw: st.DrawFn) -> RoundInputs:
    count = draw(st.integers(0, 8))
    devices: list[DeviceFacts] = []
    observations: dict[UUID, DeviceObservations] = {}
    for i in range(count):
        facts = DeviceFacts(
            device_id=uid(f"dev{i}"),
            device_code=draw(st.none() | st.sampled_from(["A-1", "A-2", "B-10", "B-9", "C"])),
            device_name=draw(st.none() | st.just(f"Bench {i}")),
            device_mac=f"mac{i}",
            x=draw(coordinate),
            y=draw(coordinate),
            zone_id=None,
            zone_label=None,
            is_active=draw(st.booleans()),
            provisioning_status=None,
            battery_voltage=draw(st.none() | st.floats(2.5, 4.5) | maybe),
            battery_health_percent=None,
            last_seen_at=None,
        )
        devices.append(facts)
        observations[facts.device_id] = DeviceObservations(
            telemetry=draw(st.none() | telemetry_rows()),
            mgi=draw(scored_images(f"m{i}-")),
            rejected_mgi=draw(scored_images(f"r{i}-")),
            images=tuple(draw(st.lists(round_images, max_size=3))),
            alerts=tuple(draw(st.lists(round_alerts, max_size=2))),
        )
    zones = [
        {"id": "z", "bounds": {"x1": 0, "y1": 0, "x2": draw(st.integers(0, 120)), "y2": 60}},
        draw(st.sampled_from([{"id": "bad"}, "junk", {"id": "ok", "bounds": {}}])),
    ]
    dims = draw(st.sampled_from([(100.0, 60.0), (None, None), (80.0, None), (0.0, 50.0)]))
    return inputs(
        tuple(devices),
        observations,
        site_facts=site(zones=zones, length=dims[0], width=dims[1]),
        site_alerts=tuple(draw(st.lists(round_alerts, max_size=2))),
    )


def usable_values_only(device: Device) -> bool:
    t, m = device.telemetry, device.mgi_state
    t_ok = t.data_freshness in ("current_wake", "carried_forward") or (
        t.temperature is None and t.humidity is None and t.pressure is None
    )
    m_ok = m.data_freshness in ("current_wake", "carried_forward") or m.current_mgi is None
    return t_ok and m_ok


def reading_bounds(p: PlausibilitySettings) -> dict[str, tuple[float, float]]:
    """The configured bounds of each checked reading, restated."""
    return {
        "temperature": (p.temperature_min_f, p.temperature_max_f),
        "humidity": (p.humidity_min_percent, p.humidity_max_percent),
        "pressure": (p.pressure_min_hpa, p.pressure_max_hpa),
        "gas_resistance": (p.gas_resistance_min_ohm, math.inf),
        "battery_voltage": (p.battery_min_volts, p.battery_max_volts),
        "wifi_rssi": (p.rssi_min_dbm, p.rssi_max_dbm),
    }


def outside(value: float | None, low: float, high: float) -> bool:
    return value is not None and not low <= value <= high


def implausible_fields(d: Device, p: PlausibilitySettings) -> set[str]:
    """The fields of a device entry whose value is outside its bounds (the battery
    voltage of the device row and of the telemetry share one field name)."""
    values = [(f, getattr(d.telemetry, f)) for f in reading_bounds(p)]
    values.append(("battery_voltage", d.battery_voltage))
    return {f for f, v in values if outside(v, *reading_bounds(p)[f])}


def outside_site_fields(facts: DeviceFacts, data: RoundInputs, p: PlausibilitySettings) -> set[str]:
    margin = p.position_margin_ft
    found = set()
    for field, value, extent in (
        ("x_position", facts.x, data.site.length),
        ("y_position", facts.y, data.site.width),
    ):
        far = extent + margin if extent is not None and extent > 0 else math.inf
        if value is not None and math.isfinite(value) and outside(value, -margin, far):
            found.add(field)
    return found


def named(doc: SnapshotDocument, problem: str) -> set[tuple[UUID | None, str]]:
    return {(q.device_id, q.field) for q in doc.data_quality if q.problem == problem}


def plausible_values(
    devices: list[Device], field: str, implausible: set[tuple[UUID | None, str]]
) -> list[float | None]:
    """The devices' values of ``field`` that averages count: not named implausible."""
    return [getattr(d.telemetry, field) for d in devices if (d.device_id, field) not in implausible]


def fits_numeric_5_2(value: float) -> bool:
    """|value| ≤ 999.99 once rounded half away from zero to cents (values of 4 decimals)."""
    return abs(value) < 999.995


def check(data: RoundInputs, doc: SnapshotDocument, p: PlausibilitySettings) -> None:
    validate(as_json(doc))
    codes = [(d.device_code is None, d.device_code or "", str(d.device_id)) for d in doc.devices]
    assert codes == sorted(codes)
    assert sorted(d.device_id for d in doc.devices) == sorted(d.device_id for d in data.devices)
    implausible = named(doc, "implausible")
    for d in doc.devices:
        assert usable_values_only(d)
        assert d.telemetry.captured_at is None or d.telemetry.captured_at < END
        assert d.mgi_state.current_mgi is None or 0 <= d.mgi_state.current_mgi <= 1
        assert {f for i, f in implausible if i == d.device_id} == implausible_fields(d, p)
        assert all(START <= i.captured_at < END for i in d.images_this_round)
        assert all(i.mgi_score is None or 0 <= i.mgi_score <= 1 for i in d.images_this_round)
    placed_outside = named(doc, "outside_site")
    by_id = {d.device_id: d for d in doc.devices}
    for facts in data.devices:
        assert {f for i, f in placed_outside if i == facts.device_id} == outside_site_fields(
            facts, data, p
        )
        position = by_id[facts.device_id].position
        assert position is None or (position.x, position.y) == (facts.x, facts.y)  # as stored
    agg = aggregates(doc)
    m = doc.session_metrics
    unstorable = named(doc, "not_storable")
    assert agg.active_devices_count == len(doc.devices)
    expected = {
        "avg_temperature": rounded(mean(plausible_values(doc.devices, "temperature", implausible))),
        "avg_humidity": rounded(mean(plausible_values(doc.devices, "humidity", implausible))),
        "avg_mgi": rounded(mean(d.mgi_state.current_mgi for d in doc.devices)),
        "max_mgi": maximum(d.mgi_state.current_mgi for d in doc.devices),
    }
    for name, value in expected.items():
        stored = value is None or fits_numeric_5_2(value)
        assert getattr(m, name) == (value if stored else None), name
        assert ((None, name) in unstorable) == (not stored), name
    assert (agg.avg_temperature, agg.avg_humidity) == (
        to_cents(m.avg_temperature),
        to_cents(m.avg_humidity),
    )
    assert (agg.avg_mgi, agg.max_mgi) == (to_cents(m.avg_mgi), to_cents(m.max_mgi))
    counts = m.devices_reporting + m.devices_carried_forward + m.devices_stale
    assert counts + m.devices_without_data == len(doc.devices)
    check_zones(doc, implausible)


def check_zones(doc: SnapshotDocument, implausible: set[tuple[UUID | None, str]]) -> None:
    """Site zones list the placed devices inside them, averaging their plausible values;
    device zones are one circle per placed device, centred on it, listing nobody."""
    by_id = {d.device_id: d for d in doc.devices}
    positions = {
        d.device_id: d.position.model_dump() for d in doc.devices if d.position is not None
    }
    site_zones = [z for z in doc.environmental_zones if isinstance(z, SiteZone)]
    device_zones = [z for z in doc.environmental_zones if isinstance(z, DeviceZone)]
    for zone in site_zones:
        members = [by_id[i] for i in zone.device_ids]
        assert zone.device_count == len(members)
        temperatures = plausible_values(members, "temperature", implausible)
        assert zone.avg_temperature == rounded(mean(temperatures))
        humidities = plausible_values(members, "humidity", implausible)
        assert zone.avg_humidity == rounded(mean(humidities))
        assert zone.max_mgi == maximum(d.mgi_state.current_mgi for d in members)
        bounds = zone.bounds.model_dump()
        assert zone.device_ids == [i for i, at in positions.items() if inside(bounds, at)]
    assert [z.device_id for z in device_zones] == list(positions)
    for device_zone in device_zones:
        assert device_zone.center.model_dump() == positions[device_zone.device_id]
        assert "device_ids" not in device_zone.model_dump()


def rounded(value: float | None) -> float | None:
    """Averages are written to 4 decimals."""
    return None if value is None else round(value, 4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(round_inputs(), bounds)
def test_any_document_is_valid_sorted_complete_and_consistent(
    data: RoundInputs, plausibility: PlausibilitySettings
) -> None:
    """Including: a value outside its bounds is named and kept but never averaged, and the
    aggregate columns equal the session metrics, which they can always hold."""
    check(data, build(data, plausibility=plausibility), plausibility)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(round_inputs(), bounds)
def test_the_written_text_of_any_document_is_the_validated_document(
    data: RoundInputs, plausibility: PlausibilitySettings
) -> None:
    """What a tick writes (plain data, without the model) is what the model validates."""
    plain = document_data(
        data,
        generated_at=GENERATED_AT,
        settings=SETTINGS,
        plausibility=plausibility,
        generator_version="0.1.0",
    )
    written = json.loads(dumps(plain))
    validate(written)
    built = build(data, plausibility=plausibility)
    assert written == as_json(built)
    assert document_aggregates(plain) == aggregates(built)


@settings(max_examples=20, deadline=None)
@given(round_inputs())
def test_building_is_deterministic(data: RoundInputs) -> None:
    first = build(data).model_dump_json()
    assert (
        build_document(
            data,
            generated_at=GENERATED_AT,
            settings=SETTINGS,
            plausibility=PLAUSIBILITY,
            generator_version="0.1.0",
        ).model_dump_json()
        == first
    )
