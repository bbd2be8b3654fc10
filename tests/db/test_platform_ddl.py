"""snapwatch never blocks the platform's own migrations (pitfall: a view over ``devices``).

After ``snapwatch migrate`` — on snapwatch's own database and on a database shaped like the
platform's — the platform can still add, retype and drop a non-key column of ``devices``,
``sites`` and ``device_images``, including columns snapwatch reads; nothing of snapwatch's
depends on them (no views, no rules, no functions with recorded dependencies).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from support.overview_rows import Rows

from snapwatch.infra.config import load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.migrations import migrate
from snapwatch.schedule.tick import run_tick

CHANGES = {
    "devices": [
        "ADD COLUMN wake_profile_id uuid",
        "ALTER COLUMN device_name TYPE varchar(300)",
        "ALTER COLUMN x_position TYPE double precision",
        "ALTER COLUMN is_active TYPE boolean USING is_active",
        "ALTER COLUMN provisioning_status TYPE varchar(40)",
        "ALTER COLUMN wifi_rssi TYPE bigint",
        "DROP COLUMN battery_health_percent",
        "DROP COLUMN device_name",
    ],
    "sites": [
        "ADD COLUMN floor_plan_url text",
        "ALTER COLUMN type TYPE text",
        "ALTER COLUMN length TYPE double precision",
        "ALTER COLUMN zones TYPE json USING zones::json",
        "DROP COLUMN height",
    ],
    "device_images": [
        "ADD COLUMN thumbnail_url text",
        "ALTER COLUMN image_url TYPE varchar(2000)",
        "ALTER COLUMN mgi_score TYPE double precision",
        "DROP COLUMN observation_type",
    ],
}
ALTERATIONS = [(table, change) for table, changes in CHANGES.items() for change in changes]


@pytest.fixture(params=["own", "platform"])
def migrated(request: pytest.FixtureRequest, isolated_env: Path) -> Iterator[str]:
    dsn: str = request.getfixturevalue(
        "fresh_dsn" if request.param == "own" else "platform_like_dsn"
    )
    settings = load_settings(overrides={"dsn": dsn})[0]
    asyncio.run(migrate(Target(dsn=dsn), settings))
    yield dsn


@pytest.mark.parametrize(
    ("table", "change"), ALTERATIONS, ids=[f"{t}: {c}" for t, c in ALTERATIONS]
)
def test_the_platform_can_change_its_columns_after_snapwatch_migrate(
    migrated: str, table: str, change: str
) -> None:
    with psycopg.connect(migrated, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '5s'")
        conn.execute(f"ALTER TABLE public.{table} {change}")


async def test_snapwatch_keeps_working_after_the_platform_adds_and_retypes_columns(
    fresh_dsn: str, isolated_env: Path
) -> None:
    settings = load_settings(overrides={"dsn": fresh_dsn})[0]
    await migrate(Target(dsn=fresh_dsn), settings)
    day = datetime(2026, 6, 10, tzinfo=UTC)
    rows = Rows(fresh_dsn)
    site = rows.site(rows.program(rows.company("Co"), "P"), "Site", snapshot_cadence_hours=1)
    rows.session(site, day, day + timedelta(days=1), "in_progress")
    device = rows.device(site, x_position=3, y_position=4)
    rows.payload(device, day + timedelta(minutes=30), temperature=70.0)
    rows.close()
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        for table, changes in CHANGES.items():
            for change in changes:
                if not change.startswith("DROP"):
                    conn.execute(f"ALTER TABLE public.{table} {change}")
    conn_ = await connect(Target(dsn=fresh_dsn), settings)
    try:
        report = await run_tick(conn_, settings, day + timedelta(hours=2, minutes=3))
    finally:
        await conn_.close()
    [outcome] = report.outcomes
    assert outcome.outcome == "written" and len(outcome.written) == 2, outcome
