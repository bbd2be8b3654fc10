"""``snapwatch inspect``: choosing a snapshot, its text, its JSON, and its diff.

Snapshots are real: rows are written into a migrated database and ``run_tick`` writes
the documents at fixed instants. The small site below has a session on 2025-06-02 (UTC),
an hourly cadence and three devices; the first tick (02:10) writes wake 2
[01:00, 02:00), the second (03:10) wake 3 [02:00, 03:00).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4, uuid5

import psycopg
import pytest
from psycopg.rows import dict_row
from support.cli import cli

from snapwatch.commands.inspect import inspect
from snapwatch.commands.parser import build_parser
from snapwatch.demo.seed import seed_demo
from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import SnapwatchError
from snapwatch.schedule.tick import run_tick

NS = UUID("3d1f0b7e-8a41-4c3b-9d0e-5b2a7c6f1e90")
SESSION_START = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)
TICK_1 = datetime(2025, 6, 2, 2, 10, tzinfo=UTC)
TICK_2 = datetime(2025, 6, 2, 3, 10, tzinfo=UTC)
LONG_AFTER = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)

Conn = psycopg.AsyncConnection[dict[str, Any]]


def uid(name: str) -> UUID:
    return uuid5(NS, name)


SITE_ID = uid("site")
SESSION_ID = uid("session")
DEVICE_A, DEVICE_B, DEVICE_C, DEVICE_D = (uid(f"device-{k}") for k in "abcd")
CODES = ("SW-A", "SW-B", "SW-C")


def at(hour: int, minute: int = 0) -> datetime:
    return SESSION_START + timedelta(hours=hour, minutes=minute)


@dataclass
class World:
    dsn: str
    settings: Settings
    conn: Conn

    @property
    def target(self) -> Target:
        return Target(dsn=self.dsn)


@pytest.fixture
async def world(migrated_dsn: str, isolated_env: Path) -> AsyncIterator[World]:
    loaded = load_settings(overrides={"dsn": migrated_dsn})[0]
    # The site's first snapshot is wake 2 (only the newest slot, written 8 min after due).
    sched = loaded.scheduler.model_copy(update={"catch_up": "latest", "late_grace_seconds": 900})
    settings = loaded.model_copy(update={"scheduler": sched})
    async with await psycopg.AsyncConnection.connect(
        migrated_dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        yield World(migrated_dsn, settings, conn)


async def build_site(conn: Conn) -> None:
    """Company, program, site, session and three devices: SW-A and SW-B placed, SW-C
    unplaced and silent. SW-A has a low MGI at 00:30 and telemetry at 00:30 and 01:30;
    SW-B a moderate MGI at 01:20 and telemetry at 01:20 and 02:20."""
    company, program = uid("company"), uid("program")
    await conn.execute(
        "INSERT INTO companies (company_id, name) VALUES (%s, 'Inspect Co')", (company,)
    )
    await conn.execute(
        "INSERT INTO pilot_programs (program_id, company_id, name, start_date, end_date)"
        " VALUES (%s, %s, 'Inspect pilot', %s, %s)",
        (program, company, date(2025, 5, 1), date(2025, 8, 31)),
    )
    await conn.execute(
        "INSERT INTO sites (site_id, program_id, company_id, name, site_code, type, length,"
        " width, height, timezone, snapshot_cadence_hours)"
        " VALUES (%s, %s, %s, 'Inspect Barn', 4242, 'barn', 60, 40, 10, 'Europe/Amsterdam', 1)",
        (SITE_ID, program, company),
    )
    await conn.execute(
        "INSERT INTO site_device_sessions (session_id, company_id, program_id, site_id,"
        " session_date, session_start_time, session_end_time, expected_wake_count, status)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, 24, 'in_progress')",
        (SESSION_ID, company, program, SITE_ID, date(2025, 6, 2), SESSION_START, at(24)),
    )
    for device_id, code, x, y in (
        (DEVICE_A, "SW-A", 10, 5),
        (DEVICE_B, "SW-B", 30, 15),
        (DEVICE_C, "SW-C", None, None),
    ):
        await add_device(conn, device_id, code, x, y)
    for device_id, when in ((DEVICE_A, at(0, 30)), (DEVICE_A, at(1, 30))):
        await add_payload(conn, device_id, when, 61.5)
    for device_id, when in ((DEVICE_B, at(1, 20)), (DEVICE_B, at(2, 20))):
        await add_payload(conn, device_id, when, 63.0)
    await add_image(conn, DEVICE_A, at(0, 30), 0.05)
    await add_image(conn, DEVICE_B, at(1, 20), 0.2)


async def add_device(
    conn: Conn, device_id: UUID, code: str, x: float | None, y: float | None
) -> None:
    await conn.execute(
        "INSERT INTO devices (device_id, device_mac, device_code, device_name, site_id,"
        " program_id, company_id, x_position, y_position, is_active, provisioning_status)"
        " SELECT %s, %s, %s, %s, site_id, program_id, company_id, %s, %s, true, 'active'"
        " FROM sites WHERE site_id = %s",
        (device_id, f"AA:{code}", code, f"Barn {code}", x, y, SITE_ID),
    )


async def add_payload(conn: Conn, device_id: UUID, when: datetime, temperature: float) -> None:
    await conn.execute(
        "INSERT INTO device_wake_payloads (company_id, program_id, site_id, device_id,"
        " captured_at, temperature, humidity)"
        " SELECT company_id, program_id, site_id, %s, %s, %s, 70 FROM sites WHERE site_id = %s",
        (device_id, when, temperature, SITE_ID),
    )


async def add_image(conn: Conn, device_id: UUID, when: datetime, score: float) -> None:
    await conn.execute(
        "INSERT INTO device_images (device_id, captured_at, site_id, mgi_score, status)"
        " VALUES (%s, %s, %s, %s, 'complete')",
        (device_id, when, SITE_ID, score),
    )


async def tick(world: World, now: datetime) -> UUID:
    report = await run_tick(world.conn, world.settings, now, site=SITE_ID)
    (outcome,) = report.outcomes
    assert outcome.outcome == "written", outcome
    return outcome.written[-1].snapshot_id


async def run(world: World, **options: Any) -> tuple[int, str, str]:
    """Run inspect; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    values: dict[str, Any] = {
        "snapshot": None,
        "site": None,
        "wake": None,
        "latest": False,
        "as_json": False,
        "diff": False,
        "now": TICK_2,
    }
    values.update(options)
    code = await inspect(world.target, world.settings, out=out, err=err, **values)
    return code, out.getvalue(), err.getvalue()


