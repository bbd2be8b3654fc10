"""A tolerant reading of a stored snapshot document, for ``snapwatch inspect`` and the
inspection screen.

The stored ``site_state`` is read as plain JSON, not through the strict model: a
document written by an older tool (another shape, see :mod:`snapwatch.inspection.shapes`,
a missing key, a wrong type) still shows whatever it holds, and what could not be read
is named in :attr:`SnapshotView.notes`. Every value that is absent or of the wrong type
reads as ``None``. The row's own columns (wake number, round, session) fill in what the
document lacks. Nothing is recomputed: a carried-forward value stays as stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from snapwatch.inspection.lenient import day, dig, flag, instant, integer, number, text
from snapwatch.inspection.shapes import normalise
from snapwatch.snapshot.mgi import band as mgi_band

FRESHNESS_LABELS = {
    "current_wake": "new",
    "carried_forward": "carried",
    "stale": "stale",
    "no_data": "no data",
}
"""Short words for ``data_freshness`` in tables: new data in the round, or carried."""

BAND_ORDER = {"low": 0, "moderate": 1, "elevated": 2, "high": 3}
NO_BAND = "unknown"
"""The band of a device shown without a band colour (grey): stale, no MGI, unrecognised."""


def without_data(mgi: float | None, freshness: str | None) -> bool:
    """A device with no MGI, or only a stale one: never shown in a band colour."""
    return mgi is None or freshness in {"stale", "no_data"}


def shown_band(band: str | None, mgi: float | None, freshness: str | None) -> str:
    """The band a device is shown with, on the map and in every table: its stored band,
    :data:`NO_BAND` when it has no current data or the band is not one of the four."""
    if without_data(mgi, freshness) or band not in BAND_ORDER:
        return NO_BAND
    return band


@dataclass(frozen=True)
class StoredSnapshot:
    """One ``session_wake_snapshots`` row with a few facts of its site and session."""

    snapshot_id: UUID
    site_id: UUID
    session_id: UUID
    wake_number: int
    wake_round_start: datetime
    wake_round_end: datetime
    created_at: datetime
    site_state: Any
    site_name: str
    session_date: date | None


@dataclass(frozen=True)
class ImageView:
    image_id: str | None
    url: str | None
    mgi: float | None
    captured_at: datetime | None
    observation_type: str | None


@dataclass(frozen=True)
class AlertView:
    alert_id: str | None
    alert_type: str | None
    severity: str | None
    message: str | None
    triggered_at: datetime | None


@dataclass(frozen=True)
class DeviceView:
    device_id: str | None
    code: str
    """``device_code``, else the name, else the id: always something to show."""
    position: tuple[float, float] | None
    mgi: float | None
    band: str
    mgi_freshness: str | None
    mgi_hours: float | None
    velocity_per_day: float | None
    telemetry_freshness: str | None
    telemetry_hours: float | None
    temperature: float | None
    humidity: float | None
    name: str | None = None
    delta: float | None = None
    mgi_captured_at: datetime | None = None
    telemetry_captured_at: datetime | None = None
    zone_label: str | None = None
    status: str | None = None
    battery_voltage: float | None = None
    battery_health_percent: int | None = None
    last_seen_at: datetime | None = None
    images: tuple[ImageView, ...] = ()
    images_omitted: int = 0
    alerts: tuple[AlertView, ...] = ()

    @property
    def key(self) -> str:
        """What identifies the device across two snapshots."""
        return self.device_id or self.code

    @property
    def without_data(self) -> bool:
        """Stale or no MGI at all: drawn with a distinct mark, never a band colour."""
        return without_data(self.mgi, self.mgi_freshness)


@dataclass(frozen=True)
class ZoneView:
    zone_id: str | None
    label: str
    source: str | None
    """``site`` (a rectangle of ``sites.zones``) or ``device`` (a circle round a device)."""
    bounds: tuple[float, float, float, float] | None
    """``(x1, y1, x2, y2)`` in feet."""
    center: tuple[float, float] | None
    radius: float | None
    device_id: str | None = None
    """For a device-centred zone: the device at its centre. Member lists are not read:
    nothing shows them, and device zones have none (those of older documents, the
    devices within the circle, are ignored)."""


@dataclass(frozen=True)
class QualityView:
    device_id: str | None
    field: str | None
    value: Any
    problem: str | None


@dataclass(frozen=True)
class MetricsView:
    active_devices: int | None
    new_images: int | None
    new_alerts: int | None
    reporting: int | None
    carried_forward: int | None
    stale: int | None
    without_data: int | None
    avg_temperature: float | None
    avg_humidity: float | None
    avg_mgi: float | None
    max_mgi: float | None


@dataclass(frozen=True)
class SnapshotView:
    snapshot_id: UUID
    wake_number: int
    wake_round_start: datetime
    wake_round_end: datetime
    generated_at: datetime | None
    trigger: str | None
    provisional: bool | None
    late_by_seconds: float | None
    cadence_hours: float | None
    session_id: UUID
    session_date: date | None
    session_status: str | None
    expected_wake_count: int | None
    site_id: UUID
    site_name: str
    site_code: str | None
    site_type: str | None
    timezone: str | None
    timezone_assumed: bool | None
    length: float | None
    width: float | None
    program_name: str | None
    program_day: int | None
    total_days: int | None
    company_name: str | None
    devices: tuple[DeviceView, ...]
    metrics: MetricsView
    data_quality: tuple[QualityView, ...]
    zones: tuple[ZoneView, ...] = ()
    generator_version: str | None = None
    shape: str = "v1"
    """The document's shape (see :mod:`snapwatch.inspection.shapes`)."""
    notes: tuple[str, ...] = ()
    """What the reader had to guess or could not read, one line each."""

    def device_code(self, device_id: str | None) -> str | None:
        """The code of the (first) device with this id; None for no id."""
        return None if device_id is None else self._codes.get(device_id)

    @cached_property
    def _codes(self) -> dict[str, str]:
        """Device id → code: one look-up per finding instead of a scan of the devices (a
        site can have thousands of both)."""
        codes: dict[str, str] = {}
        for d in self.devices:
            if d.device_id is not None:
                codes.setdefault(d.device_id, d.code)
        return codes


