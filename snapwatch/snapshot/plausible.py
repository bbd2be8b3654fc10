"""Plausibility: whether a reading or a position can be real, by the configured bounds.

A finite value outside its bounds (65535 °F, 200 % RH, a device 1e9 ft away) is kept in
the device's entry as the platform stored it, named in ``data_quality`` (``implausible``
for a reading, ``outside_site`` for a position) and left out of every average. The
averages take their values from :func:`counted`, which reads the findings themselves, so
a value is left out exactly when the document names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from snapwatch.infra.config import PlausibilitySettings
from snapwatch.snapshot.model import Problem
from snapwatch.snapshot.quality import Issue, checked, issue

AVERAGED = ("temperature", "humidity")
"""The telemetry fields that averages are taken of."""


@dataclass(frozen=True)
class Span:
    """The closed interval ``[low, high]``; a missing edge does not bound that side."""

    low: float | None = None
    high: float | None = None

    def holds(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


@dataclass(frozen=True)
class Limits:
    """The plausible span of every checked value of one site's devices."""

    temperature: Span
    humidity: Span
    pressure: Span
    gas_resistance: Span
    battery_voltage: Span
    wifi_rssi: Span
    x_position: Span
    y_position: Span


def site_limits(bounds: PlausibilitySettings, length: float | None, width: float | None) -> Limits:
    """The limits of a site ``length`` (X) by ``width`` (Y) feet, either one unknown."""
    margin = bounds.position_margin_ft
    return Limits(
        temperature=Span(bounds.temperature_min_f, bounds.temperature_max_f),
        humidity=Span(bounds.humidity_min_percent, bounds.humidity_max_percent),
        pressure=Span(bounds.pressure_min_hpa, bounds.pressure_max_hpa),
        gas_resistance=Span(bounds.gas_resistance_min_ohm),
        battery_voltage=Span(bounds.battery_min_volts, bounds.battery_max_volts),
        wifi_rssi=Span(bounds.rssi_min_dbm, bounds.rssi_max_dbm),
        x_position=position_span(length, margin),
        y_position=position_span(width, margin),
    )


def position_span(extent: float | None, margin: float) -> Span:
    """``[-margin, extent + margin]``; without a far edge when the extent is unknown (or
    not a positive length, which no site has)."""
    far = extent + margin if extent is not None and extent > 0 else None
    return Span(-margin, far)


def reported(
    device_id: UUID,
    field: str,
    value: float | None,
    span: Span,
    issues: list[Issue],
    *,
    problem: Problem = "implausible",
) -> None:
    """Name a finite ``value`` outside ``span`` in the findings; the value stays as it is."""
    if value is not None and not span.holds(value):
        issues.append(issue(device_id, field, value, problem))


def judged(
    device_id: UUID,
    field: str,
    value: float | None,
    span: Span,
    issues: list[Issue],
    *,
    problem: Problem = "implausible",
) -> float | None:
    """``value`` when finite (else None, reported ``not_finite``); reported as
    ``problem`` but kept when outside ``span``."""
    number = checked(device_id, field, value, issues)
    reported(device_id, field, number, span, issues, problem=problem)
    return number


def counted(devices: Sequence[dict[str, Any]], issues: Iterable[Issue]) -> list[dict[str, Any]]:
    """The devices as the averages count them: every telemetry value the findings name
    ``implausible`` is left out (null). Entries with nothing left out are the same
    objects; the others are copies, so the document keeps every value as stored."""
    set_aside = {(q["device_id"], q["field"]) for q in issues if q["problem"] == "implausible"}
    if not set_aside:
        return list(devices)
    return [_without(device, set_aside) for device in devices]


def _without(device: dict[str, Any], set_aside: set[tuple[UUID, str]]) -> dict[str, Any]:
    left_out = {f: None for f in AVERAGED if (device["device_id"], f) in set_aside}
    if not left_out:
        return device
    return {**device, "telemetry": {**device["telemetry"], **left_out}}