def same_document(shown: Any, stored: Any) -> bool:
    """Equal values, and equal keys in the same order (the document's own, as the schema
    gives it); floats equal up to the 12 significant digits they are printed with."""
    if isinstance(stored, dict):
        return (
            isinstance(shown, dict)
            and sorted(shown) == sorted(stored)
            and all(same_document(shown[k], stored[k]) for k in stored)
        )
    if isinstance(stored, list):
        return (
            isinstance(shown, list)
            and len(shown) == len(stored)
            and all(same_document(a, b) for a, b in zip(shown, stored, strict=True))
        )
    if isinstance(stored, float):
        return isinstance(shown, int | float) and math.isclose(shown, stored, rel_tol=1e-11)
    return bool(shown == stored and type(shown) is type(stored))


async def stored_state(conn: Conn, snapshot_id: UUID) -> Any:
    cur = await conn.execute(
        "SELECT site_state FROM session_wake_snapshots WHERE snapshot_id = %s", (snapshot_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return row["site_state"]


@pytest.fixture
async def two_wakes(world: World) -> tuple[UUID, UUID]:
    """Wake 2 written at 02:10; then SW-A gets a high MGI image at 02:15; wake 3 at 03:10."""
    await build_site(world.conn)
    first = await tick(world, TICK_1)
    await add_image(world.conn, DEVICE_A, at(2, 15), 0.55)
    second = await tick(world, TICK_2)
    return first, second


# --- choosing a snapshot ---------------------------------------------------------------


async def test_inspect_by_id_shows_summary_device_table_and_every_device_code(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, _ = two_wakes
    code, out, err = await run(world, snapshot=str(first))
    assert code == 0 and err == ""
    assert f"snapshot    {first}" in out
    assert "Inspect Barn (code 4242, barn, 60 × 40 ft)" in out
    assert "program     Inspect pilot, day 33 of 123" in out
    assert "session     2025-06-02, in progress (24 device wakes expected)" in out
    assert "wake        2\n" in out
    assert "window      2025-06-02 01:00–02:00 UTC" in out
    assert "2025-06-02 03:00–04:00 CEST (Europe/Amsterdam)" in out
    assert "trigger     schedule" in out and "provisional no" in out
    assert "late by     8m" in out and "8m 00s" not in out
    assert "cadence     1 h" in out
    assert "telemetry   2 new, 0 carried forward, 0 stale, 1 without data" in out
    assert "MGI data    1 new, 1 carried forward, 0 stale, 1 without data" in out
    assert "round       1 image, 0 alerts" in out
    assert "MGI         avg 0.125, max 0.200 (moderate)" in out
    for device_code in CODES:
        assert device_code in out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("SW-")}
    assert "unplaced" in rows["SW-C"] and "no data" in rows["SW-C"]
    assert "10.0, 5.0" in rows["SW-A"] and "low" in rows["SW-A"] and "carried 1.5h" in rows["SW-A"]
    assert "moderate" in rows["SW-B"] and "61.5" in rows["SW-A"]
    assert "map: 60 × 40 ft; 1 unplaced device(s) not shown" in out
    assert "\nunplaced: SW-C\n" in out and "L low  M moderate  x→ y↓ origin top-left" in out
    assert all(len(line) <= 100 for line in out.splitlines())


async def test_inspect_by_site_defaults_to_the_newest_snapshot(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    _, second = two_wakes
    for site in ("Inspect Barn", "4242", str(SITE_ID), str(SITE_ID).upper()):
        code, out, _ = await run(world, site=site)
        assert code == 0
        assert f"snapshot    {second}" in out, site
    code, out, _ = await run(world, site="Inspect Barn", latest=True)
    assert f"snapshot    {second}" in out


async def test_inspect_by_site_and_wake_picks_that_wake_of_the_open_session(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, second = two_wakes
    _, out, _ = await run(world, site="Inspect Barn", wake=2)
    assert f"snapshot    {first}" in out
    _, out, _ = await run(world, site="Inspect Barn", wake=3)
    assert f"snapshot    {second}" in out


async def test_wake_falls_back_to_the_newest_session_with_snapshots_when_none_is_open(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, _ = two_wakes
    _, out, _ = await run(world, site="Inspect Barn", wake=2, now=LONG_AFTER)
    assert f"snapshot    {first}" in out


async def test_wake_in_an_open_session_without_snapshots_is_not_taken_from_an_older_one(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    await world.conn.execute(
        "INSERT INTO site_device_sessions (company_id, program_id, site_id, session_date,"
        " session_start_time, session_end_time, expected_wake_count, status)"
        " SELECT company_id, program_id, site_id, %s, %s, %s, 24, 'pending'"
        " FROM sites WHERE site_id = %s",
        (date(2025, 6, 3), at(24), at(48), SITE_ID),
    )
    with pytest.raises(SnapwatchError) as caught:
        await run(world, site="Inspect Barn", wake=2, now=at(30))
    assert str(caught.value) == (
        "site 'Inspect Barn' has no snapshot for wake 2 in its open session "
        "(2025-06-03; it has no snapshots yet)"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"snapshot": str(uid("nope"))}, f"snapshot {uid('nope')} not found"),
        ({"snapshot": "wake-3"}, "not a snapshot id: 'wake-3'"),
        ({"site": "No Such Barn"}, "no site matches 'No Such Barn'"),
        ({"site": "Inspect Barn", "wake": 9}, "has no snapshot for wake 9 in its open session"),
        ({}, "give a snapshot id, or --site S"),
        ({"snapshot": str(uid("x")), "site": "Inspect Barn"}, "not both"),
        ({"snapshot": str(uid("x")), "wake": 2}, "use --site"),
    ],
)
async def test_what_is_not_found_or_not_valid_is_one_line_with_exit_code_2(
    world: World, two_wakes: tuple[UUID, UUID], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(SnapwatchError) as caught:
        await run(world, **options)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


async def test_site_without_snapshots_is_named(world: World) -> None:
    await build_site(world.conn)
    with pytest.raises(SnapwatchError, match="site 'Inspect Barn' has no snapshots"):
        await run(world, site="Inspect Barn")


async def test_data_quality_warnings_are_listed_by_device_code(world: World) -> None:
    await build_site(world.conn)
    await add_image(world.conn, DEVICE_B, at(1, 40), 37.5)
    snapshot_id = await tick(world, TICK_1)
    _, out, _ = await run(world, snapshot=str(snapshot_id))
    lines = out.splitlines()
    start = lines.index("data quality: 1 warning(s)")
    assert lines[start + 2].split() == ["SW-B", "mgi_score", "37.5", "out_of_range"]
    row = next(line for line in lines if line.startswith("SW-B"))
    assert "0.200" in row and "moderate" in row


# --- JSON ------------------------------------------------------------------------------


async def test_json_is_the_stored_site_state_and_nothing_else(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, _ = two_wakes
    code, out, err = await run(world, snapshot=str(first), as_json=True)
    assert code == 0 and err == ""
    assert same_document(json.loads(out), await stored_state(world.conn, first))
    assert out.startswith("{") and out.endswith("}\n")


# --- diff ------------------------------------------------------------------------------


async def test_diff_reports_band_change_and_new_versus_carried_data(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, second = two_wakes
    code, out, _ = await run(world, snapshot=str(second), diff=True)
    assert code == 0
    assert f"wake 3  2025-06-02 02:00–03:00 UTC  snapshot {second}" in out
    assert f"wake 2  2025-06-02 01:00–02:00 UTC  snapshot {first}" in out
    assert "band changes: 1\n  SW-A  low → high  (0.050 → 0.550)" in out
    assert "MGI data now: 1 new, 1 carried forward, 0 stale, 1 without data" in out
    assert "telemetry now: 1 new, 1 carried forward, 0 stale, 1 without data" in out
    assert "devices added: none" in out and "devices removed: none" in out
    assert "MGI moves: 1\n  SW-A  +0.500  (0.050 → 0.550)\n" in out
    assert "went stale or lost data: none\ncame back: none\n" in out
    assert "new images: 1 (SW-A 1)\nnew alerts: none\n" in out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("SW-")}
    # SW-C has no data in either snapshot: unchanged, so left out of the table
    assert "SW-C" not in out
    assert out.endswith("\n1 unchanged device hidden (--all shows every device)\n")
    assert rows["SW-A"].split() == [
        *("SW-A", "0.050", "→", "0.550", "+0.500", "low", "→", "high"),
        *("carried", "→", "new", "new", "→", "carried"),
    ]
    assert rows["SW-B"].split() == [
        *("SW-B", "0.200", "→", "0.200", "0.000", "moderate"),
        *("new", "→", "carried", "new", "→", "new"),
    ]
    assert all(len(line) <= 100 for line in out.splitlines())

    code, out, _ = await run(world, site="Inspect Barn", diff=True, as_json=True)
    data = json.loads(out)
    assert data["changed_only"] is True
    assert data["snapshot"]["snapshot_id"] == str(second)
    assert data["previous"]["snapshot_id"] == str(first)
    assert data["band_changes"] == [
        {
            "device_id": str(DEVICE_A),
            "device_code": "SW-A",
            "from": "low",
            "to": "high",
            "previous_mgi": 0.05,
            "current_mgi": 0.55,
        }
    ]
    devices = {d["device_code"]: d for d in data["devices"]}
    assert list(devices) == ["SW-A", "SW-B"]
    assert devices["SW-A"]["new_mgi_data"] is True and devices["SW-A"]["mgi_delta"] == 0.5
    assert devices["SW-A"]["changed"] is True and devices["SW-A"]["new_image_count"] == 1
    assert devices["SW-A"]["telemetry_freshness_to"] == "carried_forward"
    assert devices["SW-B"]["new_mgi_data"] is False
    assert devices["SW-B"]["mgi_freshness_to"] == "carried_forward"
    assert devices["SW-B"]["new_telemetry"] is True
    assert data["summary"]["mgi_freshness"] == {
        "current_wake": 1,
        "carried_forward": 1,
        "stale": 0,
        "no_data": 1,
    }
    assert data["largest_moves"] == [
        {
            "device_id": str(DEVICE_A),
            "device_code": "SW-A",
            "previous_mgi": 0.05,
            "current_mgi": 0.55,
            "mgi_delta": 0.5,
        }
    ]
    assert [(d["device_code"], d["count"]) for d in data["new_images"]] == [("SW-A", 1)]
    assert data["new_images"][0]["images"][0]["mgi_score"] == 0.55
    assert data["new_alerts"] == [] and data["went_stale"] == [] and data["came_back"] == []
    assert (data["summary"]["changed_devices"], data["summary"]["unchanged_devices"]) == (2, 1)


async def test_diff_with_all_lists_every_device_and_hides_none(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    _, second = two_wakes
    code, out, _ = await run(world, snapshot=str(second), diff=True, all_devices=True)
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("SW-")}
    assert rows["SW-C"].split() == [
        *("SW-C", "-", "→", "-", "-", "unknown"),
        *("no", "data", "→", "no", "data", "no", "data", "→", "no", "data"),
    ]
    assert "hidden" not in out
    assert all(len(line) <= 100 for line in out.splitlines())
    code, out, _ = await run(world, snapshot=str(second), diff=True, all_devices=True, as_json=True)
    data = json.loads(out)
    assert data["changed_only"] is False
    assert [(d["device_code"], d["changed"]) for d in data["devices"]] == [
        ("SW-A", True),
        ("SW-B", True),
        ("SW-C", False),
    ]


async def test_diff_lists_new_alerts_and_devices_that_went_stale_or_came_back(
    world: World,
) -> None:
    await build_site(world.conn)
    await tick(world, TICK_1)
    await world.conn.execute(
        "INSERT INTO device_alerts (device_id, site_id, alert_type, severity, message,"
        " triggered_at) VALUES (%s, %s, 'mgi_high', 'warning', 'MGI rising', %s)",
        (DEVICE_B, SITE_ID, at(2, 30)),
    )
    second = await tick(world, TICK_2)
    # SW-B's MGI turns stale and SW-C's appears, as a document of another tool could say
    await world.conn.execute(
        "UPDATE session_wake_snapshots SET site_state = jsonb_set(jsonb_set(site_state,"
        " '{devices,1,mgi_state}', site_state #> '{devices,1,mgi_state}'"
        '   || \'{"current_mgi": null, "data_freshness": "stale", "band": "unknown"}\'),'
        " '{devices,2,mgi_state}', site_state #> '{devices,2,mgi_state}'"
        '   || \'{"current_mgi": 0.3, "data_freshness": "current_wake", "band": "elevated"}\')'
        " WHERE snapshot_id = %s",
        (second,),
    )
    code, out, _ = await run(world, snapshot=str(second), diff=True)
    assert code == 0
    assert "went stale or lost data: 1\n  SW-B  new → stale\n" in out
    assert "came back: 1\n  SW-C  no data → new\n" in out
    assert "new images: none\nnew alerts: 1 (SW-B 1)\n" in out
    assert "band changes: 2\n  SW-B  moderate → unknown  (0.200 → -)\n" in out
    assert "  SW-C  unknown → elevated  (- → 0.300)\n" in out
    assert "SW-C    - → 0.300" in out and "hidden" not in out
    _, out, _ = await run(world, snapshot=str(second), diff=True, as_json=True)
    data = json.loads(out)
    assert data["went_stale"] == [
        {
            "device_id": str(DEVICE_B),
            "device_code": "SW-B",
            "mgi_freshness_from": "current_wake",
            "mgi_freshness_to": "stale",
        }
    ]
    assert [d["device_code"] for d in data["came_back"]] == ["SW-C"]
    (alerts,) = data["new_alerts"]
    assert (alerts["device_code"], alerts["count"]) == ("SW-B", 1)
    assert alerts["alerts"][0]["message"] == "MGI rising"
    assert alerts["alerts"][0]["triggered_at"] == "2025-06-02T02:30:00+00:00"
    assert data["summary"]["new_alerts"] == 1 and data["summary"]["went_stale"] == 1


async def test_diff_lists_devices_added_and_removed(world: World) -> None:
    await build_site(world.conn)
    await tick(world, TICK_1)
    await add_device(world.conn, DEVICE_D, "SW-D", 50, 35)
    await world.conn.execute(
        "UPDATE devices SET is_active = false WHERE device_id = %s", (DEVICE_C,)
    )
    second = await tick(world, TICK_2)
    _, out, _ = await run(world, snapshot=str(second), diff=True)
    assert "devices added: 1 (SW-D)" in out
    assert "devices removed: 1 (SW-C)" in out
    _, out, _ = await run(world, snapshot=str(second), diff=True, as_json=True)
    data = json.loads(out)
    assert [d["device_code"] for d in data["devices_added"]] == ["SW-D"]
    assert [d["device_id"] for d in data["devices_removed"]] == [str(DEVICE_C)]


async def test_diff_of_the_first_snapshot_of_a_session_says_there_is_no_previous(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, _ = two_wakes
    code, out, _ = await run(world, site="Inspect Barn", wake=2, diff=True)
    assert code == 0
    assert "no previous snapshot: wake 2 is the first snapshot of session 2025-06-02" in out
    code, out, _ = await run(world, snapshot=str(first), diff=True, as_json=True)
    data = json.loads(out)
    assert code == 0
    assert data["previous"] is None and data["devices"] == [] and data["band_changes"] == []
    assert data["changed_only"] is True and data["largest_moves"] == []
    assert data["new_images"] == [] and data["summary"]["unchanged_devices"] == 0


# --- documents written by older tools --------------------------------------------------


async def test_a_document_that_does_not_validate_warns_once_and_still_shows_what_it_holds(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, _ = two_wakes
    await world.conn.execute(
        "UPDATE session_wake_snapshots"
        " SET site_state = (site_state - 'units' - 'data_quality')"
        "   || jsonb_build_object('schema_version', 0)"
        " WHERE snapshot_id = %s",
        (first,),
    )
    code, out, err = await run(world, snapshot=str(first))
    assert code == 0
    assert len(err.splitlines()) == 1
    assert err.startswith(f"snapwatch: warning: snapshot {first} (wake 2) is not a valid")
    for device_code in CODES:
        assert device_code in out
    assert "Inspect Barn" in out


async def test_a_document_missing_whole_sections_still_renders(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, _ = two_wakes
    await world.conn.execute(
        "UPDATE session_wake_snapshots SET site_state = jsonb_build_object('devices',"
        " jsonb_build_array(jsonb_build_object('device_code', 'OLD-1')))"
        " WHERE snapshot_id = %s",
        (first,),
    )
    code, out, err = await run(world, snapshot=str(first), diff=False)
    assert code == 0 and "warning" in err
    assert "site        Inspect Barn" in out
    assert "OLD-1" in out and "map: no placed devices (1 unplaced)" in out


# --- the demo fleet --------------------------------------------------------------------


async def test_every_demo_snapshot_renders_all_its_devices_within_100_columns(
    world: World,
) -> None:
    now = datetime(2025, 3, 10, 14, 20, 30, tzinfo=UTC)
    await seed_demo(world.conn, seed=7, now=now)
    report = await run_tick(world.conn, world.settings, now)
    written = [w.snapshot_id for o in report.outcomes for w in o.written]
    assert written
    for snapshot_id in written:
        code, out, err = await run(world, snapshot=str(snapshot_id), now=now)
        assert code == 0 and err == ""
        state = await stored_state(world.conn, snapshot_id)
        for device in state["devices"]:
            assert device["device_code"] in out
        assert all(len(line) <= 100 for line in out.splitlines()), out


# --- the command line ------------------------------------------------------------------


async def test_cli_inspect_prints_text_json_and_one_line_errors(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    first, second = two_wakes
    result = cli("inspect", "--site", "Inspect Barn", "--dsn", world.dsn)
    assert result.returncode == 0, result.stderr
    assert f"snapshot    {second}" in result.stdout
    assert all(c in result.stdout for c in CODES)

    result = cli("inspect", str(first), "--json", "--dsn", world.dsn)
    assert result.returncode == 0, result.stderr
    assert same_document(json.loads(result.stdout), await stored_state(world.conn, first))

    result = cli("inspect", "--site", "4242", "--wake", "3", "--diff", "--dsn", world.dsn)
    assert result.returncode == 0, result.stderr
    assert "SW-A  low → high" in result.stdout

    missing = uuid4()
    result = cli("inspect", str(missing), "--dsn", world.dsn)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"snapwatch: error: snapshot {missing} not found"]


async def test_cli_diff_hides_unchanged_devices_unless_all_and_all_needs_diff(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    _, second = two_wakes
    result = cli("inspect", str(second), "--diff", "--dsn", world.dsn)
    assert result.returncode == 0, result.stderr
    assert "1 unchanged device hidden (--all shows every device)" in result.stdout
    assert "SW-C" not in result.stdout
    result = cli("inspect", str(second), "--diff", "--all", "--dsn", world.dsn)
    assert result.returncode == 0, result.stderr
    assert "SW-C" in result.stdout and "hidden" not in result.stdout
    result = cli("inspect", str(second), "--diff", "--all", "--json", "--dsn", world.dsn)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["devices"]) == 3
    for without_diff in ([], ["--json"]):
        result = cli("inspect", str(second), "--all", *without_diff, "--dsn", world.dsn)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "snapwatch: error: --all lists every device of a diff: use it with --diff"
        ]


def test_wake_and_latest_are_mutually_exclusive_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    args = parser.parse_args(["inspect", "--site", "S", "--wake", "3", "--json", "--diff"])
    assert (args.site, args.wake, args.latest, args.as_json, args.diff) == (
        "S",
        3,
        False,
        True,
        True,
    )
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(["inspect", "--site", "S", "--wake", "3", "--latest"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


async def test_json_keeps_the_documents_key_order_without_float_noise(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    from snapwatch.commands.inspect_json import document_json
    from snapwatch.snapshot.schema import shipped_schema

    first, _ = two_wakes
    code, out, _ = await run(world, snapshot=str(first), as_json=True)
    assert code == 0
    shown = json.loads(out)
    # jsonb stores shorter keys first; the output follows the schema's (the model's) order
    assert list(shown) == [k for k in shipped_schema()["properties"] if k in shown]
    assert '"data_quality": []' in out  # empty arrays on one line
    noisy = {"devices": [{"mgi_state": {"delta": 0.0025000000000000022}}], "extra": [1.5, {}]}
    text = document_json(noisy)
    assert "0.0025000000000000022" not in text and '"delta": 0.0025' in text
    assert json.loads(text)["extra"] == [1.5, {}]  # keys of other shapes kept, in place


async def test_a_missing_wake_names_the_wakes_held_and_the_gaps(
    world: World, two_wakes: tuple[UUID, UUID]
) -> None:
    await world.conn.execute(
        "UPDATE session_wake_snapshots SET wake_number = 4 WHERE snapshot_id = %s",
        (two_wakes[1],),
    )
    with pytest.raises(SnapwatchError) as caught:
        await run(world, site="Inspect Barn", wake=9)
    assert str(caught.value).endswith("; it has wakes 2, 4 (3 missing))")
