"""The snapshot document, version 1 (``session_wake_snapshots.site_state``).

Key names and nesting follow ``snapshot-v1.md``; the keys the platform's map UI reads
keep their platform names. Every model forbids extra keys and has no defaults, so every
key is always written and the generated JSON Schema (``schema-v1.json``) is strict.
Instants are written as ISO 8601 UTC with an explicit ``+00:00`` offset; numbers stay
JSON numbers; non-finite numbers are rejected.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from snapwatch.snapshot.inputs import Trigger
from snapwatch.snapshot.timefmt import UtcDatetime

SCHEMA_VERSION = 1
GENERATOR_NAME = "snapwatch"

Freshness = Literal["current_wake", "carried_forward", "stale", "no_data"]
Band = Literal["low", "moderate", "elevated", "high", "unknown"]
BandColor = Literal["#10b981", "#f59e0b", "#f97316", "#ef4444", "#9ca3af"]
Problem = Literal[
    "out_of_range",
    "not_finite",
    "implausible",
    "outside_site",
    "not_storable",
    "malformed_zone",
    "malformed_zones",
    "unknown_timezone",
    "cadence_column_not_used",
    "overlapping_sessions",
    "roster_as_of_today",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Generator(_Strict):
    name: Literal["snapwatch"]
    version: str


class Units(_Strict):
    """The units of the document's numbers, as stored on the platform (never converted)."""

    temperature: Literal["°F"]
    humidity: Literal["%RH"]
    pressure: Literal["hPa"]
    gas_resistance: Literal["Ω"]
    battery_voltage: Literal["V"]
    wifi_rssi: Literal["dBm"]
    position: Literal["ft"]
    mgi: Literal["0-1"]


class SnapshotMetadata(_Strict):
    """The round ``[wake_round_start, wake_round_end)`` this document freezes.

    ``locf_max_age_hours`` is the maximum age of a carried-forward observation used when
    the document was built (older ones are ``stale``). ``late_by_seconds`` is rounded to
    milliseconds.
    """

    wake_number: int = Field(gt=0)
    wake_round_start: UtcDatetime
    wake_round_end: UtcDatetime
    session_id: UUID
    generated_at: UtcDatetime
    trigger: Trigger
    provisional: bool
    late_by_seconds: float
    cadence_hours: float
    skipped_slots: int = Field(ge=0)
    locf_max_age_hours: float


class Dimensions(_Strict):
    """Site extent in feet: ``length`` along X, ``width`` along Y; ``null`` when unknown."""

    length: float | None
    width: float | None
    height: float | None


class SiteMetadata(_Strict):
    """``timezone`` is the site's IANA name. When the site has none (or an unknown one)
    it is ``"UTC"`` and ``timezone_assumed`` is true, so readers can say so."""

    site_id: UUID
    site_name: str
    site_code: int | None
    site_type: str | None
    dimensions: Dimensions
    timezone: str
    timezone_assumed: bool


class ProgramContext(_Strict):
    """``program_day`` counts site-local calendar days: the program start date is day 1,
    and the day of the round is the site-local date of ``wake_round_end``. It is 0 or
    negative for a round before the program starts. ``total_days`` = end − start + 1."""

    program_id: UUID
    program_name: str
    program_start_date: date
    program_end_date: date
    program_day: int
    total_days: int
    company_id: UUID | None
    company_name: str | None


class Session(_Strict):
    session_id: UUID
    session_date: date
    session_start_time: UtcDatetime
    session_end_time: UtcDatetime
    status: str
    expected_wake_count: int


class Position(_Strict):
    """Feet on the site map; a device without both coordinates has ``position: null``.
    A coordinate outside the site (beyond its extent plus a margin) is written as stored
    and named in ``data_quality`` (``outside_site``)."""

    x: float
    y: float


class Telemetry(_Strict):
    """The device's telemetry as of the round, after last-observation-carried-forward.

    ``current_wake``: newest payload captured inside the round; ``carried_forward``: newest
    payload before the round, no older than ``locf_max_age_hours`` at the round end;
    ``stale``: only older payloads exist (measurements and ids null; ``captured_at`` and
    ``hours_since_last`` describe the newest one); ``no_data``: none at all.
    ``hours_since_last`` = round end − ``captured_at`` in hours (2 decimals) whenever a
    payload exists. Fields NULL on the payload stay null, and so do non-finite ones; a
    value outside its plausible bounds is written as stored and named in
    ``data_quality``.
    """

    temperature: float | None
    humidity: float | None
    pressure: float | None
    gas_resistance: float | None
    wifi_rssi: int | None
    battery_voltage: float | None
    captured_at: UtcDatetime | None
    is_current: bool
    data_freshness: Freshness
    hours_since_last: float | None
    wake_payload_id: UUID | None
    image_id: UUID | None


class MgiVelocity(_Strict):
    per_hour: float | None


class MgiState(_Strict):
    """The device's MGI (0–1) as of the round, with the same freshness rules as telemetry.

    When stale or without data, every score and metric is null and ``band`` is
    ``unknown``. ``previous_*`` is the scored image just before the chosen one; the
    velocity (``mgi_velocity.per_hour``, and ``velocity_per_day`` = × 24) is null without a
    previous image or when both were captured at the same instant. Derived numbers are
    rounded: ``delta`` to 4 decimals, velocities and ``speed_per_day`` to 6 significant
    digits, ``hours_since_last`` to 2 decimals.
    """

    current_mgi: float | None
    captured_at: UtcDatetime | None
    is_current: bool
    data_freshness: Freshness
    hours_since_last: float | None
    mgi_velocity: MgiVelocity
    image_id: UUID | None
    previous_mgi: float | None
    previous_captured_at: UtcDatetime | None
    delta: float | None
    velocity_per_day: float | None
    speed_per_day: float | None
    band: Band


