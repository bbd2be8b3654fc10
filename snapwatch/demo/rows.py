"""One frozen record per platform table row the demo writes; field names are column names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Company:
    table: ClassVar[str] = "companies"
    company_id: UUID
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Program:
    table: ClassVar[str] = "pilot_programs"
    program_id: UUID
    company_id: UUID
    name: str
    start_date: date
    end_date: date
    status: str


@dataclass(frozen=True, slots=True)
class Site:
    table: ClassVar[str] = "sites"
    site_id: UUID
    program_id: UUID
    company_id: UUID
    name: str
    site_code: int
    type: str
    length: float | None
    width: float | None
    height: float | None
    zones: tuple[dict[str, Any], ...]
    timezone: str | None
    snapshot_cadence_hours: float | None
    snapshot_cadence_per_day: int | None


@dataclass(frozen=True, slots=True)
class Device:
    table: ClassVar[str] = "devices"
    device_id: UUID
    device_mac: str
    device_code: str
    device_name: str
    site_id: UUID
    program_id: UUID
    company_id: UUID
    x_position: float | None
    y_position: float | None
    zone_id: UUID | None
    zone_label: str | None
    is_active: bool
    provisioning_status: str
    wake_schedule_cron: str
    battery_voltage: float | None = None
    battery_health_percent: int | None = None
    wifi_rssi: int | None = None
    last_seen_at: datetime | None = None
    last_wake_at: datetime | None = None
    latest_mgi_score: float | None = None
    latest_mgi_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    table: ClassVar[str] = "site_device_sessions"
    session_id: UUID
    company_id: UUID
    program_id: UUID
    site_id: UUID
    session_date: date
    session_start_time: datetime
    session_end_time: datetime
    expected_wake_count: int
    completed_wake_count: int
    failed_wake_count: int
    extra_wake_count: int
    status: str
    locked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Payload:
    table: ClassVar[str] = "device_wake_payloads"
    payload_id: UUID
    company_id: UUID
    program_id: UUID
    site_id: UUID
    site_device_session_id: UUID | None
    device_id: UUID
    captured_at: datetime
    received_at: datetime
    temperature: float | None
    humidity: float | None
    pressure: float | None
    gas_resistance: float | None
    battery_voltage: float | None
    wifi_rssi: int | None
    image_id: UUID | None
    payload_status: str
    wake_type: str


@dataclass(frozen=True, slots=True)
class Image:
    table: ClassVar[str] = "device_images"
    image_id: UUID
    device_id: UUID
    image_url: str
    captured_at: datetime
    status: str
    site_id: UUID
    site_device_session_id: UUID | None
    wake_payload_id: UUID
    mgi_score: float | None
    scored_at: datetime | None
    observation_type: str


@dataclass(frozen=True, slots=True)
class Alert:
    table: ClassVar[str] = "device_alerts"
    alert_id: UUID
    device_id: UUID
    site_id: UUID
    company_id: UUID
    program_id: UUID
    alert_type: str
    severity: str
    message: str
    triggered_at: datetime
    resolved_at: datetime | None
    session_id: UUID | None
