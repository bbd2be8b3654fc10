"""Documents of other shapes (older platform generators) read leniently: what can be read
is shown, every guess and every unreadable value is named, nothing raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapwatch.inspection.shapes import normalise
from snapwatch.inspection.view import SnapshotView, StoredSnapshot, read_view

AT = datetime(2026, 3, 2, 11, tzinfo=UTC)


def view_of(document: Any) -> SnapshotView:
    return read_view(
        StoredSnapshot(
            snapshot_id=UUID(int=1),
            site_id=UUID(int=2),
            session_id=UUID(int=3),
            wake_number=7,
            wake_round_start=AT,
            wake_round_end=AT,
            created_at=AT,
            site_state=document,
            site_name="Barn (from the row)",
            session_date=None,
        )
    )


def test_a_bare_array_is_read_as_the_devices_with_flat_keys() -> None:
    view = view_of(
        [
            {"device_code": "A", "x": 3, "y": 4, "mgi_score": 0.5, "temperature": 70.1},
            {"device_code": "B", "position": [1, 2], "mgi": 0.05},
        ]
    )
    assert view.shape == "bare array"
    assert view.site_name == "Barn (from the row)" and view.wake_number == 7
    a, b = view.devices
    assert (a.code, a.position, a.mgi, a.band, a.temperature) == ("A", (3, 4), 0.5, "high", 70.1)
    assert (b.position, b.mgi, b.band) == ((1, 2), 0.05, "low")
    assert "bare array of 2 entries" in view.notes[0]


def test_an_unversioned_object_with_renamed_keys_and_devices_keyed_by_id() -> None:
    view = view_of(
        {
            "site": {"site_name": "Old Barn", "dimensions": {"length": 40, "width": 20}},
            "zones": [{"zone_label": "North", "bounds": {"x1": 0, "y1": 0, "x2": 20, "y2": 10}}],
            "devices": {"d-1": {"device_code": "A", "mgi_state": {"current_mgi": 0.3}}},
        }
    )
    assert view.shape == "unversioned"
    assert view.site_name == "Old Barn" and (view.length, view.width) == (40, 20)
    assert [z.label for z in view.zones] == ["North"]
    (device,) = view.devices
    assert (device.device_id, device.code, device.mgi) == ("d-1", "A", 0.3)
    assert any("no schema_version" in n for n in view.notes)
    assert "read 'site' as 'site_metadata'" in view.notes
    assert "read 'zones' as 'environmental_zones'" in view.notes
    assert any("keyed by id" in n for n in view.notes)


def test_json_stored_as_a_json_string_is_read_inside() -> None:
    inner = {"schema_version": 1, "devices": [{"device_code": "A"}]}
    view = view_of(json.dumps(inner))
    assert view.shape == "JSON string"
    assert [d.code for d in view.devices] == ["A"]
    assert any("stored as a JSON string" in n for n in view.notes)


@pytest.mark.parametrize(
    ("document", "shape", "note"),
    [
        (None, "empty", "the document is null, not an object"),
        (42, "empty", "the document is int, not an object"),
        ("not json", "text", "a string, not JSON"),
        (json.dumps("still a string"), "text", "a JSON string holding a string"),
        ({"schema_version": 2, "devices": []}, "schema v2", "schema_version 2 is not version 1"),
    ],
)
def test_what_cannot_be_read_is_named(document: Any, shape: str, note: str) -> None:
    view = view_of(document)
    assert view.shape == shape
    assert any(note in n for n in view.notes), view.notes
    assert view.devices == ()


def test_unreadable_values_are_named_per_device_and_zone() -> None:
    view = view_of(
        {
            "schema_version": 1,
            "devices": [
                {"device_code": "A", "position": {"x": "left"}, "mgi_state": {"current_mgi": "?"}},
                "not a device",
            ],
            "environmental_zones": [{"zone_label": "Fog", "bounds": {"x1": 1}}],
        }
    )
    assert view.shape == "v1"
    a, other = view.devices
    assert a.position is None and a.mgi is None and a.band == "unknown"
    assert other.code == "device #2"
    assert view.zones == ()
    notes = " | ".join(view.notes)
    assert "device A: position {'x': 'left'} unreadable; unplaced" in notes
    assert "device A: MGI '?' is not a number" in notes
    assert "zone Fog: neither bounds nor a circle readable" in notes


def test_a_version_1_document_is_taken_as_it_is() -> None:
    document = {"schema_version": 1, "devices": [{"device_code": "A", "x": 1, "y": 2}]}
    found = normalise(document)
    assert found.shape == "v1" and found.notes == ()
    assert found.document is document  # not rewritten: flat keys are not v1's
    assert view_of(document).devices[0].position is None


def test_device_zones_are_read_as_circles_and_older_member_lists_are_left_unread() -> None:
    members = [f"d-{i}" for i in range(1_000)]
    view = view_of(
        {
            "schema_version": 1,
            "environmental_zones": [
                {
                    "zone_id": "device_zone_d-1",
                    "zone_label": "A Zone",
                    "source": "device",
                    "center": {"x": 20, "y": 10},
                    "radius": 15,
                    "device_id": "d-1",
                    "device_ids": members,
                    "device_count": len(members),
                }
            ],
        }
    )
    (zone,) = view.zones
    assert (zone.source, zone.center, zone.radius, zone.device_id) == (
        "device",
        (20, 10),
        15,
        "d-1",
    )
    assert not hasattr(zone, "device_ids")


def test_findings_name_a_device_by_its_id_and_a_site_finding_names_none() -> None:
    view = view_of({"schema_version": 1, "devices": [{"device_id": "d-1", "device_code": "A"}, {}]})
    assert [d.code for d in view.devices] == ["A", "device #2"]
    assert (view.device_code("d-1"), view.device_code("d-9"), view.device_code(None)) == (
        "A",
        None,
        None,
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=30,
)


@given(json_values)
def test_any_json_value_reads_without_raising(document: Any) -> None:
    view = view_of(document)
    assert isinstance(view.notes, tuple)
