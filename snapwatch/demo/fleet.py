"""The demo fleet as plain rows: a pure function of (seed, now)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from snapwatch.demo.history import device_history
from snapwatch.demo.places import DevicePlan, Ids, build_places
from snapwatch.demo.rows import (
    Alert,
    Company,
    Device,
    Image,
    Payload,
    Program,
    Session,
    Site,
)
from snapwatch.demo.site_days import SessionFinder, site_sessions, with_counts
from snapwatch.demo.telemetry import battery_at, battery_health


@dataclass(frozen=True, slots=True)
class Fleet:
    seed: int
    now: datetime
    companies: tuple[Company, ...]
    programs: tuple[Program, ...]
    sites: tuple[Site, ...]
    devices: tuple[Device, ...]
    sessions: tuple[Session, ...]
    payloads: tuple[Payload, ...]
    images: tuple[Image, ...]
    alerts: tuple[Alert, ...]

    def tables(self) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        """(table, rows) in an order that satisfies the foreign keys."""
        return (
            ("companies", self.companies),
            ("pilot_programs", self.programs),
            ("sites", self.sites),
            ("devices", self.devices),
            ("site_device_sessions", self.sessions),
            ("device_images", self.images),
            ("device_wake_payloads", self.payloads),
            ("device_alerts", self.alerts),
        )

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables()}


def build_fleet(seed: int, now: datetime) -> Fleet:
    """Every row of the demo fleet, with history up to ``now`` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    ids = Ids(seed)
    places = build_places(seed, now, ids)
    rng = random.Random(f"{seed}:sessions")
    sessions: list[Session] = []
    for site in places.sites:
        plans = [p for p in places.plans if p.site.site_id == site.site_id]
        spec = places.site_specs[site.site_id]
        sessions += site_sessions(
            site, plans, now, ids, rng, locked_today=spec.session_locked_today
        )
    finder = SessionFinder(sessions)
    history_start = {
        site_id: min(s.session_start_time for s in sessions if s.site_id == site_id)
        for site_id in places.site_specs
    }

    devices: list[Device] = []
    payloads: list[Payload] = []
    images: list[Image] = []
    alerts: list[Alert] = []
    for plan in places.plans:
        start = history_start[plan.site.site_id]
        if not plan.counting:
            devices.append(_dormant(plan, start, seed))
            continue
        rng = random.Random(f"{seed}:{plan.device.device_code}")
        history = device_history(plan, start=start, now=now, sessions=finder, ids=ids, rng=rng)
        devices.append(_rolled_up(plan.device, history.payloads, history.images))
        payloads += history.payloads
        images += history.images
        alerts += history.alerts

    return Fleet(
        seed=seed,
        now=now,
        companies=places.companies,
        programs=places.programs,
        sites=places.sites,
        devices=tuple(devices),
        sessions=tuple(with_counts(sessions, payloads)),
        payloads=tuple(payloads),
        images=tuple(images),
        alerts=tuple(alerts),
    )


def _rolled_up(device: Device, payloads: list[Payload], images: list[Image]) -> Device:
    """The device row's summary columns, as the platform keeps them, from its history."""
    if not payloads:
        return device
    newest_first = sorted(payloads, key=lambda p: p.captured_at, reverse=True)
    battery = next((p.battery_voltage for p in newest_first if p.battery_voltage is not None), None)
    rssi = next((p.wifi_rssi for p in newest_first if p.wifi_rssi is not None), None)
    scored = [i for i in images if i.mgi_score is not None]
    latest = max(scored, key=lambda i: i.captured_at) if scored else None
    return replace(
        device,
        last_seen_at=max(p.received_at for p in payloads),
        last_wake_at=newest_first[0].captured_at,
        battery_voltage=battery,
        battery_health_percent=battery_health(battery) if battery is not None else None,
        wifi_rssi=rssi,
        latest_mgi_score=latest.mgi_score if latest else None,
        latest_mgi_at=latest.captured_at if latest else None,
    )


def _dormant(plan: DevicePlan, history_start: datetime, seed: int) -> Device:
    """A device that does not count (inactive, decommissioned, disabled): its last report
    was days before the history window, or never."""
    if not plan.device.is_active:
        return plan.device
    rng = random.Random(f"{seed}:{plan.device.device_code}:dormant")
    seen = history_start - timedelta(days=rng.uniform(4.0, 12.0))
    volts = round(battery_at(plan.profile, 0.0), 3)
    return replace(
        plan.device,
        last_seen_at=seen,
        last_wake_at=seen - timedelta(seconds=rng.uniform(5.0, 60.0)),
        battery_voltage=volts,
        battery_health_percent=battery_health(volts),
        wifi_rssi=plan.profile.rssi_base,
    )
