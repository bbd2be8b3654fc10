"""Documents as of their round, not as of today: the devices that counted then (placement
history where the platform keeps it, else today's roster, said so in ``data_quality`` of a
reconstructed document) and device facts from the observations up to the round end."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
import support.sites
from psycopg import AsyncCursor
from support.overview_rows import Rows
from support.placement import assign, create_placement_history
from support.role_setup import grant_writer
from support.roles import MakeRole

from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import TickReport
from snapwatch.snapshot.reader import RoundKey, read_rounds

DAY = datetime(2026, 6, 10, tzinfo=UTC)  # a session day, UTC midnight to midnight
H = timedelta(hours=1)
M = timedelta(minutes=1)
NOW = DAY + 5 * H + 3 * M  # hourly wakes 1-4 are caught up, wake 5 is on schedule
TRIGGERS = {1: "catch_up", 2: "catch_up", 3: "catch_up", 4: "catch_up", 5: "schedule"}

make_site = functools.partial(support.sites.make_site, day=DAY)


async def tick(cfg: Settings, now: datetime = NOW, **kw: Any) -> TickReport:
    conn = await connect(resolve_target(cfg), cfg)
    try:
        return await run_tick(conn, cfg, now, **kw)
    finally:
        await conn.close()


def documents(rows: Rows, site_id: UUID) -> dict[int, dict[str, Any]]:
    """The site's documents by wake number."""
    return dict(
        rows.conn.execute(
            "SELECT wake_number, site_state FROM session_wake_snapshots WHERE site_id = %s",
            (site_id,),
        ).fetchall()
    )


def device_of(doc: dict[str, Any], device_id: UUID) -> dict[str, Any]:
    found: list[dict[str, Any]] = [d for d in doc["devices"] if d["device_id"] == str(device_id)]
    [one] = found
    return one


def roster(doc: dict[str, Any]) -> set[UUID]:
    return {UUID(d["device_id"]) for d in doc["devices"]}


def roster_notes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for q in doc["data_quality"] if q["problem"] == "roster_as_of_today"]


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def assert_triggers(docs: dict[int, dict[str, Any]]) -> None:
    assert {k: d["snapshot_metadata"]["trigger"] for k, d in docs.items()} == TRIGGERS


# --- device facts as of the round end ------------------------------------------------------


async def test_a_caught_up_round_shows_last_seen_and_battery_as_of_its_end(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows)
    # Today's row: seen at 04:50 with 3.1 V. Its payloads go on after the early rounds.
    device = rows.device(
        site, battery_voltage=3.1, battery_health_percent=64, last_seen_at=DAY + 4 * H + 50 * M
    )
    rows.payload(device, DAY + 10 * M, temperature=70.0, battery_voltage=3.9)
    rows.payload(device, DAY + 40 * M, temperature=71.0)  # no battery reading
    rows.payload(device, DAY + 3 * H + 20 * M, temperature=72.0, battery_voltage=3.6)
    rows.payload(device, DAY + 4 * H + 50 * M, temperature=73.0, battery_voltage=3.1)
    # A device whose first wake came after the first rounds.
    late = rows.device(site, battery_voltage=4.0, last_seen_at=DAY + 2 * H + 5 * M)
    rows.payload(late, DAY + 2 * H + 5 * M, humidity=50.0, battery_voltage=4.0)
    await tick(cfg)
    docs = documents(rows, site)
    assert_triggers(docs)
    seen = {
        k: (instant(device_of(d, device)["last_seen_at"]), device_of(d, device)["battery_voltage"])
        for k, d in docs.items()
    }
    assert seen == {
        1: (DAY + 40 * M, 3.9),  # the 00:40 wake had no battery reading: the 00:10 one's
        2: (DAY + 40 * M, 3.9),
        3: (DAY + 40 * M, 3.9),
        4: (DAY + 3 * H + 20 * M, 3.6),
        5: (DAY + 4 * H + 50 * M, 3.1),
    }
    assert {device_of(d, device)["battery_health_percent"] for d in docs.values()} == {64}
    late_seen = {
        k: (instant(device_of(d, late)["last_seen_at"]), device_of(d, late)["battery_voltage"])
        for k, d in docs.items()
    }
    assert late_seen == {
        1: (None, None),  # not seen yet: never today's row
        2: (None, None),
        3: (DAY + 2 * H + 5 * M, 4.0),
        4: (DAY + 2 * H + 5 * M, 4.0),
        5: (DAY + 2 * H + 5 * M, 4.0),
    }


# --- the roster as of the round ------------------------------------------------------------


