"""Environmental zones: site rectangles from ``sites.zones`` and circles around devices.

Members are placed devices only; zone averages come from the members' document values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from snapwatch.snapshot.model import (
    Bounds,
    DataQualityIssue,
    Device,
    DeviceZone,
    Position,
    SiteZone,
)
from snapwatch.snapshot.quality import issue
from snapwatch.snapshot.stats import averages

BOUND_KEYS = ("x1", "y1", "x2", "y2")


@dataclass(frozen=True)
class SiteZoneSpec:
    zone_id: str
    label: str
    bounds: Bounds
    risk_level: str | None


def parse_site_zones(raw: Any) -> tuple[list[SiteZoneSpec], list[DataQualityIssue]]:
    """The well-formed entries of ``sites.zones`` (``[{id, label, bounds{x1,y1,x2,y2},
    risk_level}]``); every other entry is skipped and reported. Reversed corners are
    put in order."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [issue(None, "zones", _text(raw), "malformed_zones")]
    specs: list[SiteZoneSpec] = []
    issues: list[DataQualityIssue] = []
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
    corners = [_number(raw_bounds.get(key)) for key in BOUND_KEYS]
    x1, y1, x2, y2 = corners
    if x1 is None or y1 is None or x2 is None or y2 is None:
        return None
    label = entry.get("label")
    risk = entry.get("risk_level")
    return SiteZoneSpec(
        zone_id=str(zone_id),
        label=label if isinstance(label, str) and label else str(zone_id),
        bounds=Bounds(x1=min(x1, x2), y1=min(y1, y2), x2=max(x1, x2), y2=max(y1, y2)),
        risk_level=None if risk is None or isinstance(risk, bool | dict | list) else str(risk),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def inside(bounds: Bounds, position: Position) -> bool:
    """Edges included."""
    return bounds.x1 <= position.x <= bounds.x2 and bounds.y1 <= position.y <= bounds.y2


def within(center: Position, radius: float, position: Position) -> bool:
    """Within ``radius`` of ``center``, the circle's edge included."""
    return math.hypot(position.x - center.x, position.y - center.y) <= radius


def site_zones(specs: Sequence[SiteZoneSpec], devices: Sequence[Device]) -> list[SiteZone]:
    zones: list[SiteZone] = []
    for spec in specs:
        members = [d for d in devices if d.position is not None and inside(spec.bounds, d.position)]
        zones.append(
            SiteZone(
                zone_id=spec.zone_id,
                zone_label=spec.label,
                source="site",
                bounds=spec.bounds,
                risk_level=spec.risk_level,
                device_ids=[d.device_id for d in members],
                device_count=len(members),
                **averages(members),
            )
        )
    return zones


def circle_bounds(
    center: Position, radius: float, length: float | None, width: float | None
) -> Bounds:
    """The circle's bounding box, clamped to ``[0, length] × [0, width]`` on each axis
    whose extent is known."""

    def clamp(value: float, extent: float | None) -> float:
        return value if extent is None else min(max(value, 0.0), extent)

    return Bounds(
        x1=clamp(center.x - radius, length),
        y1=clamp(center.y - radius, width),
        x2=clamp(center.x + radius, length),
        y2=clamp(center.y + radius, width),
    )


def device_zones(
    devices: Sequence[Device], radius: float, length: float | None, width: float | None
) -> list[DeviceZone]:
    """One circle per placed device (``device_zone_<device_id>``); unplaced devices get
    none and join none."""
    placed = [(d, d.position) for d in devices if d.position is not None]
    zones: list[DeviceZone] = []
    for device, center in placed:
        members = [d for d, at in placed if within(center, radius, at)]
        zones.append(
            DeviceZone(
                zone_id=f"device_zone_{device.device_id}",
                zone_label=f"{device_label(device)} Zone",
                source="device",
                bounds=circle_bounds(center, radius, length, width),
                center=center,
                radius=radius,
                shape="circle",
                device_id=device.device_id,
                device_code=device.device_code,
                device_ids=[d.device_id for d in members],
                device_count=len(members),
                **averages(members),
            )
        )
    return zones


def device_label(device: Device) -> str:
    """The device's name, else its code, else its MAC address."""
    return device.device_name or device.device_code or device.device_mac
