"""Build the version 1 snapshot document of one site for one round, from plain values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from snapwatch.config import SnapshotSettings
from snapwatch.snapshot.aggregates import Aggregates, aggregates
from snapwatch.snapshot.device import build_device, round_alerts, sort_key
from snapwatch.snapshot.inputs import DeviceObservations, RoundInputs
from snapwatch.snapshot.locf import Window
from snapwatch.snapshot.model import (
    GENERATOR_NAME,
    SCHEMA_VERSION,
    UNITS,
    DataQualityIssue,
    Device,
    Dimensions,
    Generator,
    ProgramContext,
    Session,
    SessionMetrics,
    SiteMetadata,
    SnapshotDocument,
    SnapshotMetadata,
)
from snapwatch.snapshot.program import SiteTimezone, program_day, site_timezone, total_days
from snapwatch.snapshot.quality import finite, issue
from snapwatch.snapshot.stats import averages
from snapwatch.snapshot.zones import device_zones, parse_site_zones, site_zones

__all__ = ["Aggregates", "aggregates", "build_document"]

NOTHING = DeviceObservations()


def build_document(
    inputs: RoundInputs,
    *,
    generated_at: datetime,
    settings: SnapshotSettings,
    generator_version: str,
) -> SnapshotDocument:
    """The final document: every device, carried forward or marked stale; readers need
    not apply any rule again."""
    rnd, site = inputs.round, inputs.site
    window = Window(rnd.start, rnd.end)
    tz = site_timezone(site.timezone)
    day = program_day(site.program_start_date, rnd.end, tz.zone)
    issues: list[DataQualityIssue] = []
    if tz.unknown is not None:
        issues.append(issue(None, "timezone", tz.unknown, "unknown_timezone"))
    specs, zone_issues = parse_site_zones(site.zones)
    issues.extend(zone_issues)

    devices = [
        build_device(
            facts,
            inputs.observations.get(facts.device_id, NOTHING),
            window=window,
            max_age_hours=settings.locf_max_age_hours,
            program_day=day,
            issues=issues,
        )
        for facts in sorted(inputs.devices, key=sort_key)
    ]
    dims = Dimensions(
        length=finite(site.length), width=finite(site.width), height=finite(site.height)
    )
    zones = [
        *site_zones(specs, devices),
        *device_zones(devices, settings.device_zone_radius_ft, dims.length, dims.width),
    ]
    return SnapshotDocument(
        schema_version=SCHEMA_VERSION,
        generator=Generator(name=GENERATOR_NAME, version=generator_version),
        units=UNITS,
        snapshot_metadata=SnapshotMetadata(
            wake_number=rnd.wake_number,
            wake_round_start=rnd.start,
            wake_round_end=rnd.end,
            session_id=rnd.session_id,
            generated_at=generated_at,
            trigger=rnd.trigger,
            provisional=rnd.provisional,
            late_by_seconds=rnd.late_by_seconds,
            cadence_hours=rnd.cadence_hours,
            skipped_slots=rnd.skipped_slots,
            locf_max_age_hours=settings.locf_max_age_hours,
        ),
        site_metadata=_site_metadata(inputs, dims, tz),
        program_context=ProgramContext(
            program_id=site.program_id,
            program_name=site.program_name,
            program_start_date=site.program_start_date,
            program_end_date=site.program_end_date,
            program_day=day,
            total_days=total_days(site.program_start_date, site.program_end_date),
            company_id=site.company_id,
            company_name=site.company_name,
        ),
        session=Session(
            session_id=inputs.session.session_id,
            session_date=inputs.session.session_date,
            session_start_time=inputs.session.start,
            session_end_time=inputs.session.end,
            status=inputs.session.status,
            expected_wake_count=inputs.session.expected_wake_count,
        ),
        devices=devices,
        environmental_zones=zones,
        session_metrics=_metrics(devices, len(round_alerts(inputs.site_alerts, window))),
        data_quality=issues,
    )


def _site_metadata(inputs: RoundInputs, dims: Dimensions, tz: SiteTimezone) -> SiteMetadata:
    site = inputs.site
    return SiteMetadata(
        site_id=site.site_id,
        site_name=site.site_name,
        site_code=site.site_code,
        site_type=site.site_type,
        dimensions=dims,
        timezone=tz.name,
        timezone_assumed=tz.assumed,
    )


def _metrics(devices: Sequence[Device], site_alerts: int) -> SessionMetrics:
    freshness = [d.telemetry.data_freshness for d in devices]
    return SessionMetrics(
        active_devices_count=len(devices),
        new_images_this_round=sum(len(d.images_this_round) for d in devices),
        new_alerts_this_round=sum(len(d.alerts) for d in devices) + site_alerts,
        devices_reporting=freshness.count("current_wake"),
        devices_carried_forward=freshness.count("carried_forward"),
        devices_stale=freshness.count("stale"),
        devices_without_data=freshness.count("no_data"),
        **averages(devices),
    )
