"""Environmental zones: site rectangles from ``sites.zones`` and circles around devices.

Site zones list their members (placed devices only) and average the members' document
values. Device-centred zones are only a circle and its device, with no members: a zone
per device and a member list per zone would grow with the square of device density.
Zones are built as plain data, from the devices' plain-data entries, in time linear in
the devices (times the site's zones).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from snapwatch.snapshot.quality import Issue, finite, issue
from snapwatch.snapshot.stats import averages

BOUND_KEYS = ("x1", "y1", "x2", "y2")


@dataclass(frozen=True)
class SiteZoneSpec:
    zone_id: str
    label: str
    bounds: dict[str, float]
    risk_level: str | None


def parse_site_zones(raw: Any) -> tuple[list[SiteZoneSpec], list[Issue]]:
    """The well-formed entries of ``sites.zones`` (``[{id, label, bounds{x1,y1,x2,y2},
    risk_level}]``); every other entry is skipped and reported. Reversed corners are
    put in order."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [issue(None, "zones", _text(raw), "malformed_zones")]
    specs: list[SiteZoneSpec] = []
    issues: list[Issue] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        spec = _spec(entry)
        if spec is None or spec.zone_id in seen:
            issues.append(issue(None, f"zones[{index}]", _text(entry), "malformed_zone"))
            continue
        seen.add(spec.zone_id)
        specs.append(spec)
    return specs, issues


def _spec(entry: Any) -> SiteZoneSpec | None:
    if not isinstance(entry, dict):
        return None
    zone_id = entry.get("id")
    if isinstance(zone_id, bool) or not isinstance(zone_id, str | int) or zone_id == "":
        return None
    raw_bounds = entry.get("bounds")
    if not isinstance(raw_bounds, dict):
        return None
    corners = [finite(raw_bounds.get(key)) for key in BOUND_KEYS]
    x1, y1, x2, y2 = corners
    if x1 is None or y1 is None or x2 is None or y2 is None:
        return None
    label = entry.get("label")
    risk = entry.get("risk_level")
    return SiteZoneSpec(
        zone_id=str(zone_id),
        label=label if isinstance(label, str) and label else str(zone_id),
        bounds={"x1": min(x1, x2), "y1": min(y1, y2), "x2": max(x1, x2), "y2": max(y1, y2)},
        risk_level=None if risk is None or isinstance(risk, bool | dict | list) else str(risk),
    )


def _text(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def inside(bounds: Mapping[str, float], position: Mapping[str, float]) -> bool:
    """Edges included."""
    x, y = position["x"], position["y"]
    return bounds["x1"] <= x <= bounds["x2"] and bounds["y1"] <= y <= bounds["y2"]


def site_zones(
    specs: Sequence[SiteZoneSpec], devices: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One ``SiteZone`` per well-formed entry of ``sites.zones``."""
    placed = [d for d in devices if d["position"] is not None]
    zones: list[dict[str, Any]] = []
    for spec in specs:
        members = [d for d in placed if inside(spec.bounds, d["position"])]
        zones.append(
            {
                "zone_id": spec.zone_id,
                "zone_label": spec.label,
                "bounds": dict(spec.bounds),
                "device_ids": [d["device_id"] for d in members],
                "device_count": len(members),
                "source": "site",
                "risk_level": spec.risk_level,
                **averages(members),
            }
        )
    return zones


def circle_bounds(
    center: Mapping[str, float], radius: float, length: float | None, width: float | None
) -> dict[str, float]:
    """The circle's bounding box, clamped to ``[0, length] × [0, width]`` on each axis
    whose extent is known."""

    def clamp(value: float, extent: float | None) -> float:
        return value if extent is None else min(max(value, 0.0), extent)

    x, y = center["x"], center["y"]
    return {
        "x1": clamp(x - radius, length),
        "y1": clamp(y - radius, width),
        "x2": clamp(x + radius, length),
        "y2": clamp(y + radius, width),
    }


def device_zones(
    devices: Sequence[dict[str, Any]], radius: float, length: float | None, width: float | None
) -> list[dict[str, Any]]:
    """One ``DeviceZone`` per placed device (``device_zone_<device_id>``), without
    members or averages; unplaced devices get none."""
    return [_device_zone(d, radius, length, width) for d in devices if d["position"] is not None]


def _device_zone(
    device: Mapping[str, Any], radius: float, length: float | None, width: float | None
) -> dict[str, Any]:
    """The circle around a placed device, keyed as the platform's generator wrote it."""
    center = device["position"]
    return {
        "zone_id": f"device_zone_{device['device_id']}",
        "zone_label": f"{device_label(device)} Zone",
        "bounds": circle_bounds(center, radius, length, width),
        "source": "device",
        "center": {"x": center["x"], "y": center["y"]},
        "radius": radius,
        "shape": "circle",
        "device_id": device["device_id"],
        "device_code": device["device_code"],
    }


def device_label(device: Mapping[str, Any]) -> str:
    """The device's name, else its code, else its MAC address."""
    return str(device["device_name"] or device["device_code"] or device["device_mac"])