def read_view(row: StoredSnapshot) -> SnapshotView:
    found = normalise(row.site_state)
    notes = list(found.notes)
    doc = found.document
    meta = dig(doc, "snapshot_metadata")
    site = dig(doc, "site_metadata")
    program = dig(doc, "program_context")
    session = dig(doc, "session")
    devices = dig(doc, "devices")
    quality = dig(doc, "data_quality")
    zones = dig(doc, "environmental_zones")
    generator = dig(doc, "generator")
    return SnapshotView(
        snapshot_id=row.snapshot_id,
        wake_number=row.wake_number,
        wake_round_start=row.wake_round_start,
        wake_round_end=row.wake_round_end,
        generated_at=instant(dig(meta, "generated_at")),
        trigger=text(dig(meta, "trigger")),
        provisional=flag(dig(meta, "provisional")),
        late_by_seconds=number(dig(meta, "late_by_seconds")),
        cadence_hours=number(dig(meta, "cadence_hours")),
        session_id=row.session_id,
        session_date=day(dig(session, "session_date")) or row.session_date,
        session_status=text(dig(session, "status")),
        expected_wake_count=integer(dig(session, "expected_wake_count")),
        site_id=row.site_id,
        site_name=text(dig(site, "site_name")) or row.site_name,
        site_code=text(dig(site, "site_code")),
        site_type=text(dig(site, "site_type")),
        timezone=text(dig(site, "timezone")),
        timezone_assumed=flag(dig(site, "timezone_assumed")),
        length=number(dig(site, "dimensions", "length")),
        width=number(dig(site, "dimensions", "width")),
        program_name=text(dig(program, "program_name")),
        program_day=integer(dig(program, "program_day")),
        total_days=integer(dig(program, "total_days")),
        company_name=text(dig(program, "company_name")),
        devices=tuple(
            _device(d, i, notes) for i, d in enumerate(devices if isinstance(devices, list) else [])
        ),
        metrics=_metrics(dig(doc, "session_metrics"), devices),
        data_quality=tuple(
            QualityView(
                device_id=text(dig(q, "device_id")),
                field=text(dig(q, "field")),
                value=dig(q, "value"),
                problem=text(dig(q, "problem")),
            )
            for q in (quality if isinstance(quality, list) else [])
        ),
        zones=tuple(
            zone
            for i, z in enumerate(zones if isinstance(zones, list) else [])
            if (zone := _zone(z, i, notes)) is not None
        ),
        generator_version=text(dig(generator, "version")),
        shape=found.shape,
        notes=tuple(notes),
    )


