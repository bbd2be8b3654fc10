"""Averages over devices, taken from the devices' document values only.

A device's value is null in the document unless it is current or carried forward, so
these never see stale data. No value at all gives None, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TypedDict

from snapwatch.snapshot.model import Device


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return math.fsum(present) / len(present) if present else None


def maximum(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


class DeviceAverages(TypedDict):
    """The four statistics zones and session metrics carry, spread into them with ``**``."""

    avg_temperature: float | None
    avg_humidity: float | None
    avg_mgi: float | None
    max_mgi: float | None


def averages(devices: Sequence[Device]) -> DeviceAverages:
    return DeviceAverages(
        avg_temperature=mean(d.telemetry.temperature for d in devices),
        avg_humidity=mean(d.telemetry.humidity for d in devices),
        avg_mgi=mean(d.mgi_state.current_mgi for d in devices),
        max_mgi=maximum(d.mgi_state.current_mgi for d in devices),
    )
