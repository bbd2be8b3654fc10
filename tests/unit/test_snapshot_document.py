"""The whole document: platform keys, order, shapes, metrics and aggregates
(pitfalls 8, 11-13, 18-21)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from support.snapshot_factory import (
    END,
    GENERATED_AT,
    PLAUSIBILITY,
    SETTINGS,
    START,
    alert,
    as_json,
    build,
    device,
    hours,
    image,
    inputs,
    one_device,
    round_,
    scored,
    site,
    telemetry,
    uid,
    validate,
)

from snapwatch.infra.config import SnapshotSettings
from snapwatch.snapshot.aggregates import to_cents
from snapwatch.snapshot.document import aggregates, document_data
from snapwatch.snapshot.inputs import DeviceFacts, DeviceObservations, RoundInputs
from snapwatch.snapshot.jsontext import dumps
from snapwatch.snapshot.model import SnapshotDocument
from snapwatch.snapshot.stats import mean


def full_site() -> RoundInputs:
    """Two placed devices with current data, one carried forward, one unplaced and silent."""
    a = device("a", x=10.0, y=10.0, zone_id=uid("zone"), zone_label="North")
    b = device("b", x=20.0, y=12.0)
    c = device("c", x=70.0, y=40.0)
    d = device("d", x=None, y=None, is_active=False)
    obs = {
        a.device_id: DeviceObservations(
            telemetry=telemetry(START + hours(1), temperature=72.0, humidity=60.0),
            mgi=(scored(START + hours(1), 0.3, "a1"), scored(START - hours(11), 0.2, "a0")),
            images=(image(START + hours(1), 0.3, "a1"),),
            alerts=(alert(START + hours(1), "a1", uid("a")),),
        ),
        b.device_id: DeviceObservations(
            telemetry=telemetry(START + hours(0.5), temperature=68.0, humidity=None),
            mgi=(scored(START + hours(0.5), 0.05, "b1"),),
            images=(image(START + hours(0.5), 0.05, "b1"), image(START + hours(1.5), None, "b2")),
        ),
        c.device_id: DeviceObservations(
            telemetry=telemetry(START - hours(6), temperature=75.5, humidity=58.0),
            mgi=(scored(START - hours(6), 0.45, "c1"),),
        ),
    }
    zones = [{"id": "z1", "label": "North", "bounds": {"x1": 0, "y1": 0, "x2": 30, "y2": 30}}]
    return inputs(
        (d, c, a, b),
        obs,
        site_facts=site(zones=zones),
        site_alerts=(alert(START + hours(0.2), "site"),),
    )


def get(document: Any, path: str) -> Any:
    """Follow a dotted path; ``name[]`` means "the first item of the list ``name``"."""
    value = document
    for part in path.split("."):
        if part.endswith("[]"):
            value = value[part[:-2]]
            assert isinstance(value, list) and value, f"{part} is not a non-empty list"
            value = value[0]
        else:
            assert part in value, f"missing key {part!r} in {path}"
            value = value[part]
    return value


# --- platform key names, exactly (pitfall 20) --------------------------------------------------

PLATFORM_PATHS = [
    "snapshot_metadata.wake_number",
    "snapshot_metadata.wake_round_start",
    "snapshot_metadata.wake_round_end",
    "snapshot_metadata.session_id",
    "site_metadata.site_id",
    "site_metadata.site_name",
    "site_metadata.site_code",
    "site_metadata.site_type",
    "site_metadata.dimensions.length",
    "site_metadata.dimensions.width",
    "site_metadata.dimensions.height",
    "site_metadata.timezone",
    "program_context.program_id",
    "program_context.program_name",
    "program_context.program_start_date",
    "program_context.program_end_date",
    "program_context.program_day",
    "program_context.total_days",
    "devices[].device_id",
    "devices[].device_code",
    "devices[].device_name",
    "devices[].device_mac",
    "devices[].position.x",
    "devices[].position.y",
    "devices[].zone_id",
    "devices[].zone_label",
    "devices[].status",
    "devices[].battery_voltage",
    "devices[].battery_health_percent",
    "devices[].last_seen_at",
    "devices[].telemetry.temperature",
    "devices[].telemetry.humidity",
    "devices[].telemetry.pressure",
    "devices[].telemetry.gas_resistance",
    "devices[].telemetry.wifi_rssi",
    "devices[].telemetry.captured_at",
    "devices[].telemetry.is_current",
    "devices[].telemetry.data_freshness",
    "devices[].telemetry.hours_since_last",
    "devices[].telemetry.wake_payload_id",
    "devices[].telemetry.image_id",
    "devices[].mgi_state.current_mgi",
    "devices[].mgi_state.captured_at",
    "devices[].mgi_state.is_current",
    "devices[].mgi_state.data_freshness",
    "devices[].mgi_state.hours_since_last",
    "devices[].mgi_state.mgi_velocity.per_hour",
    "devices[].images_this_round[].image_id",
    "devices[].images_this_round[].image_url",
    "devices[].images_this_round[].mgi_score",
    "devices[].images_this_round[].captured_at",
    "devices[].images_this_round[].observation_type",
    "devices[].images_this_round[].wake_payload_id",
    "devices[].alerts[].alert_id",
    "devices[].alerts[].alert_type",
    "devices[].alerts[].severity",
    "devices[].alerts[].message",
    "devices[].alerts[].triggered_at",
    "devices[].display.color",
    "devices[].display.shape",
    "devices[].display.size",
    "environmental_zones[].zone_id",
    "environmental_zones[].zone_label",
    "environmental_zones[].bounds.x1",
    "environmental_zones[].bounds.y1",
    "environmental_zones[].bounds.x2",
    "environmental_zones[].bounds.y2",
    "session_metrics.active_devices_count",
    "session_metrics.new_images_this_round",
    "session_metrics.new_alerts_this_round",
]

V1_PATHS = [
    "schema_version",
    "generator.name",
    "generator.version",
    "snapshot_metadata.generated_at",
    "snapshot_metadata.trigger",
    "snapshot_metadata.provisional",
    "snapshot_metadata.late_by_seconds",
    "snapshot_metadata.cadence_hours",
    "snapshot_metadata.skipped_slots",
    "program_context.company_id",
    "program_context.company_name",
    "session.session_id",
    "session.session_date",
    "session.session_start_time",
    "session.session_end_time",
    "session.status",
    "session.expected_wake_count",
    "devices[].telemetry.battery_voltage",
    "devices[].mgi_state.image_id",
    "devices[].mgi_state.previous_mgi",
    "devices[].mgi_state.previous_captured_at",
    "devices[].mgi_state.delta",
    "devices[].mgi_state.velocity_per_day",
    "devices[].mgi_state.speed_per_day",
    "devices[].mgi_state.band",
    "devices[].images_omitted",
    "environmental_zones[].source",
    "environmental_zones[].device_ids",
    "environmental_zones[].device_count",
    "environmental_zones[].avg_temperature",
    "environmental_zones[].avg_humidity",
    "environmental_zones[].avg_mgi",
    "environmental_zones[].max_mgi",
    "session_metrics.devices_reporting",
    "session_metrics.devices_carried_forward",
    "session_metrics.devices_stale",
    "session_metrics.devices_without_data",
    "session_metrics.avg_temperature",
    "session_metrics.avg_humidity",
    "session_metrics.avg_mgi",
    "session_metrics.max_mgi",
    "data_quality",
]


@pytest.mark.parametrize("path", PLATFORM_PATHS + V1_PATHS)
def test_every_key_of_the_document_is_present_by_name(path: str) -> None:
    get(as_json(build(full_site())), path)


DEVICE_ZONE_KEYS = [
    "zone_id",
    "zone_label",
    "center",
    "radius",
    "shape",
    "device_id",
    "device_code",
    "bounds",
]


def test_device_zone_platform_keys_are_present_by_name() -> None:
    zones = as_json(build(full_site()))["environmental_zones"]
    device_zone = next(z for z in zones if z["source"] == "device")
    for key in DEVICE_ZONE_KEYS:
        assert key in device_zone
    assert set(device_zone["center"]) == {"x", "y"}
    assert device_zone["zone_id"].startswith("device_zone_")


def test_map_ui_reads_velocity_from_the_nested_object() -> None:
    doc = as_json(build(full_site()))
    a = doc["devices"][0]
    assert a["device_code"] == "DEVICE-A"
    assert a["mgi_state"]["mgi_velocity"]["per_hour"] == pytest.approx(0.1 / 12, rel=1e-5)
    assert a["mgi_state"]["velocity_per_day"] == pytest.approx(0.2, rel=1e-5)
    assert "velocity_per_hour" not in a["mgi_state"]  # the nested object holds it, once


def test_schema_version_and_generator() -> None:
    doc = as_json(build(full_site()))
    assert doc["schema_version"] == 1
    assert doc["generator"] == {"name": "snapwatch", "version": "0.1.0"}


def test_snapshot_metadata_describes_the_round() -> None:
    rnd = round_(trigger="catch_up", provisional=True, late_by_seconds=12.5, skipped_slots=3)
    doc = as_json(build(inputs(round_facts=rnd)))
    assert doc["snapshot_metadata"] == {
        "wake_number": 4,
        "wake_round_start": "2026-11-28T12:00:00+00:00",
        "wake_round_end": "2026-11-28T14:00:00+00:00",
        "session_id": str(uid("session")),
        "generated_at": "2026-11-28T14:02:00+00:00",
        "trigger": "catch_up",
        "provisional": True,
        "late_by_seconds": 12.5,
        "cadence_hours": 2.0,
        "skipped_slots": 3,
        "locf_max_age_hours": 48.0,
    }


def test_session_block() -> None:
    doc = as_json(build(inputs()))
    assert doc["session"] == {
        "session_id": str(uid("session")),
        "session_date": "2026-11-28",
        "session_start_time": "2026-11-28T05:00:00+00:00",
        "session_end_time": "2026-11-29T05:00:00+00:00",
        "status": "in_progress",
        "expected_wake_count": 12,
    }


# --- devices -----------------------------------------------------------------------------------


def test_devices_come_out_sorted_by_device_code_with_missing_codes_last() -> None:
    no_code_1 = device("n1", device_code=None)
    no_code_2 = device("n2", device_code=None)
    coded = [device(n, device_code=f"DEVICE-ESP32S3-{n}") for n in ("010", "002", "008")]
    unordered = (no_code_2, coded[0], no_code_1, coded[2], coded[1])
    doc = build(inputs(unordered))
    codes = [d.device_code for d in doc.devices]
    assert codes == ["DEVICE-ESP32S3-002", "DEVICE-ESP32S3-008", "DEVICE-ESP32S3-010", None, None]
    tail = sorted([no_code_1.device_id, no_code_2.device_id], key=str)
    assert [d.device_id for d in doc.devices[3:]] == tail


def test_every_device_is_listed_even_without_any_observation() -> None:
    devices = tuple(device(f"d{i}") for i in range(5))
    doc = build(inputs(devices))
    assert {d.device_id for d in doc.devices} == {d.device_id for d in devices}
    assert doc.session_metrics.devices_without_data == 5


def test_unplaced_device_has_null_position_and_is_still_listed() -> None:
    doc = as_json(build(inputs((device("a", x=None, y=None), device("b", x=0.0, y=None)))))
    assert [d["position"] for d in doc["devices"]] == [None, None]


def test_device_at_the_origin_keeps_its_real_position() -> None:
    doc = as_json(build(inputs((device("a", x=0.0, y=0.0),))))
    assert doc["devices"][0]["position"] == {"x": 0.0, "y": 0.0}


def test_status_comes_from_is_active() -> None:
    doc = build(inputs((device("a", is_active=True), device("b", is_active=False))))
    assert [d.status for d in doc.devices] == ["active", "inactive"]


def test_device_row_fields_are_copied() -> None:
    d = build(full_site()).devices[0]
    assert (d.zone_id, d.zone_label) == (uid("zone"), "North")
    assert (d.battery_voltage, d.battery_health_percent) == (3.9, 87)
    assert d.last_seen_at == START + hours(1)


def test_temperature_is_reported_in_fahrenheit_as_stored() -> None:
    doc = build(one_device(DeviceObservations(telemetry=telemetry(START, temperature=21.5))))
    assert doc.units.temperature == "°F"
    assert doc.devices[0].telemetry.temperature == 21.5  # no guess, no conversion
    assert doc.session_metrics.avg_temperature == 21.5


def test_images_and_alerts_are_those_of_the_round_oldest_first() -> None:
    facts = device("a")
    obs = DeviceObservations(
        images=(
            image(START + hours(1.5), 0.2, "late"),
            image(START - hours(1), 0.1, "before"),
            image(START, 0.1, "first"),
            image(END, 0.1, "after"),
        ),
        alerts=(alert(END, "after"), alert(START + hours(1), "in"), alert(START - hours(1), "x")),
    )
    d = build(inputs((facts,), {facts.device_id: obs})).devices[0]
    assert [i.captured_at for i in d.images_this_round] == [START, START + hours(1.5)]
    assert [a.triggered_at for a in d.alerts] == [START + hours(1)]


# --- serialisation -----------------------------------------------------------------------------


def test_times_are_iso_utc_with_offset_even_from_other_zones() -> None:
    from zoneinfo import ZoneInfo

    local = START.astimezone(ZoneInfo("America/New_York"))
    facts = device("a", last_seen_at=local)
    obs = {facts.device_id: DeviceObservations(telemetry=telemetry(local))}
    doc = as_json(build(inputs((facts,), obs)))
    assert doc["devices"][0]["last_seen_at"] == "2026-11-28T12:00:00+00:00"
    assert doc["devices"][0]["telemetry"]["captured_at"] == "2026-11-28T12:00:00+00:00"
    assert "Z" not in json.dumps(doc["snapshot_metadata"])


def _numbers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value]


def test_numbers_stay_json_numbers() -> None:
    doc = as_json(build(full_site()))
    metrics = doc["session_metrics"]
    for key in ("avg_temperature", "avg_humidity", "avg_mgi", "max_mgi"):
        assert isinstance(metrics[key], float)
    t = doc["devices"][0]["telemetry"]
    assert isinstance(t["temperature"], float) and isinstance(t["wifi_rssi"], int)
    for value in _numbers(doc):
        if isinstance(value, str):
            with pytest.raises(ValueError):
                float(value)


def test_document_round_trips_through_json() -> None:
    doc = build(full_site())
    assert SnapshotDocument.model_validate_json(doc.model_dump_json()) == doc


def twenty_devices(images_per_device: int = 1) -> RoundInputs:
    """A full round: every device reports telemetry and ``images_per_device`` images (the
    newest scored), has two scores, three site zones, a few alerts."""
    spots = [(10.0 + 20.0 * (i % 5), 7.5 + 15.0 * (i // 5)) for i in range(20)]
    return full_round(spots, images_per_device)


def packed_room(count: int) -> RoundInputs:
    """``twenty_devices`` with ``count`` devices on a square grid filling 100 × 50 ft: at
    2,000 about 280 devices lie within 15 ft of each one."""
    step = math.sqrt(100.0 * 50.0 / count)
    per_row = math.ceil(100.0 / step)
    spots = [(step * (0.5 + i % per_row), step * (0.5 + i // per_row)) for i in range(count)]
    return full_round(spots)


def full_round(spots: list[tuple[float, float]], images_per_device: int = 1) -> RoundInputs:
    """A device at each of ``spots``, each reporting as in ``twenty_devices``."""
    devices = tuple(
        device(f"d{i:02d}", device_code=f"DEVICE-ESP32S3-{i:03d}", x=x, y=y)
        for i, (x, y) in enumerate(spots)
    )
    obs = {
        d.device_id: DeviceObservations(
            telemetry=telemetry(START + hours(1), image_id=uid(f"img{i}"), temperature=71.37),
            mgi=(scored(START + hours(1), 0.3137, f"{i}a"), scored(START - hours(1), 0.2921)),
            images=tuple(
                image(
                    START + hours(1) - timedelta(minutes=k),
                    0.3137,
                    f"{i}a" if k == 0 else f"{i}-{k}",
                )
                for k in range(images_per_device)
            ),
            alerts=(alert(START + hours(1), f"{i}", d.device_id),) if i < 3 else (),
        )
        for i, d in enumerate(devices)
    }
    zones = [
        {
            "id": f"zone-{i}",
            "label": f"Bay {i}",
            "bounds": {"x1": 0, "y1": 20 * i, "x2": 100, "y2": 20 * i + 20},
        }
        for i in range(3)
    ]
    return inputs(devices, obs, site_facts=site(zones=zones))


def written_text(data: RoundInputs, settings: SnapshotSettings = SETTINGS) -> str:
    """The document exactly as a tick writes it (plain data, compact JSON)."""
    return dumps(
        document_data(
            data,
            generated_at=GENERATED_AT,
            settings=settings,
            plausibility=PLAUSIBILITY,
            generator_version="0.1.0",
        )
    )


def test_twenty_device_document_stays_under_50_kb() -> None:
    """Measured as written (compact JSON) and as spaced JSON text."""
    doc = build(twenty_devices())
    compact = len(doc.model_dump_json().encode())
    spaced = len(json.dumps(doc.model_dump(mode="json"), ensure_ascii=False).encode())
    assert compact < 45_000, compact
    assert spaced < 48_000, spaced
    assert len(written_text(twenty_devices()).encode()) == compact


@pytest.mark.parametrize("data", [full_site(), twenty_devices(), twenty_devices(15)])
def test_the_written_text_is_the_validated_document(data: RoundInputs) -> None:
    """A tick writes plain data without the model; it is the model's document, key for
    key and number for number, and valid against the schema."""
    written = json.loads(written_text(data))
    validate(written)
    assert written == as_json(build(data))


def test_written_numbers_carry_no_float_noise() -> None:
    text = written_text(twenty_devices())
    assert not re.findall(r"\d\.\d{9,}", text)


def test_images_beyond_the_bound_are_counted_not_listed() -> None:
    facts = device("a")
    shots = tuple(
        image(START + timedelta(minutes=5 * k), None if k else 40.0, f"i{k}") for k in range(15)
    )  # the oldest has another scorer's 0-100 score
    doc = build(inputs((facts,), {facts.device_id: DeviceObservations(images=shots)}))
    d = doc.devices[0]
    assert [i.captured_at for i in d.images_this_round] == [s.captured_at for s in shots[3:]]
    assert d.images_omitted == 3
    assert doc.session_metrics.new_images_this_round == 15
    assert aggregates(doc).new_images_this_round == 15
    assert [(p.field, p.value) for p in doc.data_quality] == [("mgi_score", 40.0)]


def test_the_image_bound_is_configurable_down_to_none() -> None:
    facts = device("a")
    shots = (image(START, 0.1, "x"), image(START + hours(1), 0.2, "y"))
    data = inputs((facts,), {facts.device_id: DeviceObservations(images=shots)})
    one = build(data, SnapshotSettings(images_per_device_max=1)).devices[0]
    assert ([i.mgi_score for i in one.images_this_round], one.images_omitted) == ([0.2], 1)
    none = build(data, SnapshotSettings(images_per_device_max=0)).devices[0]
    assert (none.images_this_round, none.images_omitted) == ([], 2)


def test_a_long_cadence_cannot_grow_the_document_without_bound() -> None:
    """24 images per device in the round (hourly wakes, a daily snapshot) weigh what 12
    do: the older ones are only counted."""
    bounded = len(written_text(twenty_devices(24)))
    twelve = len(written_text(twenty_devices(12)))
    assert abs(bounded - twelve) < 100
    assert bounded < len(written_text(twenty_devices(13))) + 100


def test_device_zones_carry_no_members_and_no_averages_site_zones_do() -> None:
    zones = as_json(build(twenty_devices()))["environmental_zones"]
    device_zone = next(z for z in zones if z["source"] == "device")
    site_zone = next(z for z in zones if z["source"] == "site")
    assert not {"device_ids", "device_count", "avg_temperature", "max_mgi"} & set(device_zone)
    assert (site_zone["device_count"], site_zone["avg_temperature"]) == (5, 71.37)


def test_bytes_per_device_do_not_grow_with_device_density() -> None:
    """A room packed with 2,000 devices costs what 20 spread out do, per device (pitfall
    36: member lists of device zones grew with the square of the density)."""
    sparse = len(written_text(twenty_devices()).encode()) / 20
    dense = len(written_text(packed_room(2_000)).encode()) / 2_000
    assert dense == pytest.approx(sparse, rel=0.2), (sparse, dense)


# --- JSON Schema (pitfall 19) ------------------------------------------------------------------


def test_document_with_an_extra_key_is_rejected_by_the_schema() -> None:
    doc = as_json(build(full_site()))
    doc["devices"][0]["telemetry"]["temperature_c"] = 22.0
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_document_with_a_number_as_text_is_rejected_by_the_schema() -> None:
    doc = as_json(build(full_site()))
    doc["session_metrics"]["avg_temperature"] = "71.5"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_document_with_a_time_not_in_utc_is_rejected_by_the_schema() -> None:
    doc = as_json(build(full_site()))
    doc["snapshot_metadata"]["generated_at"] = "2026-11-28T09:02:00-05:00"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_bare_array_is_not_a_document() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(as_json(build(full_site()))["devices"])


def test_naive_generated_at_is_refused() -> None:
    from pydantic import ValidationError

    from snapwatch.infra.config import SnapshotSettings
    from snapwatch.snapshot.document import build_document

    with pytest.raises(ValidationError):
        build_document(
            inputs(),
            generated_at=GENERATED_AT.replace(tzinfo=None),
            settings=SnapshotSettings(),
            plausibility=PLAUSIBILITY,
            generator_version="0.1.0",
        )


# --- session metrics and aggregates (pitfalls 11-13) -------------------------------------------


def test_session_metrics_of_a_full_site() -> None:
    m = build(full_site()).session_metrics
    assert m.active_devices_count == 4
    assert m.new_images_this_round == 3
    assert m.new_alerts_this_round == 2  # one device alert + one site alert
    assert (m.devices_reporting, m.devices_carried_forward) == (2, 1)
    assert (m.devices_stale, m.devices_without_data) == (0, 1)
    assert m.avg_temperature == round((72.0 + 68.0 + 75.5) / 3, 4)
    assert m.avg_humidity == 59.0  # b's NULL humidity is not a 0
    assert m.avg_mgi == round((0.3 + 0.05 + 0.45) / 3, 4)
    assert m.max_mgi == 0.45


def test_site_alerts_outside_the_round_do_not_count() -> None:
    late = alert(END, "late")
    doc = build(inputs(site_alerts=(late, alert(START, "in"))))
    assert doc.session_metrics.new_alerts_this_round == 1


def test_freshness_counts_add_up_to_the_devices() -> None:
    devices = tuple(device(f"d{i}") for i in range(4))
    rows = [START, START - hours(5), START - hours(80), None]
    obs = {
        d.device_id: DeviceObservations(telemetry=telemetry(at) if at else None)
        for d, at in zip(devices, rows, strict=True)
    }
    m = build(inputs(devices, obs)).session_metrics
    counts = (m.devices_reporting, m.devices_carried_forward, m.devices_stale)
    assert (*counts, m.devices_without_data) == (1, 1, 1, 1)


def test_aggregate_of_a_zero_temperature_is_zero() -> None:
    doc = build(one_device(DeviceObservations(telemetry=telemetry(START, temperature=0.0))))
    assert doc.session_metrics.avg_temperature == 0.0
    assert aggregates(doc).avg_temperature == Decimal("0.00")


def test_aggregates_are_null_not_zero_when_no_device_has_a_value() -> None:
    obs = DeviceObservations(
        telemetry=telemetry(START - hours(100)), mgi=(scored(START - hours(100), 0.3),)
    )
    agg = aggregates(build(one_device(obs)))
    assert agg.active_devices_count == 1
    assert [agg.avg_temperature, agg.avg_humidity, agg.avg_mgi, agg.max_mgi] == [None] * 4
    empty = aggregates(build(inputs()))
    assert (empty.active_devices_count, empty.avg_temperature, empty.max_mgi) == (0, None, None)


def test_aggregates_equal_the_documents_device_values_rounded_to_cents() -> None:
    doc = build(full_site())
    agg = aggregates(doc)
    devices = doc.devices
    assert agg.active_devices_count == len(devices)
    assert agg.new_images_this_round == sum(
        len(d.images_this_round) + d.images_omitted for d in devices
    )
    temps = [d.telemetry.temperature for d in devices]
    mgis = [d.mgi_state.current_mgi for d in devices]
    assert agg.avg_temperature == to_cents(round(mean(temps) or 0, 4))
    assert agg.avg_humidity == to_cents(round(mean(d.telemetry.humidity for d in devices) or 0, 4))
    assert agg.avg_mgi == to_cents(round(mean(mgis) or 0, 4))
    assert agg.max_mgi == to_cents(max(m for m in mgis if m is not None))
    assert agg.avg_temperature == Decimal("71.83")
    assert agg.avg_mgi == Decimal("0.27")


def test_aggregates_round_half_away_from_zero_like_numeric() -> None:
    assert to_cents(0.125) == Decimal("0.13")
    assert to_cents(70.005) == Decimal("70.01")
    assert to_cents(-0.125) == Decimal("-0.13")
    assert to_cents(None) is None


def test_document_keeps_averages_to_4_decimals_and_the_columns_round_them_to_cents() -> None:
    facts = (device("a"), device("b"), device("c"))
    values = (70.1, 70.2, 70.4)
    obs = {
        f.device_id: DeviceObservations(telemetry=telemetry(START, temperature=v))
        for f, v in zip(facts, values, strict=True)
    }
    doc = build(inputs(facts, obs))
    assert doc.session_metrics.avg_temperature == round(math.fsum(values) / 3, 4) == 70.2333
    assert aggregates(doc).avg_temperature == Decimal("70.23")


def test_stale_and_rejected_values_never_reach_the_averages() -> None:
    fresh, stale = device("a"), device("b")
    obs = {
        fresh.device_id: DeviceObservations(
            telemetry=telemetry(START, temperature=70.0, humidity=140.0),
            rejected_mgi=(scored(START, 60.0),),
        ),
        stale.device_id: DeviceObservations(
            telemetry=telemetry(START - timedelta(days=5), temperature=10.0),
            mgi=(scored(START - timedelta(days=5), 0.9),),
        ),
    }
    agg = aggregates(build(inputs((fresh, stale), obs)))
    assert (agg.avg_temperature, agg.avg_humidity, agg.avg_mgi) == (Decimal("70.00"), None, None)


def test_devices_and_observations_are_not_confused() -> None:
    a, b = device("a"), device("b")
    obs = {b.device_id: DeviceObservations(telemetry=telemetry(START, temperature=80.0))}
    doc = build(inputs((a, b), obs))
    assert [d.telemetry.temperature for d in doc.devices] == [None, 80.0]


def test_inputs_are_left_unchanged() -> None:
    data = full_site()
    before = replace(data)
    build(data)
    assert data == before
    assert isinstance(data.devices[0], DeviceFacts)


@pytest.mark.parametrize(
    ("trigger", "noted"),
    [("catch_up", True), ("backfill", True), ("schedule", False), ("force", False)],
)
def test_a_reconstructed_round_read_without_placement_history_says_its_roster_is_todays(
    trigger: str, noted: bool
) -> None:
    today = replace(inputs((device(),)), round=round_(trigger=trigger), roster_from_today=True)
    doc = build(today)
    notes = [p for p in doc.data_quality if p.problem == "roster_as_of_today"]
    assert len(notes) == int(noted)
    if noted:
        [note] = notes
        assert (note.device_id, note.field) == (None, "devices")
        assert isinstance(note.value, str) and "device_site_assignments" in note.value
    as_of_round = replace(today, roster_from_today=False)
    assert not [p for p in build(as_of_round).data_quality if p.problem == "roster_as_of_today"]
