"""One device's entry in the document, from its row and what it reported (plain data)."""

from __future__ import annotations

from typing import Any

from snapwatch.snapshot.inputs import CapturedImage, DeviceFacts, DeviceObservations, RoundAlert
from snapwatch.snapshot.locf import Window
from snapwatch.snapshot.mgi import band, in_scale, mgi_state, rejected_scores
from snapwatch.snapshot.plausible import Limits, judged
from snapwatch.snapshot.quality import Issue
from snapwatch.snapshot.telemetry import telemetry_state
from snapwatch.snapshot.timefmt import utc

SHAPE = "circle"
SIZE = "medium"


def sort_key(device: DeviceFacts) -> tuple[bool, str, str]:
    """By ``device_code``; devices without a code last; ties by ``device_id``."""
    return (device.device_code is None, device.device_code or "", str(device.device_id))


def build_device(
    facts: DeviceFacts,
    obs: DeviceObservations,
    *,
    window: Window,
    max_age_hours: float,
    program_day: int,
    images_max: int,
    limits: Limits,
    issues: list[Issue],
) -> dict[str, Any]:
    """The ``Device`` entry as plain data."""
    device_id = facts.device_id
    telemetry = telemetry_state(
        device_id, obs.telemetry, window, max_age_hours, limits=limits, issues=issues
    )
    issues.extend(rejected_scores(device_id, obs, window))
    mgi = mgi_state(obs, window, max_age_hours, program_day)
    images, omitted = _images(obs.images, window, images_max)
    return {
        "device_id": device_id,
        "device_code": facts.device_code,
        "device_name": facts.device_name,
        "device_mac": facts.device_mac,
        "position": _position(facts, limits, issues),
        "zone_id": facts.zone_id,
        "zone_label": facts.zone_label,
        "status": "active" if facts.is_active else "inactive",
        "battery_voltage": judged(
            device_id, "battery_voltage", facts.battery_voltage, limits.battery_voltage, issues
        ),
        "battery_health_percent": facts.battery_health_percent,
        "last_seen_at": utc(facts.last_seen_at),
        "telemetry": telemetry,
        "mgi_state": mgi,
        "images_this_round": images,
        "images_omitted": omitted,
        "alerts": _alerts(obs.alerts, window),
        "display": {"color": band(mgi["current_mgi"])[1], "shape": SHAPE, "size": SIZE},
    }


def _position(facts: DeviceFacts, limits: Limits, issues: list[Issue]) -> dict[str, float] | None:
    """``{x, y}`` when both coordinates are known; never a made-up (0, 0). A coordinate
    outside the site is kept and reported."""
    device_id = facts.device_id
    x = judged(device_id, "x_position", facts.x, limits.x_position, issues, problem="outside_site")
    y = judged(device_id, "y_position", facts.y, limits.y_position, issues, problem="outside_site")
    return {"x": x, "y": y} if x is not None and y is not None else None


def _images(
    images: tuple[CapturedImage, ...], window: Window, most: int
) -> tuple[list[dict[str, Any]], int]:
    """The newest ``most`` images of the round, oldest first, and how many older ones of
    the round are left out (a long cadence must not grow the document without bound)."""
    inside = [i for i in images if window.contains(i.captured_at)]
    if len(inside) > 1:
        inside.sort(key=lambda i: (i.captured_at, str(i.image_id)))
    omitted = max(0, len(inside) - most)
    listed = [
        {
            "image_id": i.image_id,
            "image_url": i.image_url,
            "mgi_score": _score(i.mgi_score),
            "captured_at": utc(i.captured_at),
            "observation_type": i.observation_type,
            "wake_payload_id": i.wake_payload_id,
        }
        for i in inside[omitted:]
    ]
    return listed, omitted


def _score(score: float | None) -> float | None:
    """A score in 0..1, else null (out-of-range scores are reported, never shown)."""
    if score is None:
        return None
    number = float(score)
    return number if in_scale(number) else None


def round_alerts(alerts: tuple[RoundAlert, ...], window: Window) -> list[RoundAlert]:
    """The alerts triggered inside the round, oldest first."""
    inside = [a for a in alerts if window.contains(a.triggered_at)]
    if len(inside) > 1:
        inside.sort(key=lambda a: (a.triggered_at, str(a.alert_id)))
    return inside


def _alerts(alerts: tuple[RoundAlert, ...], window: Window) -> list[dict[str, Any]]:
    return [
        {
            "alert_id": a.alert_id,
            "alert_type": a.alert_type,
            "severity": a.severity,
            "message": a.message,
            "triggered_at": utc(a.triggered_at),
        }
        for a in round_alerts(alerts, window)
    ]
