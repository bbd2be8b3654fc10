"""A device's telemetry block: the newest payload with telemetry, carried forward or not."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from snapwatch.snapshot.inputs import TelemetryRow
from snapwatch.snapshot.locf import Window, classify
from snapwatch.snapshot.plausible import Limits, Span, judged, reported
from snapwatch.snapshot.quality import Issue
from snapwatch.snapshot.timefmt import utc


def telemetry_state(
    device_id: UUID,
    row: TelemetryRow | None,
    window: Window,
    max_age_hours: float,
    *,
    limits: Limits,
    issues: list[Issue],
) -> dict[str, Any]:
    """The ``Telemetry`` block as plain data: the payload's fields as they are (NULL stays
    null) when current or carried forward; measurements null when stale or missing.
    Non-finite numbers are dropped to null and reported; implausible ones are kept and
    reported (:mod:`snapwatch.snapshot.plausible`)."""
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

    def judge(field: str, value: float | None, span: Span) -> float | None:
        return judged(device_id, field, value, span, issues)

    return {
        "temperature": judge("temperature", row.temperature, limits.temperature),
        "humidity": judge("humidity", row.humidity, limits.humidity),
        "pressure": judge("pressure", row.pressure, limits.pressure),
        "gas_resistance": judge("gas_resistance", row.gas_resistance, limits.gas_resistance),
        "wifi_rssi": _rssi(device_id, row.wifi_rssi, limits.wifi_rssi, issues),
        "battery_voltage": judge("battery_voltage", row.battery_voltage, limits.battery_voltage),
        "captured_at": utc(row.captured_at),
        "is_current": locf.is_current,
        "data_freshness": locf.freshness,
        "hours_since_last": locf.hours_since_last,
        "wake_payload_id": row.payload_id,
        "image_id": row.image_id,
    }


def _rssi(device_id: UUID, rssi: int | None, span: Span, issues: list[Issue]) -> int | None:
    """The RSSI as stored (a whole number), reported when implausible."""
    if rssi is not None:
        reported(device_id, "wifi_rssi", float(rssi), span, issues)
    return rssi