async def test_a_moved_device_counts_for_its_old_site_before_the_move_and_its_new_one_after(
    cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    create_placement_history(migrated_dsn)
    a, b = make_site(rows, "A"), make_site(rows, "B")
    moved = rows.device(b)  # at B today; at A until 02:00
    assign(rows, moved, a, DAY - 30 * 24 * H, DAY + 2 * H)
    assign(rows, moved, b, DAY + 2 * H)
    stays = rows.device(a)  # no placement rows: where its devices row puts it
    # At A today by its row, but its history had it only at B, until 01:00.
    left = rows.device(a)
    assign(rows, left, b, DAY - 24 * H, DAY + 1 * H)
    rows.payload(moved, DAY + 30 * M, temperature=60.0)
    rows.alert(a, moved, DAY + 1 * H + 15 * M)
    await tick(cfg)
    docs_a, docs_b = documents(rows, a), documents(rows, b)
    assert_triggers(docs_a)
    assert_triggers(docs_b)
    assert {k: roster(d) for k, d in docs_a.items()} == {
        1: {moved, stays},
        2: {moved, stays},
        3: {stays},
        4: {stays},
        5: {stays},
    }
    assert {k: roster(d) for k, d in docs_b.items()} == {
        1: {left},
        2: set(),
        3: {moved},
        4: {moved},
        5: {moved},
    }
    first = device_of(docs_a[1], moved)
    assert (first["telemetry"]["temperature"], first["telemetry"]["data_freshness"]) == (
        60.0,
        "current_wake",
    )
    assert len(device_of(docs_a[2], moved)["alerts"]) == 1
    for doc in [*docs_a.values(), *docs_b.values()]:
        assert roster_notes(doc) == []  # placement history was read: no note


async def test_without_placement_history_only_reconstructed_documents_carry_the_roster_note(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows)
    device = rows.device(site)
    await tick(cfg)
    await tick(cfg, NOW + 20 * M, force=True)
    docs = documents(rows, site)
    triggers = {k: d["snapshot_metadata"]["trigger"] for k, d in docs.items()}
    assert triggers == {**TRIGGERS, 6: "force"}
    for wake, doc in docs.items():
        assert roster(doc) == {device}
        notes = roster_notes(doc)
        if triggers[wake] == "catch_up":
            [note] = notes
            assert (note["device_id"], note["field"]) == (None, "devices")
            assert "device_site_assignments" in note["value"]
        else:
            assert notes == [], wake


async def test_a_role_that_may_not_read_placement_history_falls_back_with_the_note(
    migrated_dsn: str, isolated_env: Path, rows: Rows, make_role: MakeRole
) -> None:
    create_placement_history(migrated_dsn)
    site, elsewhere = make_site(rows, "Here"), make_site(rows, "Elsewhere")
    device = rows.device(site)
    assign(rows, device, elsewhere, DAY - 24 * H, DAY + 3 * H)  # history: here from 03:00
    assign(rows, device, site, DAY + 3 * H)
    writer = make_role(migrated_dsn)
    grant_writer(migrated_dsn, writer.name)  # no right on device_site_assignments
    as_writer = load_settings(overrides={"dsn": writer.dsn})[0]
    report = await tick(as_writer)
    assert not report.failed
    docs = documents(rows, site)
    assert_triggers(docs)
    for wake, doc in docs.items():
        assert roster(doc) == {device}  # today's roster, the history unread
        assert len(roster_notes(doc)) == (1 if TRIGGERS[wake] == "catch_up" else 0)


# --- a fixed number of queries --------------------------------------------------------------


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every statement a cursor executes while the test runs."""
    sent: list[str] = []
    execute = AsyncCursor.execute

    async def counted(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return await execute(cursor, query, *args, **kwargs)

    AsyncCursor.execute = counted  # type: ignore[method-assign,assignment]
    try:
        yield sent
    finally:
        AsyncCursor.execute = execute  # type: ignore[method-assign]


@pytest.mark.parametrize("history", [False, True], ids=["today", "history"])
async def test_a_read_is_six_queries_whatever_the_number_of_rounds(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    rows: Rows,
    migrated_dsn: str,
    statements: list[str],
    history: bool,
) -> None:
    if history:
        create_placement_history(migrated_dsn)
    sites = [make_site(rows, f"S{n}", devices=2) for n in range(3)]
    for n, site in enumerate(sites):
        [device] = (
            rows.conn.execute(
                "SELECT device_id FROM devices WHERE site_id = %s LIMIT 1", (site,)
            ).fetchone()
            or ()
        )
        rows.payload(device, DAY + n * M, temperature=70.0, battery_voltage=3.8)
        rows.image(device, DAY + n * M, 0.2)
    one = [RoundKey(sites[0], DAY, DAY + H)]
    many = [RoundKey(s, DAY + k * H, DAY + (k + 1) * H) for s in sites for k in range(6)]
    counts = []
    for keys in (one, many):
        statements.clear()
        data = await read_rounds(conn, keys)
        counts.append(len(statements))
        assert set(data) == set(keys)
        assert all(len(d.devices) == 2 for d in data.values())
        assert {d.roster_from_today for d in data.values()} == {not history}
    assert counts == [6, 6]
