"""Operations scenarios on a real database, tick by tick: a pause during catch-up, a pause
that expires, a site losing its last device, a session locked mid-slot, a cadence changed
mid-session, and a forced snapshot replaced by the completed slot."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from support.overview_rows import Rows

from snapwatch.infra.config import Settings
from snapwatch.schedule import actions
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import SiteOutcome

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
SETTLE = timedelta(minutes=3)  # a little more than the default settle of 120 s


def with_max_slots(cfg: Settings, n: int) -> Settings:
    sched = cfg.scheduler.model_copy(update={"catch_up_max_slots": n})
    return cfg.model_copy(update={"scheduler": sched})


def site_with_device(rows: Rows, cadence: float = 1.0) -> tuple[UUID, UUID, UUID]:
    site = rows.site(rows.program(rows.company("Co"), "P"), "Site", snapshot_cadence_hours=cadence)
    session = rows.session(site, DAY, DAY + 24 * H, "in_progress")
    device = rows.device(site)
    rows.payload(device, DAY + timedelta(minutes=20), temperature=70.0)
    return site, session, device


async def tick(conn: Any, cfg: Settings, now: datetime) -> SiteOutcome:
    report = await run_tick(conn, cfg, now)
    [outcome] = report.outcomes
    assert outcome.outcome != "failed", outcome
    return outcome


def windows(rows: Rows, session: UUID) -> list[tuple[int, datetime, datetime, bool]]:
    return [
        (w, s, e, p is not None)
        for w, s, e, p in rows.conn.execute(
            "SELECT w.wake_number, w.wake_round_start, w.wake_round_end, p.session_id"
            "  FROM session_wake_snapshots w LEFT JOIN snapwatch.provisional_snapshots p"
            "    USING (session_id, wake_number)"
            " WHERE w.session_id = %s ORDER BY w.wake_round_start",
            (session,),
        ).fetchall()
    ]


def hourly(*ks: int) -> list[tuple[int, datetime, datetime, bool]]:
    return [(k, DAY + (k - 1) * H, DAY + k * H, False) for k in ks]


async def test_a_pause_during_catch_up_stops_it_and_resume_finishes_what_ended_before(
    cfg: Settings, rows: Rows, conn: Any
) -> None:
    _, session, _ = site_with_device(rows)
    small = with_max_slots(cfg, 2)
    assert [w.wake_number for w in (await tick(conn, small, DAY + 6 * H + SETTLE)).written] == [
        1,
        2,
    ]
    await actions.pause(conn, DAY + 6.5 * H, site=None, reason="maintenance", until=None, who="t@h")
    paused = await tick(conn, small, DAY + 7 * H + SETTLE)
    assert (paused.outcome, paused.reason, paused.written) == ("skipped", "paused", [])
    assert await actions.resume(conn, DAY + 8.5 * H, site=None, who="t@h") == 1
    for hour in (8.5, 8.6, 8.7, 9.2):
        await tick(conn, small, DAY + hour * H)
    # 3-6 ended before the pause and are caught up; 7 and 8 ended inside it: never written.
    assert windows(rows, session) == hourly(1, 2, 3, 4, 5, 6, 9)


async def test_a_pause_with_an_expiry_ends_by_itself(cfg: Settings, rows: Rows, conn: Any) -> None:
    _, session, _ = site_with_device(rows)
    await tick(conn, cfg, DAY + 2 * H + SETTLE)
    record = await actions.pause(
        conn, DAY + 2.5 * H, site=None, reason="cleaning", until=DAY + 4.5 * H, who="t@h"
    )
    assert record.reason == "cleaning" and record.paused_by == "t@h"
    assert (await tick(conn, cfg, DAY + 4 * H + SETTLE)).reason == "paused"
    after = await tick(conn, cfg, DAY + 5 * H + SETTLE)
    assert [w.wake_number for w in after.written] == [5]
    assert windows(rows, session) == hourly(1, 2, 5)


async def test_a_site_losing_its_last_device_is_not_eligible_and_never_fails(
    cfg: Settings, rows: Rows, conn: Any
) -> None:
    _, session, device = site_with_device(rows)
    await tick(conn, cfg, DAY + 1 * H + SETTLE)
    rows.conn.execute(
        "UPDATE devices SET provisioning_status = 'decommissioned' WHERE device_id = %s",
        (device,),
    )
    gone = await tick(conn, cfg, DAY + 2 * H + SETTLE)
    assert (gone.outcome, gone.reason) == ("skipped", "no_devices")
    assert windows(rows, session) == hourly(1)


async def test_a_session_locked_mid_slot_gets_the_slots_that_ended_before_the_lock(
    cfg: Settings, rows: Rows, conn: Any
) -> None:
    _, session, _ = site_with_device(rows)
    await tick(conn, cfg, DAY + 8 * H + SETTLE)
    rows.conn.execute(
        "UPDATE site_device_sessions SET status = 'locked', locked_at = %s WHERE session_id = %s",
        (DAY + 10.5 * H, session),
    )
    locked = await tick(conn, cfg, DAY + 12 * H + SETTLE)
    assert [w.wake_number for w in locked.written] == [9, 10]
    again = await tick(conn, cfg, DAY + 14 * H + SETTLE)
    assert (again.outcome, again.reason) == ("skipped", "no_open_session")
    assert windows(rows, session) == hourly(*range(1, 11))


async def test_a_cadence_changed_mid_session_keeps_windows_contiguous_and_wakes_increasing(
    cfg: Settings, rows: Rows, conn: Any
) -> None:
    site, session, _ = site_with_device(rows, cadence=1.0)
    await tick(conn, cfg, DAY + 10 * H + SETTLE)
    rows.conn.execute("UPDATE sites SET snapshot_cadence_hours = 0.25 WHERE site_id = %s", (site,))
    await tick(conn, cfg, DAY + 11 * H + SETTLE)
    rows.conn.execute("UPDATE sites SET snapshot_cadence_hours = 1.5 WHERE site_id = %s", (site,))
    await tick(conn, cfg, DAY + 15 * H + SETTLE)
    got = windows(rows, session)
    assert all(a[2] == b[1] for a, b in itertools.pairwise(got))  # no gap, no overlap
    assert got[0][1] == DAY and got[-1][2] == DAY + 15 * H
    wakes = [w for w, *_ in got]
    assert wakes == sorted(set(wakes))
    quarter = [(s, e) for _, s, e, _ in got if DAY + 10 * H <= s < DAY + 11 * H]
    assert len(quarter) == 4


async def test_a_forced_snapshot_is_replaced_in_place_by_the_completed_slot(
    cfg: Settings, rows: Rows, conn: Any
) -> None:
    site, session, device = site_with_device(rows)
    await tick(conn, cfg, DAY + 3 * H + SETTLE)
    forced = await actions.force(conn, cfg, DAY + 3.5 * H, site=site)
    [item] = [i for i in forced.items if i.wake_number is not None]
    assert windows(rows, session)[-1] == (4, DAY + 3 * H, DAY + 3.5 * H, True)
    rows.payload(device, DAY + 3.75 * H, temperature=75.0)
    await tick(conn, cfg, DAY + 4 * H + SETTLE)
    assert windows(rows, session) == hourly(1, 2, 3, 4)
    [(snapshot_id, temperature)] = rows.conn.execute(
        "SELECT snapshot_id, site_state->'devices'->0->'telemetry'->>'temperature'"
        "  FROM session_wake_snapshots WHERE session_id = %s AND wake_number = 4",
        (session,),
    ).fetchall()
    assert snapshot_id == item.snapshot_id and float(temperature) == 75.0
    with pytest.raises(psycopg.errors.UniqueViolation):  # the backstop still holds
        rows.conn.execute(
            "INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,"
            " wake_number, wake_round_start, wake_round_end, site_state)"
            " SELECT company_id, program_id, site_id, session_id, 4, wake_round_start,"
            " wake_round_end, site_state FROM session_wake_snapshots"
            " WHERE session_id = %s AND wake_number = 4",
            (session,),
        )
