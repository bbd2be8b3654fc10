"""Environmental zones: site rectangles and device circles (pitfalls 20, 21)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from snapshot_factory import START, build, device, hours, inputs, scored, site, telemetry

from snapwatch.config import SnapshotSettings
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
    assert zone.device_ids == [d.device_id]


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


def test_device_zone_members_are_placed_devices_within_the_radius_edge_included() -> None:
    a = device("a", x=10.0, y=10.0)
    edge = device("b", x=19.0, y=22.0)  # distance 15
    far = device("c", x=19.0, y=22.1)
    unplaced = device("d", x=None, y=None)
    doc = doc_with((a, edge, far, unplaced))
    zones = {z.device_id: z for z in device_zones(doc)}
    assert set(zones) == {a.device_id, edge.device_id, far.device_id}
    assert zones[a.device_id].device_ids == [a.device_id, edge.device_id]
    assert zones[far.device_id].device_ids == [edge.device_id, far.device_id]
    assert all(unplaced.device_id not in z.device_ids for z in doc.environmental_zones)


def test_half_placed_device_has_no_position_and_no_zone() -> None:
    d = device("a", x=12.0, y=None)
    doc = doc_with((d,))
    assert doc.devices[0].position is None
    assert device_zones(doc) == []


def test_device_zone_points_to_its_members_values_instead_of_repeating_them() -> None:
    a, b = device("a", x=10.0, y=10.0), device("b", x=12.0, y=10.0)
    obs = {
        a.device_id: DeviceObservations(telemetry=telemetry(START, temperature=0.0)),
        b.device_id: DeviceObservations(telemetry=telemetry(START - hours(60), temperature=90.0)),
    }
    doc = doc_with((a, b), obs)
    by_id = {d.device_id: d for d in doc.devices}
    for zone in device_zones(doc):
        assert not hasattr(zone, "avg_temperature")
        temps = [by_id[i].telemetry.temperature for i in zone.device_ids]
        assert temps == [0.0, None]  # b is stale: its value is null in the document


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
