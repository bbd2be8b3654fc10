"""Plain input values for snapshot document tests, and a builder that checks every
document it builds against the shipped JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID, uuid5

import jsonschema

from snapwatch.infra.config import PlausibilitySettings, SnapshotSettings
from snapwatch.snapshot.document import build_document
from snapwatch.snapshot.inputs import (
    CapturedImage,
    DeviceFacts,
    DeviceObservations,
    Round,
    RoundAlert,
    RoundInputs,
    ScoredImage,
    SessionFacts,
    SiteFacts,
    TelemetryRow,
)
from snapwatch.snapshot.model import SnapshotDocument
from snapwatch.snapshot.schema import shipped_schema

NS = UUID("6f0d8a52-3f0b-4c55-9a53-0f4f2b0e8a10")

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
GENERATED_AT = END + timedelta(minutes=2)
SETTINGS = SnapshotSettings()
PLAUSIBILITY = PlausibilitySettings()


def uid(name: str) -> UUID:
    return uuid5(NS, name)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def site(**changes: Any) -> SiteFacts:
    values: dict[str, Any] = {
        "site_id": uid("site"),
        "site_name": "Greenhouse 3",
        "site_code": 103,
        "site_type": "greenhouse",
        "length": 100.0,
        "width": 60.0,
        "height": 12.0,
        "timezone": "America/New_York",
        "zones": [],
        "program_id": uid("program"),
        "program_name": "Winter trial",
        "program_start_date": date(2026, 11, 1),
        "program_end_date": date(2027, 1, 31),
        "company_id": uid("company"),
        "company_name": "Acme Growers",
    }
    values.update(changes)
    return SiteFacts(**values)


def session(**changes: Any) -> SessionFacts:
    values: dict[str, Any] = {
        "session_id": uid("session"),
        "session_date": date(2026, 11, 28),
        "start": datetime(2026, 11, 28, 5, 0, tzinfo=UTC),
        "end": datetime(2026, 11, 29, 5, 0, tzinfo=UTC),
        "status": "in_progress",
        "expected_wake_count": 12,
    }
    values.update(changes)
    return SessionFacts(**values)


def round_(**changes: Any) -> Round:
    values: dict[str, Any] = {
        "session_id": uid("session"),
        "wake_number": 4,
        "start": START,
        "end": END,
        "trigger": "schedule",
        "provisional": False,
        "late_by_seconds": 0.0,
        "cadence_hours": 2.0,
    }
    values.update(changes)
    return Round(**values)


def device(name: str = "d1", **changes: Any) -> DeviceFacts:
    values: dict[str, Any] = {
        "device_id": uid(name),
        "device_code": f"DEVICE-{name.upper()}",
        "device_name": f"Bench {name}",
        "device_mac": f"AA:BB:CC:00:{uid(name).hex[:2]}:{uid(name).hex[2:4]}",
        "x": 10.0,
        "y": 10.0,
        "zone_id": None,
        "zone_label": None,
        "is_active": True,
        "provisioning_status": "active",
        "battery_voltage": 3.9,
        "battery_health_percent": 87,
        "last_seen_at": START + hours(1),
    }
    values.update(changes)
    return DeviceFacts(**values)


def telemetry(at: datetime, name: str = "t", **changes: Any) -> TelemetryRow:
    values: dict[str, Any] = {
        "payload_id": uid(f"payload-{name}-{at.isoformat()}"),
        "captured_at": at,
        "temperature": 71.5,
        "humidity": 55.0,
        "pressure": 1012.5,
        "gas_resistance": 15000.0,
        "battery_voltage": 3.8,
        "wifi_rssi": -61,
        "image_id": None,
    }
    values.update(changes)
    return TelemetryRow(**values)


def scored(at: datetime, score: float, name: str = "i") -> ScoredImage:
    return ScoredImage(
        image_id=uid(f"image-{name}-{at.isoformat()}"), captured_at=at, mgi_score=score
    )


def image(at: datetime, score: float | None = None, name: str = "i") -> CapturedImage:
    return CapturedImage(
        image_id=uid(f"image-{name}-{at.isoformat()}"),
        image_url=f"https://images.example/{name}.jpg",
        mgi_score=score,
        captured_at=at,
        observation_type="petri",
        wake_payload_id=None,
    )


def alert(at: datetime, name: str = "a", device_id: UUID | None = None) -> RoundAlert:
    return RoundAlert(
        alert_id=uid(f"alert-{name}-{at.isoformat()}"),
        device_id=device_id,
        alert_type="mgi_high",
        severity="warning",
        message="MGI is in the high band",
        triggered_at=at,
    )


def inputs(
    devices: tuple[DeviceFacts, ...] = (),
    observations: dict[UUID, DeviceObservations] | None = None,
    *,
    site_facts: SiteFacts | None = None,
    round_facts: Round | None = None,
    site_alerts: tuple[RoundAlert, ...] = (),
) -> RoundInputs:
    return RoundInputs(
        site=site_facts or site(),
        session=session(),
        round=round_facts or round_(),
        devices=devices,
        observations=observations or {},
        site_alerts=site_alerts,
    )


def one_device(obs: DeviceObservations, **changes: Any) -> RoundInputs:
    facts = device(**changes)
    return inputs((facts,), {facts.device_id: obs})


def build(
    data: RoundInputs,
    settings: SnapshotSettings = SETTINGS,
    plausibility: PlausibilitySettings = PLAUSIBILITY,
) -> SnapshotDocument:
    """Build a document and check it against the shipped JSON Schema."""
    doc = build_document(
        data,
        generated_at=GENERATED_AT,
        settings=settings,
        plausibility=plausibility,
        generator_version="0.1.0",
    )
    validate(as_json(doc))
    return doc


def as_json(doc: SnapshotDocument) -> Any:
    """The document exactly as written: serialised to JSON text and parsed back."""
    return json.loads(doc.model_dump_json())


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = shipped_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate(document: Any) -> None:
    _validator().validate(document)
