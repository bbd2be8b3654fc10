"""Build the version 1 snapshot document of one site for one round, from plain values.

The document is built as plain data (dicts, lists, numbers, strings, UUIDs and UTC
instants) in the shape of :class:`~snapwatch.snapshot.model.SnapshotDocument`, and
written as JSON text by :func:`snapwatch.snapshot.jsontext.dumps`. Building it through
the pydantic model would validate every key of every document on every write; the
model and the JSON Schema check the same plain data in the tests instead
(:func:`build_document`), where a mistake is found before it is shipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from snapwatch.infra.config import PlausibilitySettings, SnapshotSettings
from snapwatch.snapshot.aggregates import Aggregates, aggregates, document_aggregates, storable
from snapwatch.snapshot.device import build_device, round_alerts, sort_key
from snapwatch.snapshot.inputs import DeviceObservations, RoundInputs, Trigger
from snapwatch.snapshot.locf import Window
from snapwatch.snapshot.model import GENERATOR_NAME, SCHEMA_VERSION, UNITS, SnapshotDocument
from snapwatch.snapshot.plausible import counted, site_limits
from snapwatch.snapshot.precision import SECONDS_DECIMALS
from snapwatch.snapshot.program import SiteTimezone, program_day, site_timezone, total_days
from snapwatch.snapshot.quality import Issue, finite, issue
from snapwatch.snapshot.stats import averages
from snapwatch.snapshot.timefmt import utc
from snapwatch.snapshot.zones import device_zones, parse_site_zones, site_zones

__all__ = [
    "Aggregates",
    "aggregates",
    "build_document",
    "document_aggregates",
    "document_data",
]

NOTHING = DeviceObservations()
UNITS_DATA = UNITS.model_dump()

# Documents written after their round: their roster is the round's only where placement
# history was read. An on-time one's roster is today's by definition. Short: `inspect`
# shows it in a table of 100 columns.
RECONSTRUCTED: tuple[Trigger, ...] = ("catch_up", "backfill")
ROSTER_AS_OF_TODAY = "today's roster: no readable device_site_assignments"


def build_document(
    inputs: RoundInputs,
    *,
    generated_at: datetime,
    settings: SnapshotSettings,
    plausibility: PlausibilitySettings,
    generator_version: str,
) -> SnapshotDocument:
    """The document of :func:`document_data`, validated by the model (strict: every key,
    no extra key, aware instants, finite numbers)."""
    data = document_data(
        inputs,
        generated_at=generated_at,
        settings=settings,
        plausibility=plausibility,
        generator_version=generator_version,
    )
    return SnapshotDocument.model_validate(data)


def document_data(
    inputs: RoundInputs,
    *,
    generated_at: datetime,
    settings: SnapshotSettings,
    plausibility: PlausibilitySettings,
    generator_version: str,
) -> dict[str, Any]:
    """The final document as plain data: every device, carried forward or marked stale;
    readers need not apply any rule again. Averages leave out the values ``data_quality``
    names implausible, and a statistic the aggregate columns cannot hold is null."""
    rnd, site = inputs.round, inputs.site
    window = Window(rnd.start, rnd.end)
    tz = site_timezone(site.timezone)
    day = program_day(site.program_start_date, rnd.end, tz.zone)
    issues: list[Issue] = []
    if tz.unknown is not None:
        issues.append(issue(None, "timezone", tz.unknown, "unknown_timezone"))
    if rnd.cadence_unused is not None:
        column, value = rnd.cadence_unused
        issues.append(issue(None, column, value, "cadence_column_not_used"))
    for other in rnd.overlapping_sessions:
        issues.append(issue(None, "session_id", str(other), "overlapping_sessions"))
    if inputs.roster_from_today and rnd.trigger in RECONSTRUCTED:
        issues.append(issue(None, "devices", ROSTER_AS_OF_TODAY, "roster_as_of_today"))
    specs, zone_issues = parse_site_zones(site.zones)
    issues.extend(zone_issues)
    dims = {
        "length": finite(site.length),
        "width": finite(site.width),
        "height": finite(site.height),
    }
    limits = site_limits(plausibility, dims["length"], dims["width"])

    observations = inputs.observations
    devices = [
        build_device(
            facts,
            observations.get(facts.device_id, NOTHING),
            window=window,
            max_age_hours=settings.locf_max_age_hours,
            program_day=day,
            images_max=settings.images_per_device_max,
            limits=limits,
            issues=issues,
        )
        for facts in sorted(inputs.devices, key=sort_key)
    ]
    averaged = counted(devices, issues)
    zones = [
        *site_zones(specs, averaged),
        *device_zones(devices, settings.device_zone_radius_ft, dims["length"], dims["width"]),
    ]
    metrics = _metrics(devices, averaged, len(round_alerts(inputs.site_alerts, window)), issues)
    session = inputs.session
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": GENERATOR_NAME, "version": generator_version},
        "units": dict(UNITS_DATA),
        "snapshot_metadata": {
            "wake_number": rnd.wake_number,
            "wake_round_start": utc(rnd.start),
            "wake_round_end": utc(rnd.end),
            "session_id": rnd.session_id,
            "generated_at": utc(generated_at),
            "trigger": rnd.trigger,
            "provisional": rnd.provisional,
            "late_by_seconds": round(rnd.late_by_seconds, SECONDS_DECIMALS),
            "cadence_hours": rnd.cadence_hours,
            "skipped_slots": rnd.skipped_slots,
            "locf_max_age_hours": settings.locf_max_age_hours,
        },
        "site_metadata": _site_metadata(inputs, dims, tz),
        "program_context": {
            "program_id": site.program_id,
            "program_name": site.program_name,
            "program_start_date": site.program_start_date,
            "program_end_date": site.program_end_date,
            "program_day": day,
            "total_days": total_days(site.program_start_date, site.program_end_date),
            "company_id": site.company_id,
            "company_name": site.company_name,
        },
        "session": {
            "session_id": session.session_id,
            "session_date": session.session_date,
            "session_start_time": utc(session.start),
            "session_end_time": utc(session.end),
            "status": session.status,
            "expected_wake_count": session.expected_wake_count,
        },
        "devices": devices,
        "environmental_zones": zones,
        "session_metrics": metrics,
        "data_quality": issues,
    }


def _site_metadata(
    inputs: RoundInputs, dims: dict[str, float | None], tz: SiteTimezone
) -> dict[str, Any]:
    site = inputs.site
    return {
        "site_id": site.site_id,
        "site_name": site.site_name,
        "site_code": site.site_code,
        "site_type": site.site_type,
        "dimensions": dims,
        "timezone": tz.name,
        "timezone_assumed": tz.assumed,
    }


def _metrics(
    devices: Sequence[dict[str, Any]],
    averaged: Sequence[dict[str, Any]],
    site_alerts: int,
    issues: list[Issue],
) -> dict[str, Any]:
    """Counts over ``devices``; statistics over ``averaged`` (:func:`counted`) that the
    aggregate columns can hold."""
    freshness = [d["telemetry"]["data_freshness"] for d in devices]
    return {
        "active_devices_count": len(devices),
        "new_images_this_round": sum(
            len(d["images_this_round"]) + d["images_omitted"] for d in devices
        ),
        "new_alerts_this_round": sum(len(d["alerts"]) for d in devices) + site_alerts,
        "devices_reporting": freshness.count("current_wake"),
        "devices_carried_forward": freshness.count("carried_forward"),
        "devices_stale": freshness.count("stale"),
        "devices_without_data": freshness.count("no_data"),
        **storable(averages(averaged), issues),
    }