class RoundImage(_Strict):
    """An image captured inside the round. A score outside 0..1 is written as null here
    and reported in ``data_quality``."""

    image_id: UUID
    image_url: str | None
    mgi_score: float | None
    captured_at: UtcDatetime
    observation_type: str | None
    wake_payload_id: UUID | None


class Alert(_Strict):
    alert_id: UUID
    alert_type: str | None
    severity: str | None
    message: str | None
    triggered_at: UtcDatetime


class Display(_Strict):
    color: BandColor
    shape: Literal["circle"]
    size: Literal["medium"]


class Device(_Strict):
    """``images_this_round`` lists the newest images of the round (at most
    ``images_per_device_max``, oldest first); ``images_omitted`` counts the older ones
    of the round that are not listed (0 when all are).

    ``battery_voltage`` and ``last_seen_at`` are as of the round: from the newest wake
    payload captured before the round end (that has a battery reading, for the voltage),
    null when there is none; a catch-up or backfilled document never shows today's
    ``last_seen_at``. ``battery_health_percent``, position and zone come from the device
    row only, as facts that have no history."""

    device_id: UUID
    device_code: str | None
    device_name: str | None
    device_mac: str
    position: Position | None
    zone_id: UUID | None
    zone_label: str | None
    status: Literal["active", "inactive"]
    battery_voltage: float | None
    battery_health_percent: int | None
    last_seen_at: UtcDatetime | None
    telemetry: Telemetry
    mgi_state: MgiState
    images_this_round: list[RoundImage]
    images_omitted: int = Field(ge=0)
    alerts: list[Alert]
    display: Display


class Bounds(_Strict):
    """A rectangle in feet, ``x1 ≤ x2`` and ``y1 ≤ y2``."""

    x1: float
    y1: float
    x2: float
    y2: float


class _ZoneBase(_Strict):
    zone_id: str
    zone_label: str
    bounds: Bounds


class SiteZone(_ZoneBase):
    """A rectangle from ``sites.zones``; members are the placed devices inside it
    (edges included). Averages use the member devices' document values (current or
    carried forward, never stale) except those ``data_quality`` names ``implausible``,
    means rounded to 4 decimals; null when no member has a value."""

    device_ids: list[UUID]
    device_count: int
    source: Literal["site"]
    risk_level: str | None
    avg_temperature: float | None
    avg_humidity: float | None
    avg_mgi: float | None
    max_mgi: float | None


class DeviceZone(_ZoneBase):
    """A circle of ``radius`` feet around a placed device, as the platform's own
    generator wrote it. Bounds are the circle's box, clamped to ``[0, length] × [0,
    width]`` on each axis whose site extent is known.

    It has no member list and no averages (no ``device_ids``, ``device_count`` or
    ``avg_*``): the devices within a radius grow with the square of device density, so
    listing them would make a document grow faster than its devices; the platform's map
    reads none of it. A reader finds the devices in a circle from their positions."""

    source: Literal["device"]
    center: Position
    radius: float
    shape: Literal["circle"]
    device_id: UUID
    device_code: str | None


Zone = Annotated[SiteZone | DeviceZone, Field(discriminator="source")]


class SessionMetrics(_Strict):
    """Round totals. The four ``devices_*`` counts classify every device by its
    telemetry freshness (current_wake, carried_forward, stale, no_data) and add up to
    ``active_devices_count``. ``new_images_this_round`` counts every image of the round,
    listed or omitted. Averages are over devices whose value is current or carried
    forward and not named ``implausible`` in ``data_quality``, rounded to 4 decimals;
    null (never 0) when no device has a value. A statistic the numeric(5,2) aggregate
    columns cannot hold (999.99 at most, once rounded to cents) is null and named in
    ``data_quality`` (``not_storable``, with the statistic's name as ``field``)."""

    active_devices_count: int
    new_images_this_round: int
    new_alerts_this_round: int
    devices_reporting: int
    devices_carried_forward: int
    devices_stale: int
    devices_without_data: int
    avg_temperature: float | None
    avg_humidity: float | None
    avg_mgi: float | None
    max_mgi: float | None


class DataQualityIssue(_Strict):
    """An input that was rejected or is suspicious. ``device_id`` is null for site-level
    inputs (zones, timezone, statistics); ``value`` is the offending number, or a short
    text.

    ``problem``: ``not_finite`` (NaN or ±Infinity: written as null), ``out_of_range`` (an
    MGI score outside 0..1: not used), ``implausible`` (a reading outside its configured
    bounds: kept, left out of the averages), ``outside_site`` (a position beyond the
    site's extent plus a margin: kept), ``not_storable`` (a statistic an aggregate column
    cannot hold: null), ``roster_as_of_today`` (a reconstructed round's devices are those
    of the site today: no placement history could be read), or a problem with the site's
    zones, timezone or cadence column."""

    device_id: UUID | None
    field: str
    value: float | str | None
    problem: Problem


class SnapshotDocument(_Strict):
    """One site's state for one wake round (schema version 1)."""

    schema_version: Literal[1]
    generator: Generator
    units: Units
    snapshot_metadata: SnapshotMetadata
    site_metadata: SiteMetadata
    program_context: ProgramContext
    session: Session
    devices: list[Device]
    environmental_zones: list[Zone]
    session_metrics: SessionMetrics
    data_quality: list[DataQualityIssue]


UNITS = Units(
    temperature="°F",
    humidity="%RH",
    pressure="hPa",
    gas_resistance="Ω",
    battery_voltage="V",
    wifi_rssi="dBm",
    position="ft",
    mgi="0-1",
)
