"""The fixed shape of the demo fleet: companies, programs, sites and their peculiarities.

Everything here is independent of the seed; the seed only decides the details (positions,
telemetry, growth, gaps). Company ids are fixed too, so the demo's rows can always be
found again (and removed by ``--reset``) without touching anything else.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

DEMO_NAMESPACE = uuid.UUID("6f2d1c3e-5b0a-4f4e-9a57-3c1d2e8b9a10")
"""Namespace of every demo id (uuid5)."""

SCHEDULE_TWICE_DAILY = "0 8,16 * * *"
SCHEDULE_6H = "0 */6 * * *"
SCHEDULE_3H = "0 */3 * * *"
SCHEDULE_2H = "0 */2 * * *"
SCHEDULE_HOURLY = "0 * * * *"
SCHEDULE_30M = "*/30 * * * *"
SCHEDULE_15M = "*/15 * * * *"


@dataclass(frozen=True, slots=True)
class CompanySpec:
    key: str
    name: str

    @property
    def company_id(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, f"company:{self.key}")


@dataclass(frozen=True, slots=True)
class ProgramSpec:
    key: str
    company: str
    name: str
    started_days_ago: int
    ends_in_days: int


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """A rectangle given as fractions of the site's length (x) and width (y)."""

    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    risk_level: Literal["low", "medium", "high"]


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A site and its devices. Device peculiarities are keyed by the device's 0-based index
    in the site: ``hot_devices`` grow into the high MGI band, ``unplaced`` have no position,
    ``statuses`` override provisioning_status ('active'), ``disabled`` have is_active false,
    ``weak_battery`` start the history at that voltage, ``offline_hours`` have been silent
    for that long before now. Device ``i`` wakes on ``schedules[i % len(schedules)]``."""

    key: str
    program: str
    name: str
    type: str
    dims: tuple[float, float, float] | None
    timezone: str | None
    cadence_hours: float | None
    cadence_per_day: int | None
    devices: int
    schedules: tuple[str, ...] = (SCHEDULE_HOURLY,)
    zones: tuple[ZoneSpec, ...] = ()
    hot_devices: tuple[int, ...] = ()
    unplaced: tuple[int, ...] = ()
    statuses: dict[int, str] = field(default_factory=dict)
    disabled: tuple[int, ...] = ()
    weak_battery: dict[int, float] = field(default_factory=dict)
    offline_hours: dict[int, float] = field(default_factory=dict)
    session_locked_today: bool = False


COMPANIES: tuple[CompanySpec, ...] = (
    CompanySpec("harborview", "Harborview Cold Storage (demo)"),
    CompanySpec("polder", "Polder Grain Cooperative (demo)"),
)

PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec("winter", "harborview", "Winter Mold Watch", 52, 120),
    ProgramSpec("produce", "harborview", "Produce Ripening Pilot", 24, 150),
    ProgramSpec("grain", "polder", "Grain Storage Trial", 37, 200),
)

SITES: tuple[SiteSpec, ...] = (
    SiteSpec(
        key="pier4-cold",
        program="winter",
        name="Pier 4 Cold Room",
        type="cold_storage",
        dims=(60, 40, 14),
        timezone="America/New_York",
        cadence_hours=0.25,
        cadence_per_day=None,
        devices=14,
        schedules=(SCHEDULE_15M,),
        zones=(
            ZoneSpec("Door side", 0.0, 0.0, 0.3, 1.0, "high"),
            ZoneSpec("Racks", 0.35, 0.1, 0.95, 0.9, "medium"),
        ),
        weak_battery={3: 3.63},
    ),
    SiteSpec(
        key="pier4-dock",
        program="winter",
        name="Pier 4 Loading Dock",
        type="warehouse",
        dims=(120, 50, 20),
        timezone="America/New_York",
        cadence_hours=1,
        cadence_per_day=None,
        devices=10,
        schedules=(SCHEDULE_HOURLY, SCHEDULE_30M),
        disabled=(9,),
    ),
    SiteSpec(  # an old row: no timezone (runs on UTC)
        key="newark-annex",
        program="winter",
        name="Newark Annex",
        type="warehouse",
        dims=(80, 45, 16),
        timezone=None,
        cadence_hours=3,
        cadence_per_day=None,
        devices=8,
        schedules=(SCHEDULE_3H,),
    ),
    SiteSpec(
        key="main-warehouse",
        program="winter",
        name="Harborview Main Warehouse",
        type="warehouse",
        dims=(200, 120, 30),
        timezone="America/Chicago",
        cadence_hours=2,
        cadence_per_day=None,
        devices=25,
        schedules=(SCHEDULE_2H, SCHEDULE_HOURLY, SCHEDULE_2H),
        zones=(
            ZoneSpec("Bay A", 0.02, 0.05, 0.32, 0.95, "low"),
            ZoneSpec("Bay B", 0.35, 0.05, 0.65, 0.95, "medium"),
            ZoneSpec("Bay C (damp wall)", 0.68, 0.05, 0.98, 0.95, "high"),
        ),
        hot_devices=(21,),
        unplaced=(4, 17),
        statuses={24: "decommissioned"},
    ),
    SiteSpec(
        key="archive",
        program="winter",
        name="Records Archive",
        type="office",
        dims=(30, 20, 9),
        timezone="America/Chicago",
        cadence_hours=6,
        cadence_per_day=None,
        devices=4,
        schedules=(SCHEDULE_TWICE_DAILY, SCHEDULE_6H),
    ),
    SiteSpec(
        key="ripening-a",
        program="produce",
        name="Ripening Room A",
        type="cold_storage",
        dims=(40, 30, 12),
        timezone="America/Los_Angeles",
        cadence_hours=0.5,
        cadence_per_day=None,
        devices=12,
        schedules=(SCHEDULE_30M,),
        zones=(ZoneSpec("Banana racks", 0.1, 0.1, 0.6, 0.9, "high"),),
        hot_devices=(2, 5, 7),
    ),
    SiteSpec(  # the older cadence column only
        key="ripening-b",
        program="produce",
        name="Ripening Room B",
        type="cold_storage",
        dims=(40, 30, 12),
        timezone="America/Los_Angeles",
        cadence_hours=None,
        cadence_per_day=12,
        devices=9,
        schedules=(SCHEDULE_2H,),
    ),
    SiteSpec(  # never measured: no dimensions
        key="fresno-shed",
        program="produce",
        name="Fresno Overflow Shed",
        type="warehouse",
        dims=None,
        timezone="America/Los_Angeles",
        cadence_hours=1,
        cadence_per_day=None,
        devices=6,
        schedules=(SCHEDULE_HOURLY,),
        unplaced=(5,),
        statuses={5: "pending_mapping"},
    ),
    SiteSpec(
        key="silo-hall",
        program="grain",
        name="Silo Hall Zaandam",
        type="grain_storage",
        dims=(150, 80, 35),
        timezone="Europe/Amsterdam",
        cadence_hours=1,
        cadence_per_day=None,
        devices=20,
        schedules=(SCHEDULE_HOURLY,),
        zones=(
            ZoneSpec("Silo row north", 0.05, 0.55, 0.95, 0.95, "medium"),
            ZoneSpec("Silo row south", 0.05, 0.05, 0.95, 0.45, "low"),
        ),
        hot_devices=(11,),
        unplaced=(19,),
        statuses={8: "inactive"},
        weak_battery={2: 3.43},
    ),
    SiteSpec(
        key="drying-floor",
        program="grain",
        name="Drying Floor",
        type="grain_storage",
        dims=(90, 60, 15),
        timezone="Europe/Amsterdam",
        cadence_hours=0.5,
        cadence_per_day=None,
        devices=16,
        schedules=(SCHEDULE_30M, SCHEDULE_30M, SCHEDULE_15M),
        offline_hours={6: 6.5},
    ),
    SiteSpec(  # today's session was closed early: no open session now
        key="seed-vault",
        program="grain",
        name="Seed Vault",
        type="cold_storage",
        dims=(25, 15, 10),
        timezone="UTC",
        cadence_hours=6,
        cadence_per_day=None,
        devices=3,
        schedules=(SCHEDULE_TWICE_DAILY,),
        session_locked_today=True,
    ),
    SiteSpec(  # just set up: no devices yet
        key="new-mill",
        program="grain",
        name="New Mill Building",
        type="production",
        dims=(100, 60, 20),
        timezone="Europe/Amsterdam",
        cadence_hours=2,
        cadence_per_day=None,
        devices=0,
    ),
)


def demo_company_ids() -> list[uuid.UUID]:
    """The ids that mark a row as belonging to the demo fleet."""
    return [c.company_id for c in COMPANIES]
