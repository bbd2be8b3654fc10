"""Environmental zones: site rectangles and device circles (pitfalls 20, 21, 36)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.snapshot_factory import (
    START,
    as_json,
    build,
    device,
    hours,
    inputs,
    scored,
    site,
    telemetry,
    validate,
)

from snapwatch.infra.config import SnapshotSettings
from snapwatch.snapshot.inputs import DeviceFacts, DeviceObservations
from snapwatch.snapshot.model import DeviceZone, SiteZone, SnapshotDocument
from snapwatch.snapshot.zones import circle_bounds, parse_site_zones

RECT = {"id": "z1", "label": "North beds", "bounds": {"x1": 0, "y1": 0, "x2": 50, "y2": 30}}


def doc_with(
    devices: tuple[DeviceFacts, ...],
    obs: dict[Any, DeviceObservations] | None = None,
    **site_changes: Any,
) -> SnapshotDocument:
    return build(inputs(devices, obs, site_facts=site(**site_changes)))


def site_zones(doc: SnapshotDocument) -> list[SiteZone]:
    return [z for z in doc.environmental_zones if isinstance(z, SiteZone)]


def device_zones(doc: SnapshotDocument) -> list[DeviceZone]:
    return [z for z in doc.environmental_zones if isinstance(z, DeviceZone)]


# --- site zones --------------------------------------------------------------------------------


def test_site_zone_members_are_devices_inside_its_bounds_edges_included() -> None:
    inside = device("a", x=10.0, y=10.0)
    on_edge = device("b", x=50.0, y=30.0)
    outside = device("c", x=50.5, y=10.0)
    unplaced = device("d", x=None, y=None)
    doc = doc_with((inside, on_edge, outside, unplaced), zones=[{**RECT, "risk_level": "high"}])
    [zone] = site_zones(doc)
    assert (zone.zone_id, zone.zone_label, zone.source, zone.risk_level) == (
        "z1",
        "North beds",
        "site",
        "high",
    )
    assert zone.bounds.model_dump() == {"x1": 0.0, "y1": 0.0, "x2": 50.0, "y2": 30.0}
    assert zone.device_ids == [inside.device_id, on_edge.device_id]
    assert zone.device_count == 2


def test_site_zone_averages_use_current_or_carried_values_and_never_stale() -> None:
    a, b, c = device("a", x=1.0, y=1.0), device("b", x=2.0, y=2.0), device("c", x=3.0, y=3.0)
    obs = {
        a.device_id: DeviceObservations(
            telemetry=telemetry(START, temperature=70.0, humidity=50.0),
            mgi=(scored(START, 0.2),),
        ),
        b.device_id: DeviceObservations(
            telemetry=telemetry(START - hours(10), temperature=74.0, humidity=None),
            mgi=(scored(START - hours(10), 0.4),),
        ),
        c.device_id: DeviceObservations(
            telemetry=telemetry(START - hours(100), temperature=200.0, humidity=99.0),
            mgi=(scored(START - hours(100), 0.9),),
        ),
    }
    [zone] = site_zones(doc_with((a, b, c), obs, zones=[RECT]))
    assert zone.device_count == 3
    assert zone.avg_temperature == 72.0
    assert zone.avg_humidity == 50.0
    assert zone.avg_mgi == pytest.approx(0.3)
    assert zone.max_mgi == 0.4


def test_zone_without_values_has_null_averages_not_zero() -> None:
    [zone] = site_zones(doc_with((device("a"),), zones=[RECT]))
    assert zone.device_count == 1
    assert [zone.avg_temperature, zone.avg_humidity, zone.avg_mgi, zone.max_mgi] == [None] * 4


def test_empty_zone_has_no_devices_and_null_averages() -> None:
    empty = {**RECT, "bounds": {"x1": 80, "y1": 40, "x2": 90, "y2": 50}}
    [zone] = site_zones(doc_with((device("a"),), zones=[empty]))
    assert (zone.device_ids, zone.device_count, zone.avg_mgi) == ([], 0, None)


def test_malformed_site_zones_are_skipped_into_data_quality() -> None:
    zones = [
        RECT,
        "not an object",
        {"id": "z2", "label": "no bounds"},
        {"id": "z3", "bounds": {"x1": 0, "y1": 0, "x2": "10", "y2": 5}},
        {"label": "no id", "bounds": RECT["bounds"]},
        {"id": True, "bounds": RECT["bounds"]},
        {"id": "z1", "label": "duplicate id", "bounds": RECT["bounds"]},
        {"id": 7, "bounds": {"x1": 10, "y1": 20, "x2": 0, "y2": 0}, "risk_level": 3},
    ]
    doc = doc_with((device("a"),), zones=zones)
    assert [(z.zone_id, z.zone_label) for z in site_zones(doc)] == [
        ("z1", "North beds"),
        ("7", "7"),
    ]
    reversed_corners = site_zones(doc)[1]
    assert reversed_corners.bounds.model_dump() == {"x1": 0.0, "y1": 0.0, "x2": 10.0, "y2": 20.0}
    assert reversed_corners.risk_level == "3"
    assert [(p.device_id, p.field, p.problem) for p in doc.data_quality] == [
        (None, f"zones[{i}]", "malformed_zone") for i in (1, 2, 3, 4, 5, 6)
    ]


@pytest.mark.parametrize("raw", [None, []])
def test_missing_site_zones_mean_no_site_zones(raw: Any) -> None:
    doc = doc_with((device("a"),), zones=raw)
    assert site_zones(doc) == [] and doc.data_quality == []


def test_site_zones_that_are_not_a_list_are_reported() -> None:
    specs, issues = parse_site_zones({"id": "z1"})
    assert specs == []
    assert [(p["field"], p["problem"]) for p in issues] == [("zones", "malformed_zones")]


# --- device zones ------------------------------------------------------------------------------


def test_device_zone_is_a_circle_around_a_placed_device() -> None:
    d = device("a", x=30.0, y=20.0, device_name="Bench A")
    [zone] = device_zones(doc_with((d,)))
    assert zone.zone_id == f"device_zone_{d.device_id}"
    assert zone.zone_label == "Bench A Zone"
    assert (zone.source, zone.shape, zone.radius) == ("device", "circle", 15.0)
    assert (zone.device_id, zone.device_code) == (d.device_id, d.device_code)
    assert zone.center.model_dump() == {"x": 30.0, "y": 20.0}
    assert zone.bounds.model_dump() == {"x1": 15.0, "y1": 5.0, "x2": 45.0, "y2": 35.0}


def test_device_zone_label_falls_back_to_the_device_code() -> None:
    [zone] = device_zones(doc_with((device("a", device_name=None),)))
    assert zone.zone_label == "DEVICE-A Zone"


def test_device_zone_radius_is_configurable() -> None:
    d = device("a", x=50.0, y=30.0)
    doc = build(inputs((d,)), SnapshotSettings(device_zone_radius_ft=5))
    [zone] = device_zones(doc)
    assert zone.radius == 5.0
    assert zone.bounds.model_dump() == {"x1": 45.0, "y1": 25.0, "x2": 55.0, "y2": 35.0}


def test_device_zone_bounds_are_clamped_to_the_site() -> None:
    [zone] = device_zones(doc_with((device("a", x=5.0, y=55.0),)))
    assert zone.bounds.model_dump() == {"x1": 0.0, "y1": 40.0, "x2": 20.0, "y2": 60.0}


def test_device_zone_bounds_are_not_clamped_when_the_site_has_no_dimensions() -> None:
    doc = doc_with((device("a", x=5.0, y=55.0),), length=None, width=None, height=None)
    assert doc.site_metadata.dimensions.model_dump() == {
        "length": None,
        "width": None,
        "height": None,
    }
    [zone] = device_zones(doc)
    assert zone.bounds.model_dump() == {"x1": -10.0, "y1": 40.0, "x2": 20.0, "y2": 70.0}


def test_device_zone_is_clamped_only_on_the_known_axis() -> None:
    [zone] = device_zones(doc_with((device("a", x=5.0, y=55.0),), width=None))
    assert zone.bounds.model_dump() == {"x1": 0.0, "y1": 40.0, "x2": 20.0, "y2": 70.0}


DEVICE_ZONE_KEYS = {
    "zone_id",
    "zone_label",
    "bounds",
    "source",
    "center",
    "radius",
    "shape",
    "device_id",
    "device_code",
}
"""What the platform's own generator wrote for a device-centred zone, and nothing else."""


