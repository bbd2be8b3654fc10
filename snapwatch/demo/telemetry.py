"""Plausible sensor readings: a daily temperature cycle, humidity that follows it, slow
pressure weather, gas resistance that falls as mold grows, and a draining battery."""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

BATTERY_FULL = 4.2
BATTERY_EMPTY = 3.3


@dataclass(frozen=True, slots=True)
class Climate:
    """A site's environment."""

    base_temp_f: float
    daily_swing_f: float
    base_humidity: float
    base_pressure: float
    weather_phase: float


@dataclass(frozen=True, slots=True)
class SensorProfile:
    """One device's offsets and its battery."""

    temp_offset_f: float
    humidity_offset: float
    gas_base_ohm: float
    battery_start_v: float
    battery_drain_v_per_day: float
    rssi_base: int


@dataclass(frozen=True, slots=True)
class Reading:
    temperature: float | None
    humidity: float | None
    pressure: float | None
    gas_resistance: float | None
    battery_voltage: float | None
    wifi_rssi: int | None

    def columns(self) -> dict[str, Any]:
        """The readings by their ``device_wake_payloads`` column names."""
        return dataclasses.asdict(self)


def random_climate(rng: random.Random, cold: bool) -> Climate:
    base = rng.uniform(61.5, 66.0) if cold else rng.uniform(66.0, 75.0)
    return Climate(
        base_temp_f=base,
        daily_swing_f=rng.uniform(2.0, 4.0) if cold else rng.uniform(3.5, 7.0),
        base_humidity=rng.uniform(62.0, 82.0),
        base_pressure=rng.uniform(1009.0, 1016.0),
        weather_phase=rng.uniform(0.0, 2 * math.pi),
    )


def random_profile(rng: random.Random, *, battery_start: float | None = None) -> SensorProfile:
    return SensorProfile(
        temp_offset_f=rng.uniform(-1.5, 1.5),
        humidity_offset=rng.uniform(-5.0, 5.0),
        gas_base_ohm=math.exp(rng.uniform(math.log(30_000), math.log(180_000))),
        battery_start_v=battery_start if battery_start is not None else rng.uniform(3.8, 4.2),
        battery_drain_v_per_day=rng.uniform(0.008, 0.03),
        rssi_base=rng.randint(-84, -50),
    )


def _clamp(value: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, value))


def battery_at(profile: SensorProfile, days_elapsed: float) -> float:
    volts = profile.battery_start_v - profile.battery_drain_v_per_day * days_elapsed
    return _clamp(volts, BATTERY_EMPTY, BATTERY_FULL)


def battery_health(volts: float) -> int:
    share = (volts - BATTERY_EMPTY) / (BATTERY_FULL - BATTERY_EMPTY)
    return round(_clamp(share, 0.0, 1.0) * 100)


def reading(
    climate: Climate,
    profile: SensorProfile,
    *,
    at: datetime,
    tz: tzinfo,
    days_elapsed: float,
    mgi: float,
    rng: random.Random,
) -> Reading:
    """A full reading at instant ``at`` (``days_elapsed`` since the history began)."""
    local = at.astimezone(tz)
    hour = local.hour + local.minute / 60.0
    cycle = math.sin(2 * math.pi * (hour - 9.0) / 24.0)  # warmest mid-afternoon
    temp = climate.base_temp_f + profile.temp_offset_f + climate.daily_swing_f * cycle
    temp = _clamp(temp + rng.gauss(0.0, 0.3), 60.0, 85.0)
    humidity = climate.base_humidity + profile.humidity_offset - 1.6 * (temp - climate.base_temp_f)
    humidity = _clamp(humidity + rng.gauss(0.0, 1.0), 40.0, 95.0)
    weather = 3.5 * math.sin(days_elapsed * 2 * math.pi / 3.2 + climate.weather_phase)
    pressure = _clamp(climate.base_pressure + weather + rng.gauss(0.0, 0.15), 1005.0, 1020.0)
    gas = profile.gas_base_ohm * (1.0 - 0.7 * mgi) * rng.uniform(0.93, 1.07)
    battery = battery_at(profile, days_elapsed) + rng.gauss(0.0, 0.004)
    rssi = profile.rssi_base + round(rng.gauss(0.0, 3.0))
    return Reading(
        temperature=round(temp, 2),
        humidity=round(humidity, 2),
        pressure=round(pressure, 2),
        gas_resistance=round(_clamp(gas, 5_000.0, 200_000.0)),
        battery_voltage=round(_clamp(battery, BATTERY_EMPTY, BATTERY_FULL), 3),
        wifi_rssi=int(_clamp(rssi, -90, -45)),
    )


_FIELDS = ("temperature", "humidity", "pressure", "gas_resistance", "battery_voltage", "wifi_rssi")


def partial(full: Reading, rng: random.Random) -> Reading:
    """The same reading with one to three fields missing (a sensor timed out)."""
    missing = set(rng.sample(_FIELDS, rng.randint(1, 3)))
    values = {name: (None if name in missing else getattr(full, name)) for name in _FIELDS}
    return Reading(**values)


def failed(full: Reading) -> Reading:
    """What a failed wake still reports: the radio and the battery, no sensors."""
    return Reading(None, None, None, None, full.battery_voltage, full.wifi_rssi)
