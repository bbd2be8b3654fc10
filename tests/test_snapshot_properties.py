"""Properties of any document built from arbitrary inputs (pitfalls 8, 11, 12, 19, 21)."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snapshot_factory import (
    END,
    GENERATED_AT,
    SETTINGS,
    START,
    as_json,
    build,
    inputs,
    site,
    uid,
    validate,
)

from snapwatch.snapshot.aggregates import to_cents
from snapwatch.snapshot.document import (
    aggregates,
    build_document,
    document_aggregates,
    document_data,
)
from snapwatch.snapshot.inputs import (
    DeviceFacts,
    DeviceObservations,
    RoundAlert,
    RoundImage,
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
maybe = st.none() | st.floats(-50, 250, allow_nan=False)
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
        battery_voltage=draw(st.none() | st.floats(2.5, 4.5)),
        wifi_rssi=draw(st.none() | st.integers(-100, -20)),
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
    lambda n, at, score: RoundImage(uid(f"ri{n}"), None, score, at, "petri", None),
    st.integers(0, 10_000),
    instants,
    st.none() | scores,
)
round_alerts = st.builds(
    lambda n, at: RoundAlert(uid(f"al{n}"), None, "t", "info", None, at),
    st.integers(0, 10_000),
    instants,
)
coordinate = st.none() | st.floats(0, 120, allow_nan=False)


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
            battery_voltage=None,
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
    dims = draw(st.sampled_from([(100.0, 60.0), (None, None), (80.0, None)]))
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


def check(data: RoundInputs, doc: SnapshotDocument) -> None:
    validate(as_json(doc))
    codes = [(d.device_code is None, d.device_code or "", str(d.device_id)) for d in doc.devices]
    assert codes == sorted(codes)
    assert sorted(d.device_id for d in doc.devices) == sorted(d.device_id for d in data.devices)
    for d in doc.devices:
        assert usable_values_only(d)
        assert d.telemetry.captured_at is None or d.telemetry.captured_at < END
        assert d.mgi_state.current_mgi is None or 0 <= d.mgi_state.current_mgi <= 1
        assert d.telemetry.humidity is None or 0 <= d.telemetry.humidity <= 100
        assert all(START <= i.captured_at < END for i in d.images_this_round)
        assert all(i.mgi_score is None or 0 <= i.mgi_score <= 1 for i in d.images_this_round)
    agg = aggregates(doc)
    m = doc.session_metrics
    assert agg.active_devices_count == len(doc.devices)
    assert m.avg_temperature == rounded(mean(d.telemetry.temperature for d in doc.devices))
    assert m.avg_humidity == rounded(mean(d.telemetry.humidity for d in doc.devices))
    assert m.avg_mgi == rounded(mean(d.mgi_state.current_mgi for d in doc.devices))
    assert m.max_mgi == maximum(d.mgi_state.current_mgi for d in doc.devices)
    assert (agg.avg_temperature, agg.avg_humidity) == (
        to_cents(m.avg_temperature),
        to_cents(m.avg_humidity),
    )
    assert (agg.avg_mgi, agg.max_mgi) == (to_cents(m.avg_mgi), to_cents(m.max_mgi))
    counts = m.devices_reporting + m.devices_carried_forward + m.devices_stale
    assert counts + m.devices_without_data == len(doc.devices)
    check_zones(doc)


def check_zones(doc: SnapshotDocument) -> None:
    """Site zones list the placed devices inside them; device zones are one circle per
    placed device, centred on it, listing nobody."""
    by_id = {d.device_id: d for d in doc.devices}
    positions = {
        d.device_id: d.position.model_dump() for d in doc.devices if d.position is not None
    }
    site_zones = [z for z in doc.environmental_zones if isinstance(z, SiteZone)]
    device_zones = [z for z in doc.environmental_zones if isinstance(z, DeviceZone)]
    for zone in site_zones:
        members = [by_id[i] for i in zone.device_ids]
        assert zone.device_count == len(members)
        assert zone.avg_temperature == rounded(mean(d.telemetry.temperature for d in members))
        assert zone.max_mgi == maximum(d.mgi_state.current_mgi for d in members)
        bounds = zone.bounds.model_dump()
        assert zone.device_ids == [i for i, at in positions.items() if inside(bounds, at)]
    assert [z.device_id for z in device_zones] == list(positions)
    for zone in device_zones:
        assert zone.center.model_dump() == positions[zone.device_id]
        assert "device_ids" not in zone.model_dump()


def rounded(value: float | None) -> float | None:
    """Averages are written to 4 decimals."""
    return None if value is None else round(value, 4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(round_inputs())
def test_any_document_is_valid_sorted_complete_and_consistent(data: RoundInputs) -> None:
    check(data, build(data))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(round_inputs())
def test_the_written_text_of_any_document_is_the_validated_document(data: RoundInputs) -> None:
    """What a tick writes (plain data, without the model) is what the model validates."""
    plain = document_data(
        data, generated_at=GENERATED_AT, settings=SETTINGS, generator_version="0.1.0"
    )
    written = json.loads(dumps(plain))
    validate(written)
    assert written == as_json(build(data))
    assert document_aggregates(plain) == aggregates(build(data))


@settings(max_examples=20, deadline=None)
@given(round_inputs())
def test_building_is_deterministic(data: RoundInputs) -> None:
    first = build(data).model_dump_json()
    assert (
        build_document(
            data, generated_at=GENERATED_AT, settings=SETTINGS, generator_version="0.1.0"
        ).model_dump_json()
        == first
    )
