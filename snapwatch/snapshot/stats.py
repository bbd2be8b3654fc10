"""Averages over devices, taken from the devices' document values only.

A device's value is null in the document unless it is current or carried forward, so
these never see stale data; the document's averages are taken over the devices as
:func:`snapwatch.snapshot.plausible.counted` gives them, without the implausible values.
No value at all gives None, never 0. Means are rounded to their stated precision
(:mod:`snapwatch.snapshot.precision`); the maximum is a device's value as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict

from snapwatch.snapshot.precision import MEAN_DECIMALS, MGI_DECIMALS


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    try:
        return math.fsum(present) / len(present)
    except OverflowError:  # a sum beyond the float range: add the shares instead
        return math.fsum(v / len(present) for v in present)


def maximum(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def rounded_mean(values: Iterable[float | None], places: int) -> float | None:
    value = mean(values)
    return None if value is None else round(value, places)


class DeviceAverages(TypedDict):
    """The four statistics site zones and session metrics carry, spread into them with
    ``**``."""

    avg_temperature: float | None
    avg_humidity: float | None
    avg_mgi: float | None
    max_mgi: float | None


def averages(devices: Sequence[Mapping[str, Any]]) -> DeviceAverages:
    """Over the devices' plain-data entries (``build_device``)."""
    telemetry = [d["telemetry"] for d in devices]
    mgi = [d["mgi_state"]["current_mgi"] for d in devices]
    return DeviceAverages(
        avg_temperature=rounded_mean((t["temperature"] for t in telemetry), MEAN_DECIMALS),
        avg_humidity=rounded_mean((t["humidity"] for t in telemetry), MEAN_DECIMALS),
        avg_mgi=rounded_mean(mgi, MGI_DECIMALS),
        max_mgi=maximum(mgi),
    )
