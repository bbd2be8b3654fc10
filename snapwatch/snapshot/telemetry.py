"""A device's telemetry block: the newest payload with telemetry, carried forward or not."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from snapwatch.snapshot.inputs import TelemetryRow
from snapwatch.snapshot.locf import Window, classify
from snapwatch.snapshot.quality import Issue, checked
from snapwatch.snapshot.timefmt import utc

HUMIDITY_RANGE = (0.0, 100.0)


def telemetry_state(
    device_id: UUID,
    row: TelemetryRow | None,
    window: Window,
    max_age_hours: float,
    issues: list[Issue],
) -> dict[str, Any]:
    """The ``Telemetry`` block as plain data: the payload's fields as they are (NULL stays
    null) when current or carried forward; measurements null when stale or missing.
    Humidity outside 0..100 and non-finite numbers are dropped to null and reported."""
    if row is not None and row.captured_at >= window.end:
        row = None
    locf = classify(row.captured_at if row else None, window, max_age_hours)
    if row is None or not locf.usable:
        return {
            "temperature": None,
            "humidity": None,
            "pressure": None,
            "gas_resistance": None,
            "wifi_rssi": None,
            "battery_voltage": None,
            "captured_at": utc(row.captured_at) if row else None,
            "is_current": False,
            "data_freshness": locf.freshness,
            "hours_since_last": locf.hours_since_last,
            "wake_payload_id": None,
            "image_id": None,
        }
    low, high = HUMIDITY_RANGE
    return {
        "temperature": checked(device_id, "temperature", row.temperature, issues),
        "humidity": checked(device_id, "humidity", row.humidity, issues, low=low, high=high),
        "pressure": checked(device_id, "pressure", row.pressure, issues),
        "gas_resistance": checked(device_id, "gas_resistance", row.gas_resistance, issues),
        "wifi_rssi": row.wifi_rssi,
        "battery_voltage": checked(device_id, "battery_voltage", row.battery_voltage, issues),
        "captured_at": utc(row.captured_at),
        "is_current": locf.is_current,
        "data_freshness": locf.freshness,
        "hours_since_last": locf.hours_since_last,
        "wake_payload_id": row.payload_id,
        "image_id": row.image_id,
    }
