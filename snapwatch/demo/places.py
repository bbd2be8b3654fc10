"""Companies, programs, sites and devices of the demo fleet, with each device's plan."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from snapwatch.demo.growth import GrowthCurve, calm_curve, hot_curve
from snapwatch.demo.layout import COMPANIES, DEMO_NAMESPACE, PROGRAMS, SITES, SiteSpec
from snapwatch.demo.rows import Company, Device, Program, Site
from snapwatch.demo.telemetry import Climate, SensorProfile, random_climate, random_profile
from snapwatch.snapshot.program import site_timezone

DEVICE_CODE_FORMAT = "DEVICE-ESP32S3-{:03d}"
MAC_PREFIX = "7C:DF:A1"
UNSIZED_SITE_EXTENT = (60.0, 40.0)  # where devices sit in a site without dimensions


class Ids:
    """Deterministic ids: uuid5 of a readable key under a namespace of the seed."""

    def __init__(self, seed: int) -> None:
        self._namespace = uuid.uuid5(DEMO_NAMESPACE, f"seed:{seed}")

    def __call__(self, key: str) -> uuid.UUID:
        return uuid.uuid5(self._namespace, key)


@dataclass(frozen=True, slots=True)
class DevicePlan:
    """What a device will do over the history window."""

    device: Device
    site: Site
    tz: tzinfo
    counting: bool
    program_start: datetime
    curve: GrowthCurve
    climate: Climate
    profile: SensorProfile
    offline_for: timedelta | None


@dataclass(frozen=True, slots=True)
class Places:
    companies: tuple[Company, ...]
    programs: tuple[Program, ...]
    sites: tuple[Site, ...]
    site_specs: dict[uuid.UUID, SiteSpec]
    plans: tuple[DevicePlan, ...]


def site_zone(site: Site) -> tzinfo:
    """The site's zone, by the document's rule (a site without one runs on UTC)."""
    return site_timezone(site.timezone).zone


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def build_places(seed: int, now: datetime, ids: Ids) -> Places:
    rng = random.Random(seed)
    today = now.date()
    company_ids = {c.key: c.company_id for c in COMPANIES}
    programs: dict[str, Program] = {}
    for pspec in PROGRAMS:
        programs[pspec.key] = Program(
            program_id=ids(f"program:{pspec.key}"),
            company_id=company_ids[pspec.company],
            name=pspec.name,
            start_date=today - timedelta(days=pspec.started_days_ago),
            end_date=today + timedelta(days=pspec.ends_in_days),
            status="active",
        )
    first_start = min(p.start_date for p in programs.values())
    companies = tuple(
        Company(c.company_id, c.name, _midnight_utc(first_start - timedelta(days=30 + 11 * i)))
        for i, c in enumerate(COMPANIES)
    )

    sites: list[Site] = []
    specs: dict[uuid.UUID, SiteSpec] = {}
    plans: list[DevicePlan] = []
    serial = 0
    for n, spec in enumerate(SITES):
        program = programs[spec.program]
        site = _site(spec, n, program, ids)
        sites.append(site)
        specs[site.site_id] = spec
        climate = random_climate(rng, cold=spec.type == "cold_storage")
        program_start = _midnight_utc(program.start_date)
        program_day = (now - program_start) / timedelta(days=1)
        for index in range(spec.devices):
            serial += 1
            device = _device(spec, site, index, serial=serial, rng=rng, ids=ids)
            counting = device.is_active and device.provisioning_status not in (
                "inactive",
                "decommissioned",
            )
            curve = (
                hot_curve(rng, program_day)
                if index in spec.hot_devices
                else calm_curve(rng, program_day)
            )
            offline = spec.offline_hours.get(index)
            plans.append(
                DevicePlan(
                    device=device,
                    site=site,
                    tz=site_zone(site),
                    counting=counting,
                    program_start=program_start,
                    curve=curve,
                    climate=climate,
                    profile=random_profile(rng, battery_start=spec.weak_battery.get(index)),
                    offline_for=timedelta(hours=offline) if offline else None,
                )
            )
    return Places(companies, tuple(programs.values()), tuple(sites), specs, tuple(plans))


def _zones(spec: SiteSpec, ids: Ids) -> tuple[dict[str, Any], ...]:
    if spec.dims is None:
        return ()
    length, width, _ = spec.dims
    return tuple(
        {
            "id": str(ids(f"zone:{spec.key}:{j}")),
            "label": z.label,
            "bounds": {
                "x1": round(z.x1 * length, 1),
                "y1": round(z.y1 * width, 1),
                "x2": round(z.x2 * length, 1),
                "y2": round(z.y2 * width, 1),
            },
            "risk_level": z.risk_level,
        }
        for j, z in enumerate(spec.zones)
    )


def _site(spec: SiteSpec, n: int, program: Program, ids: Ids) -> Site:
    length, width, height = spec.dims if spec.dims else (None, None, None)
    return Site(
        site_id=ids(f"site:{spec.key}"),
        program_id=program.program_id,
        company_id=program.company_id,
        name=spec.name,
        site_code=1001 + n,
        type=spec.type,
        length=length,
        width=width,
        height=height,
        zones=_zones(spec, ids),
        timezone=spec.timezone,
        snapshot_cadence_hours=spec.cadence_hours,
        snapshot_cadence_per_day=spec.cadence_per_day,
    )


def _device(
    spec: SiteSpec, site: Site, index: int, *, serial: int, rng: random.Random, ids: Ids
) -> Device:
    code = DEVICE_CODE_FORMAT.format(serial)
    x: float | None = None
    y: float | None = None
    zone_id: uuid.UUID | None = None
    zone_label: str | None = None
    if index not in spec.unplaced:
        extent_x, extent_y = (
            (site.length, site.width)
            if site.length is not None and site.width is not None
            else UNSIZED_SITE_EXTENT
        )
        x = round(rng.uniform(0.5, extent_x - 0.5), 1)
        y = round(rng.uniform(0.5, extent_y - 0.5), 1)
        for zone in site.zones:
            b = zone["bounds"]
            if b["x1"] <= x <= b["x2"] and b["y1"] <= y <= b["y2"]:
                zone_id, zone_label = uuid.UUID(zone["id"]), str(zone["label"])
                break
    mac_tail = f"{rng.randrange(256):02X}:{serial >> 8:02X}:{serial & 0xFF:02X}"
    return Device(
        device_id=ids(f"device:{code}"),
        device_mac=f"{MAC_PREFIX}:{mac_tail}",
        device_code=code,
        device_name=f"{spec.name} {index + 1:02d}",
        site_id=site.site_id,
        program_id=site.program_id,
        company_id=site.company_id,
        x_position=x,
        y_position=y,
        zone_id=zone_id,
        zone_label=zone_label,
        is_active=index not in spec.disabled,
        provisioning_status=spec.statuses.get(index, "active"),
        wake_schedule_cron=spec.schedules[index % len(spec.schedules)],
    )