def test_device_zones_have_the_platform_generators_keys_and_no_members_or_averages() -> None:
    """Six devices within a foot of each other, one far off, one unplaced: a zone per
    placed device, none listing the devices in its circle (pitfall 36)."""
    near = tuple(device(f"n{i}", x=10.0 + i % 2, y=10.0) for i in range(6))
    far, unplaced = device("far", x=90.0, y=50.0), device("u", x=None, y=None)
    zones = as_json(doc_with((*near, far, unplaced)))["environmental_zones"]
    assert len(zones) == 7
    assert all(set(z) == DEVICE_ZONE_KEYS for z in zones)
    assert sorted(z["device_id"] for z in zones) == sorted(str(d.device_id) for d in (*near, far))


def test_a_device_zone_with_a_member_list_is_not_a_valid_document() -> None:
    doc = as_json(doc_with((device("a"),)))
    [zone] = doc["environmental_zones"]
    zone["device_ids"], zone["device_count"] = [zone["device_id"]], 1
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_half_placed_device_has_no_position_and_no_zone() -> None:
    d = device("a", x=12.0, y=None)
    doc = doc_with((d,))
    assert doc.devices[0].position is None
    assert device_zones(doc) == []


def test_site_zones_come_before_device_zones() -> None:
    doc = doc_with((device("a"), device("b", x=40.0)), zones=[RECT])
    assert [z.source for z in doc.environmental_zones] == ["site", "device", "device"]


coords = st.floats(0, 200, allow_nan=False)


@given(x=coords, y=coords, radius=st.floats(0.5, 100), length=coords, width=coords)
def test_clamped_circle_bounds_stay_inside_the_site(
    x: float, y: float, radius: float, length: float, width: float
) -> None:
    b = circle_bounds({"x": x, "y": y}, radius, length, width)
    assert 0 <= b["x1"] <= b["x2"] <= length
    assert 0 <= b["y1"] <= b["y2"] <= width
