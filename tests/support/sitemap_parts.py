"""Shared test helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from snapwatch.inspection.view import SnapshotView, StoredSnapshot, read_view

NS = UUID("9a3e5c71-2b4d-4f6a-8c1e-7d5b3a9f0e24")


START = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)


MGI = {"low": 0.05, "moderate": 0.2, "elevated": 0.3, "high": 0.6}


def uid(name: str) -> UUID:
    return uuid5(NS, name)


def device(
    code: str,
    x: float | None,
    y: float | None,
    band: str = "low",
    *,
    fresh: str = "current_wake",
) -> dict[str, Any]:
    """A version-1 device entry with what the map reads; ``band`` ``none`` has no MGI."""
    mgi = MGI.get(band)
    return {
        "device_id": str(uid(code)),
        "device_code": code,
        "position": None if x is None or y is None else {"x": x, "y": y},
        "mgi_state": {
            "current_mgi": mgi,
            "band": band if mgi is not None else "unknown",
            "data_freshness": fresh if mgi is not None else "no_data",
        },
    }


def site_zone(label: str, x1: float, y1: float, x2: float, y2: float) -> dict[str, Any]:
    return {
        "zone_id": label,
        "zone_label": label,
        "source": "site",
        "bounds": {"x1": x1, "y1": y1, "x2": x2, "y2": y2},
    }


def device_zone(code: str, x: float, y: float, radius: float) -> dict[str, Any]:
    return {
        "zone_id": f"device_zone_{uid(code)}",
        "zone_label": f"{code} Zone",
        "source": "device",
        "center": {"x": x, "y": y},
        "radius": radius,
        "shape": "circle",
        "device_id": str(uid(code)),
        "device_code": code,
    }


def snapshot(
    devices: list[dict[str, Any]],
    length: float | None = 100.0,
    width: float | None = 50.0,
    zones: list[dict[str, Any]] | None = None,
) -> SnapshotView:
    state = {
        "schema_version": 1,
        "site_metadata": {
            "site_name": "Map Barn",
            "dimensions": {"length": length, "width": width, "height": 10},
        },
        "devices": devices,
        "environmental_zones": zones or [],
    }
    return read_view(
        StoredSnapshot(
            snapshot_id=uid("snapshot"),
            site_id=uid("site"),
            session_id=uid("session"),
            wake_number=3,
            wake_round_start=START,
            wake_round_end=START + timedelta(hours=1),
            created_at=START + timedelta(hours=1, minutes=2),
            site_state=state,
            site_name="Map Barn",
            session_date=START.date(),
        )
    )


def key(code: str) -> str:
    return str(uid(code))
