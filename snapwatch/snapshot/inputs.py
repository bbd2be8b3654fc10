"""Plain values the document builder consumes, as read from the database for one round.

The reader (set-based SQL) produces these; the builder turns them into a document without
touching the database, so every rule of the document is testable on plain values. The
per-device and per-row values are named tuples: a tick makes tens of thousands of them,
and a tuple is made from a result row several times faster than a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, NamedTuple
from uuid import UUID

Trigger = Literal["schedule", "catch_up", "force", "backfill"]
"""Why a snapshot is written: on schedule, catching up a missed slot, forced, or
reconstructed later by ``snapwatch backfill``."""
TRIGGERS: tuple[Trigger, ...] = ("schedule", "catch_up", "force", "backfill")

MAX_CADENCE_HOURS = 24.0
"""The longest cadence, so the longest window a snapshot covers."""


@dataclass(frozen=True)
class Round:
    """The window a snapshot freezes: ``[start, end)``, and why it is written."""

    session_id: UUID
    wake_number: int
    start: datetime
    end: datetime
    trigger: Trigger
    provisional: bool
    late_by_seconds: float
    cadence_hours: float
    skipped_slots: int = 0
    cadence_unused: tuple[str, float] | None = None
    """The site's other cadence column and its value, when it disagrees with the one used
    (recorded in ``data_quality``)."""
    overlapping_sessions: tuple[UUID, ...] = ()
    """The site's other sessions that overlap this one (recorded in ``data_quality``)."""


@dataclass(frozen=True)
class SiteFacts:
    site_id: UUID
    site_name: str
    site_code: int | None
    site_type: str | None
    length: float | None
    width: float | None
    height: float | None
    timezone: str | None  # None = unset on the row; treated as UTC
    zones: Any  # raw ``sites.zones`` jsonb; validated by the builder
    program_id: UUID
    program_name: str
    program_start_date: date
    program_end_date: date
    company_id: UUID | None
    company_name: str | None


@dataclass(frozen=True)
class SessionFacts:
    session_id: UUID
    session_date: date
    start: datetime
    end: datetime
    status: str
    expected_wake_count: int


class DeviceFacts(NamedTuple):
    """A device that counted for the round, as of the round end: ``last_seen_at`` is its
    newest wake payload captured before the round end and ``battery_voltage`` the newest
    such payload's that has one (None when there is none). The rest has no history and is
    today's ``devices`` row: identity, position, zone, state, battery health."""

    device_id: UUID
    device_code: str | None
    device_name: str | None
    device_mac: str
    x: float | None
    y: float | None
    zone_id: UUID | None
    zone_label: str | None
    is_active: bool
    provisioning_status: str | None
    battery_voltage: float | None
    battery_health_percent: int | None
    last_seen_at: datetime | None


class TelemetryRow(NamedTuple):
    """The newest wake payload with any telemetry captured before the round end."""

    payload_id: UUID
    captured_at: datetime
    temperature: float | None
    humidity: float | None
    pressure: float | None
    gas_resistance: float | None
    battery_voltage: float | None
    wifi_rssi: int | None
    image_id: UUID | None


class ScoredImage(NamedTuple):
    image_id: UUID
    captured_at: datetime
    mgi_score: float


class CapturedImage(NamedTuple):
    """An image captured inside the round (scored or not), as read; the document lists it
    as :class:`snapwatch.snapshot.model.RoundImage`."""

    image_id: UUID
    image_url: str | None
    mgi_score: float | None
    captured_at: datetime
    observation_type: str | None
    wake_payload_id: UUID | None


class RoundAlert(NamedTuple):
    alert_id: UUID
    device_id: UUID | None
    alert_type: str | None
    severity: str | None
    message: str | None
    triggered_at: datetime


class DeviceObservations(NamedTuple):
    """What one device reported, as of the round end (nothing after it)."""

    telemetry: TelemetryRow | None = None
    # Newest first: the two newest images with a score in 0..1 captured before the round end.
    mgi: tuple[ScoredImage, ...] = ()
    # Scores outside 0..1 that would otherwise have been chosen: rejected, reported.
    rejected_mgi: tuple[ScoredImage, ...] = ()
    images: tuple[CapturedImage, ...] = ()
    alerts: tuple[RoundAlert, ...] = ()


@dataclass(frozen=True)
class RoundInputs:
    """Everything needed to build one site's document for one round."""

    site: SiteFacts
    session: SessionFacts
    round: Round
    devices: tuple[DeviceFacts, ...]
    observations: dict[UUID, DeviceObservations] = field(default_factory=dict)
    # Alerts of the round that belong to no counting device (site-level, or a device
    # that no longer counts): they count in ``new_alerts_this_round`` only.
    site_alerts: tuple[RoundAlert, ...] = ()
    # No placement history could be read: ``devices`` are today's devices of the site. A
    # reconstructed document (catch_up, backfill) says so in ``data_quality``.
    roster_from_today: bool = False
