"""The snapshot diff on hand-made documents: read by the lenient reader, then compared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import pytest

from snapwatch.inspection.diff import (
    DeviceChange,
    SnapshotDiff,
    diff_snapshots,
    round_image_count,
)
from snapwatch.inspection.view import SnapshotView, StoredSnapshot, read_view

NS = UUID("0b6f3c1e-5d2a-4e8f-9a71-2c4d6e8f0a13")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def uid(name: str) -> UUID:
    return uuid5(NS, name)


def device(
    code: str,
    mgi: float | None = 0.05,
    *,
    fresh: str = "carried_forward",
    telemetry: str = "carried_forward",
    images: int = 0,
    omitted: int = 0,
    alerts: int = 0,
) -> dict[str, Any]:
    """A version-1 device entry with only what the diff reads."""
    return {
        "device_id": str(uid(code)),
        "device_code": code,
        "mgi_state": {"current_mgi": mgi, "data_freshness": fresh},
        "telemetry": {"data_freshness": telemetry},
        "images_this_round": [
            {"image_id": str(uid(f"{code}-image-{i}")), "mgi_score": mgi} for i in range(images)
        ],
        "images_omitted": omitted,
        "alerts": [
            {"alert_id": str(uid(f"{code}-alert-{i}")), "alert_type": "mgi_high"}
            for i in range(alerts)
        ],
    }


def view(wake: int, state: Any) -> SnapshotView:
    start = START + timedelta(hours=wake - 1)
    return read_view(
        StoredSnapshot(
            snapshot_id=uid(f"snapshot-{wake}"),
            site_id=uid("site"),
            session_id=uid("session"),
            wake_number=wake,
            wake_round_start=start,
            wake_round_end=start + timedelta(hours=1),
            created_at=start + timedelta(hours=1, minutes=5),
            site_state=state,
            site_name="Hand Barn",
            session_date=START.date(),
        )
    )


def doc(*devices: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "devices": list(devices)}


def diff(before: list[dict[str, Any]], now: list[dict[str, Any]]) -> SnapshotDiff:
    return diff_snapshots(view(3, doc(*now)), view(2, doc(*before)))


def codes(changes: tuple[DeviceChange, ...]) -> list[str]:
    return [c.code for c in changes]


def test_a_band_change_is_listed_with_both_bands_and_values() -> None:
    result = diff(
        [device("A", 0.05), device("B", 0.2)],
        [device("A", 0.45, fresh="current_wake"), device("B", 0.2)],
    )
    (change,) = result.band_changes
    assert (change.code, change.band_from, change.band_to) == ("A", "low", "high")
    assert (change.previous_mgi, change.current_mgi, change.mgi_delta) == (0.05, 0.45, 0.4)
    assert change.band_changed and change.mgi_moved and change.new_mgi_data
    assert change.changed
    assert codes(result.devices) == ["A", "B"]


def test_largest_moves_are_ordered_by_size_of_move_and_skip_devices_that_did_not_move() -> None:
    result = diff(
        [device(c, 0.3) for c in "ABCDEF"],
        [
            device("A", 0.32),  # +0.02
            device("B", 0.1),  # -0.2
            device("C", 0.3),  # no move
            device("D", 0.45),  # +0.15
            device("E", None, fresh="no_data"),  # no value now: no delta
            device("F", 0.1),  # -0.2, ties with B: current order
        ],
    )
    assert codes(result.largest_moves(10)) == ["B", "F", "D", "A"]
    assert codes(result.largest_moves(2)) == ["B", "F"]
    assert result.largest_moves(0) == ()
    with pytest.raises(ValueError):
        result.largest_moves(-1)
    moved = {c.code: c.mgi_moved for c in result.devices}
    assert moved == {"A": True, "B": True, "C": False, "D": True, "E": True, "F": True}


def test_devices_that_went_stale_or_lost_data_and_devices_that_came_back() -> None:
    result = diff(
        [
            device("A", 0.1, fresh="current_wake"),
            device("B", 0.1, fresh="carried_forward"),
            device("C", None, fresh="stale"),
            device("D", None, fresh="no_data"),
            device("E", None, fresh="stale"),
        ],
        [
            device("A", None, fresh="stale"),
            device("B", None, fresh="no_data"),
            device("C", 0.2, fresh="current_wake"),
            device("D", 0.2, fresh="carried_forward"),
            device("E", None, fresh="no_data"),  # still without data: neither
        ],
    )
    assert codes(result.went_stale) == ["A", "B"]
    assert codes(result.came_back) == ["C", "D"]
    e = result.devices[-1]
    assert not e.went_stale and not e.came_back
    assert e.changed and e.mgi_freshness_changed and not e.mgi_moved


def test_new_images_and_alerts_of_the_round_are_counted_per_device() -> None:
    result = diff(
        [device("A"), device("B"), device("C")],
        [
            device("A", images=2, omitted=3),
            device("B", alerts=2),
            device("C"),
            device("D", images=1, alerts=1),  # added: its round items count too
        ],
    )
    assert [(d.code, round_image_count(d)) for d in result.new_images] == [("A", 5), ("D", 1)]
    assert [(d.code, len(d.alerts)) for d in result.new_alerts] == [("B", 2), ("D", 1)]
    assert (result.image_total, result.alert_total) == (6, 3)
    a, b, c = result.devices
    assert (a.image_count, len(a.new_images), a.alert_count) == (5, 2, 0)
    assert (b.image_count, b.alert_count, b.new_alerts[0].alert_type) == (0, 2, "mgi_high")
    assert a.changed and b.changed and not c.changed
    assert not (a.band_changed or a.mgi_moved or a.mgi_freshness_changed)


def test_rows_list_the_changed_devices_only_or_every_device() -> None:
    result = diff(
        [device("A"), device("B"), device("C"), device("D")],
        [
            device("A"),
            device("B", telemetry="current_wake"),
            device("C"),
            device("D", 0.06),
        ],
    )
    assert codes(result.rows(changed_only=True)) == ["B", "D"]
    assert codes(result.rows()) == ["B", "D"]
    assert codes(result.rows(changed_only=False)) == ["A", "B", "C", "D"]
    assert result.unchanged_count == 2
    b = result.devices[1]
    assert b.telemetry_freshness_changed and b.new_telemetry and not b.mgi_freshness_changed


def test_without_a_previous_snapshot_there_is_nothing_to_compare() -> None:
    current = view(2, doc(device("A", images=1, alerts=1), device("B")))
    result = diff_snapshots(current, None)
    assert result.previous is None and result.current is current
    assert result.devices == ()
    assert result.added == result.removed == ()
    assert result.rows(changed_only=False) == () and result.unchanged_count == 0
    assert result.band_changes == result.largest_moves(5) == ()
    assert result.went_stale == result.came_back == ()
    assert result.new_images == result.new_alerts == ()
    assert (result.image_total, result.alert_total) == (0, 0)


def test_devices_added_and_removed_are_matched_by_id() -> None:
    renamed = {**device("B"), "device_code": "B-2"}  # same id, new code: the same device
    result = diff([device("A"), device("B"), device("C")], [renamed, device("D"), device("A")])
    assert [d.code for d in result.added] == ["D"]
    assert [d.code for d in result.removed] == ["C"]
    assert codes(result.devices) == ["B-2", "A"]


def test_old_shape_documents_without_images_or_freshness_still_compare() -> None:
    # a bare array of flat devices (an older generator): no images, alerts or freshness
    before = [{"device_code": "OLD-1", "mgi": 0.08}, {"device_code": "OLD-2", "mgi": 0.3}]
    now = [{"device_code": "OLD-1", "mgi": 0.3}, {"device_code": "OLD-2", "mgi": 0.3}]
    result = diff_snapshots(view(3, now), view(2, before))
    assert result.current.shape == "bare array"
    one, two = result.devices
    assert (one.band_from, one.band_to, one.mgi_delta) == ("low", "elevated", 0.22)
    assert one.mgi_freshness_from is None and one.mgi_freshness_to is None
    assert not one.went_stale and not one.came_back
    assert (one.image_count, one.alert_count) == (0, 0)
    assert result.new_images == result.new_alerts == ()
    assert codes(result.rows()) == ["OLD-1"] and not two.changed


def test_an_old_shape_previous_against_a_version_1_current() -> None:
    before = [{"device_code": "A", "mgi": 0.05}]
    now = doc({**device("A", 0.05, fresh="current_wake", images=1), "device_id": None})
    result = diff_snapshots(view(3, now), view(2, before))
    (change,) = result.devices  # matched by code: neither has an id
    assert change.mgi_freshness_from is None and change.mgi_freshness_to == "current_wake"
    assert change.changed and change.mgi_freshness_changed and not change.mgi_moved
    assert not change.came_back  # unknown before: not "stale or no data"