def _device(raw: Any, index: int, notes: list[str]) -> DeviceView:
    device_id = text(dig(raw, "device_id"))
    code = (
        text(dig(raw, "device_code"))
        or text(dig(raw, "device_name"))
        or device_id
        or f"device #{index + 1}"
    )
    x, y = number(dig(raw, "position", "x")), number(dig(raw, "position", "y"))
    position = None if x is None or y is None else (x, y)
    if position is None and dig(raw, "position") is not None:
        notes.append(f"device {code}: position {dig(raw, 'position')!r} unreadable; unplaced")
    mgi = number(dig(raw, "mgi_state", "current_mgi"))
    stored_mgi = dig(raw, "mgi_state", "current_mgi")
    if mgi is None and stored_mgi is not None:
        notes.append(f"device {code}: MGI {stored_mgi!r} is not a number; shown without")
    stored_band = text(dig(raw, "mgi_state", "band"))
    per_day = number(dig(raw, "mgi_state", "velocity_per_day"))
    if per_day is None:
        per_hour = number(dig(raw, "mgi_state", "mgi_velocity", "per_hour"))
        per_day = None if per_hour is None else per_hour * 24
    images = dig(raw, "images_this_round")
    alerts = dig(raw, "alerts")
    return DeviceView(
        device_id=device_id,
        code=code,
        position=position,
        mgi=mgi,
        band=stored_band or mgi_band(mgi)[0],
        mgi_freshness=text(dig(raw, "mgi_state", "data_freshness")),
        mgi_hours=number(dig(raw, "mgi_state", "hours_since_last")),
        velocity_per_day=per_day,
        telemetry_freshness=text(dig(raw, "telemetry", "data_freshness")),
        telemetry_hours=number(dig(raw, "telemetry", "hours_since_last")),
        temperature=number(dig(raw, "telemetry", "temperature")),
        humidity=number(dig(raw, "telemetry", "humidity")),
        name=text(dig(raw, "device_name")),
        delta=number(dig(raw, "mgi_state", "delta")),
        mgi_captured_at=instant(dig(raw, "mgi_state", "captured_at")),
        telemetry_captured_at=instant(dig(raw, "telemetry", "captured_at")),
        zone_label=text(dig(raw, "zone_label")),
        status=text(dig(raw, "status")),
        battery_voltage=number(dig(raw, "battery_voltage")),
        battery_health_percent=integer(dig(raw, "battery_health_percent")),
        last_seen_at=instant(dig(raw, "last_seen_at")),
        images=tuple(
            ImageView(
                image_id=text(dig(i, "image_id")),
                url=text(dig(i, "image_url")),
                mgi=number(dig(i, "mgi_score")),
                captured_at=instant(dig(i, "captured_at")),
                observation_type=text(dig(i, "observation_type")),
            )
            for i in (images if isinstance(images, list) else [])
        ),
        images_omitted=integer(dig(raw, "images_omitted")) or 0,
        alerts=tuple(
            AlertView(
                alert_id=text(dig(a, "alert_id")),
                alert_type=text(dig(a, "alert_type")),
                severity=text(dig(a, "severity")),
                message=text(dig(a, "message")),
                triggered_at=instant(dig(a, "triggered_at")),
            )
            for a in (alerts if isinstance(alerts, list) else [])
        ),
    )


def _zone(raw: Any, index: int, notes: list[str]) -> ZoneView | None:
    label = text(dig(raw, "zone_label")) or text(dig(raw, "zone_id")) or f"zone #{index + 1}"
    corners = tuple(number(dig(raw, "bounds", k)) for k in ("x1", "y1", "x2", "y2"))
    cx, cy = number(dig(raw, "center", "x")), number(dig(raw, "center", "y"))
    center = None if cx is None or cy is None else (cx, cy)
    radius = number(dig(raw, "radius"))
    bounds = None
    if all(c is not None for c in corners):
        x1, y1, x2, y2 = (float(c) for c in corners if c is not None)
        bounds = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    if bounds is None and (center is None or radius is None):
        notes.append(f"zone {label}: neither bounds nor a circle readable; not drawn")
        return None
    return ZoneView(
        zone_id=text(dig(raw, "zone_id")),
        label=label,
        source=text(dig(raw, "source")),
        bounds=bounds,
        center=center,
        radius=radius,
        device_id=text(dig(raw, "device_id")),
    )


def _metrics(raw: Any, devices: Any) -> MetricsView:
    count = integer(dig(raw, "active_devices_count"))
    if count is None and isinstance(devices, list):
        count = len(devices)
    return MetricsView(
        active_devices=count,
        new_images=integer(dig(raw, "new_images_this_round")),
        new_alerts=integer(dig(raw, "new_alerts_this_round")),
        reporting=integer(dig(raw, "devices_reporting")),
        carried_forward=integer(dig(raw, "devices_carried_forward")),
        stale=integer(dig(raw, "devices_stale")),
        without_data=integer(dig(raw, "devices_without_data")),
        avg_temperature=number(dig(raw, "avg_temperature")),
        avg_humidity=number(dig(raw, "avg_humidity")),
        avg_mgi=number(dig(raw, "avg_mgi")),
        max_mgi=number(dig(raw, "max_mgi")),
    )


def freshness_label(freshness: str | None) -> str:
    if freshness is None:
        return "-"
    return FRESHNESS_LABELS.get(freshness, freshness)
