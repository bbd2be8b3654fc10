"""Health of scheduler instances and sites: every state and every threshold edge."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from support.overview_rows import Rows

from snapwatch.infra.config import SchedulerSettings, Settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.schedule.cadence import choose_cadence, eligibility
from snapwatch.schedule.health import (
    DOWN_AFTER_TICKS,
    DOWN_GRACE_SECONDS,
    LATE_GRACE_SECONDS,
    InstanceState,
    SiteHealth,
    SiteState,
    count_instance_states,
    count_states,
    instance_health,
    site_health,
)
from snapwatch.schedule.instances import InstanceRow
from snapwatch.schedule.judging import read_site_health
from snapwatch.schedule.pauses import PauseRecord
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.sessions import SessionState
from snapwatch.schedule.sitestate import SessionView, SiteView
from snapwatch.schedule.tick import run_tick
from snapwatch.snapshot.inputs import SessionFacts, SiteFacts

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
S = timedelta(seconds=1)
SCHED = SchedulerSettings()  # settle 120 s, grace 300 s


# --- instances --------------------------------------------------------------------------


def instance(**changes: Any) -> InstanceRow:
    row = InstanceRow(
        instance_id=uuid4(),
        host="ops-1",
        pid=4242,
        mode="daemon",
        version="0.1.0",
        clock="system",
        tick_seconds=60.0,
        os_user="ops",
        started_at=NOW - 10 * H,
        heartbeat_at=NOW - 5 * S,
        last_tick_at=NOW - 5 * S,
        next_tick_at=NOW + 55 * S,
        last_duration_ms=120.0,
        last_success_at=NOW - 4 * S,
        last_error=None,
        paused=False,
        stopped_at=None,
        db_now=NOW,
        clock_offset_seconds=0.01,
    )
    return dataclasses.replace(row, **changes)


def test_a_ticking_instance_is_ok() -> None:
    health = instance_health(instance())
    assert health.state is InstanceState.OK
    assert health.host == "ops-1" and health.pid == 4242  # the row's figures stay
    assert health.live


def test_a_stopped_instance_is_stopped_even_with_an_old_heartbeat() -> None:
    health = instance_health(instance(stopped_at=NOW - H, heartbeat_at=NOW - H))
    assert health.state is InstanceState.STOPPED
    assert not health.live


def test_down_after_three_missed_ticks_plus_grace_not_before() -> None:
    limit = timedelta(seconds=DOWN_AFTER_TICKS * 60 + DOWN_GRACE_SECONDS)
    at_limit = instance(heartbeat_at=NOW - limit)
    past = instance(heartbeat_at=NOW - limit - timedelta(milliseconds=1))
    assert instance_health(at_limit).state is not InstanceState.DOWN
    down = instance_health(past)
    assert down.state is InstanceState.DOWN
    assert "no heartbeat for 3m 30s" in down.reason
    assert not down.live


def test_down_limit_follows_the_instance_tick_interval() -> None:
    slow = instance(tick_seconds=600.0, heartbeat_at=NOW - timedelta(minutes=20))
    assert instance_health(slow).state is not InstanceState.DOWN


def test_down_is_judged_at_the_database_now_not_the_local_clock() -> None:
    # Rows far in the past but read at a db_now just after the heartbeat: not down.
    old = datetime(2001, 1, 1, tzinfo=UTC)
    row = instance(
        heartbeat_at=old,
        last_tick_at=old,
        last_success_at=old,
        next_tick_at=old + 60 * S,
        db_now=old + 10 * S,
    )
    assert instance_health(row).state is InstanceState.OK


def test_failed_when_the_last_tick_ended_with_an_error() -> None:
    health = instance_health(instance(last_error="write: boom", last_success_at=NOW - H))
    assert health.state is InstanceState.FAILED
    assert health.reason == "last tick failed: write: boom"
    never = instance_health(instance(last_error="boom", last_success_at=None))
    assert never.state is InstanceState.FAILED


def test_an_error_older_than_the_last_success_is_not_a_failure() -> None:
    row = instance(last_error="boom", last_tick_at=NOW - 10 * S, last_success_at=NOW - 5 * S)
    assert instance_health(row).state is InstanceState.OK


def test_late_when_next_tick_passed_by_more_than_one_interval_plus_grace() -> None:
    edge = timedelta(seconds=60 + LATE_GRACE_SECONDS)
    on_edge = instance(next_tick_at=NOW - edge)
    past = instance(next_tick_at=NOW - edge - timedelta(milliseconds=1))
    assert instance_health(on_edge).state is InstanceState.OK
    late = instance_health(past)
    assert late.state is InstanceState.LATE and "overdue by 1m 10s" in late.reason
    assert late.live


def test_paused_instance_is_paused_and_live() -> None:
    health = instance_health(instance(paused=True))
    assert health.state is InstanceState.PAUSED and health.live


def test_down_wins_over_failed_and_paused() -> None:
    row = instance(heartbeat_at=NOW - H, last_error="boom", last_success_at=None, paused=True)
    assert instance_health(row).state is InstanceState.DOWN


def test_count_instance_states_lists_every_state() -> None:
    counts = count_instance_states([instance_health(instance()), instance_health(instance())])
    assert counts == {
        "ok": 2,
        "late": 0,
        "down": 0,
        "failed": 0,
        "paused": 0,
        "stopped": 0,
    }


# --- sites ------------------------------------------------------------------------------


def site_view(
    *,
    cadence: float | None = 1.0,
    devices: int = 3,
    covered_until: datetime | None = NOW - H,
    last_wake: int = 11,
    session: bool = True,
    pauses: tuple[PauseRecord, ...] = (),
    session_start: datetime = DAY,
    session_end: datetime = DAY + 24 * H,
) -> SiteView:
    facts = SiteFacts(
        site_id=UUID(int=1),
        site_name="Pier 4",
        site_code=4,
        site_type=None,
        length=None,
        width=None,
        height=None,
        timezone=None,
        zones=None,
        program_id=UUID(int=2),
        program_name="Harbor",
        program_start_date=date(2026, 1, 1),
        program_end_date=date(2026, 12, 31),
        company_id=UUID(int=3),
        company_name="Co",
    )
    view = SiteView(
        facts=facts,
        cadence_choice=choose_cadence(cadence, None),
        device_count=devices,
        last_snapshot_at=covered_until,
    )
    if session:
        sess = SessionView(
            facts=SessionFacts(
                session_id=UUID(int=9),
                session_date=session_start.date(),
                start=session_start,
                end=session_end,
                status="in_progress",
                expected_wake_count=24,
            ),
            state=SessionState(
                None if covered_until is None else session_start,
                covered_until,
                last_wake if covered_until else 0,
                {},
            ),
        )
        view.sessions = [sess]
        if sess.facts.start <= NOW < sess.facts.end:
            view.open_session = sess
    view.pauses = list(pauses)
    view.reason = eligibility(
        view.cadence_choice, devices, view.open_session is not None, view.paused_at(NOW) is not None
    )
    return view


def judge(view: SiteView, now: datetime = NOW, error: str | None = None) -> SiteHealth:
    return site_health(view, now, SCHED, error, view.plan(now, SCHED))


def test_a_site_with_its_latest_slot_written_is_on_time() -> None:
    # 12:00: slot 12 (11:00-12:00) is due only at 12:02; 11:00 is covered.
    health = judge(site_view())
    assert health.state is SiteState.ON_TIME
    assert health.reason is None and health.waiting_for_wake is None
    assert health.next_due_at == NOW + 120 * S
    assert (health.site_name, health.program_name, health.device_count) == ("Pier 4", "Harbor", 3)


def test_due_within_the_grace_and_late_after_it() -> None:
    view = site_view()
    due_at = NOW + 120 * S  # slot 12 ends at 12:00, settle 120 s
    due = judge(view, due_at + 300 * S)  # exactly the grace: still due (as the planner)
    assert due.state is SiteState.DUE
    assert due.waiting_for_wake == 12
    assert (due.waiting_for_start, due.waiting_for_end) == (NOW - H, NOW)
    assert due.waiting_since == due_at and due.late_by_seconds == 300.0
    late = judge(view, due_at + 301 * S)
    assert late.state is SiteState.LATE and late.late_by_seconds == 301.0
    assert late.reason == "wake 12 due 5m 1s ago"


def test_a_site_without_any_snapshot_past_cadence_and_grace_is_late() -> None:
    view = site_view(covered_until=None)
    health = judge(view)
    assert health.state is SiteState.LATE
    assert health.waiting_for_wake == 1 and health.waiting_since == DAY + H + 120 * S


def test_a_just_due_slot_is_due_not_late() -> None:
    health = judge(site_view(), NOW + 120 * S)
    assert health.state is SiteState.DUE and health.late_by_seconds == 0.0


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"cadence": None}, "no_cadence"),
        ({"devices": 0}, "no_devices"),
        ({"session": False}, "no_open_session"),
    ],
)
def test_not_eligible_names_the_reason(kw: dict[str, Any], reason: str) -> None:
    health = judge(site_view(**kw), error="write: boom")
    assert (health.state, health.reason) == (SiteState.NOT_ELIGIBLE, reason)
    assert health.waiting_for_wake is None


def test_a_session_that_just_ended_still_owes_its_last_slot() -> None:
    # Session 00:00-12:00, last slot written up to 11:00; at 12:10 no session is open but
    # the 11:00-12:00 slot is still owed: late, not "no open session".
    view = site_view(session_start=NOW - 12 * H, session_end=NOW)
    assert view.open_session is None
    health = judge(view, NOW + 10 * timedelta(minutes=1))
    assert health.state is SiteState.LATE and health.waiting_for_wake == 12


def test_no_open_session_and_nothing_owed_is_not_eligible() -> None:
    view = site_view(session_start=NOW - 12 * H, session_end=NOW, covered_until=NOW)
    health = judge(view, NOW + 10 * timedelta(minutes=1))
    assert (health.state, health.reason) == (SiteState.NOT_ELIGIBLE, "no_open_session")


def a_pause(
    site: UUID | None,
    start: datetime,
    expires: datetime | None = None,
    *,
    reason: str | None = None,
    resumed: datetime | None = None,
) -> PauseRecord:
    return PauseRecord(
        pause_id=uuid4(),
        site_id=site,
        site_name=None,
        paused_by="ops@h",
        paused_at=start,
        reason=reason,
        expires_at=expires,
        resumed_at=resumed,
    )


def test_paused_now_says_who_and_why() -> None:
    pause = a_pause(UUID(int=1), NOW - H, reason="maintenance")
    health = judge(site_view(pauses=(pause,)))
    assert (health.state, health.reason) == (SiteState.PAUSED, 'paused by ops@h: "maintenance"')


def test_the_sites_own_pause_speaks_before_a_global_one() -> None:
    everywhere = a_pause(None, NOW - 2 * H, reason="fleet")
    own = a_pause(UUID(int=1), NOW - H, NOW + H, reason="own")
    health = judge(site_view(pauses=(everywhere, own)))
    assert health.reason == 'paused by ops@h: "own", 1h left'


def test_global_pause_pauses_and_an_expired_or_resumed_pause_does_not() -> None:
    everywhere = a_pause(None, NOW - 2 * H, NOW + H)
    assert judge(site_view(pauses=(everywhere,))).state is SiteState.PAUSED
    expired = a_pause(None, NOW - 2 * H, NOW - 30 * timedelta(minutes=1))
    assert judge(site_view(pauses=(expired,))).state is SiteState.ON_TIME
    resumed = a_pause(None, NOW - 2 * H, NOW + H, resumed=NOW)
    assert judge(site_view(pauses=(resumed,))).state is SiteState.ON_TIME


def test_failing_when_the_last_outcome_failed_and_a_slot_is_due() -> None:
    view = site_view()
    failing = judge(view, NOW + 130 * S, error="write: company_id is null")
    assert (failing.state, failing.reason) == (SiteState.FAILING, "write: company_id is null")
    assert failing.waiting_for_wake == 12
    # Nothing due: the old error is history.
    assert judge(view, NOW, error="write: company_id is null").state is SiteState.ON_TIME


def test_count_states_lists_every_state() -> None:
    sites = [judge(site_view()), judge(site_view(devices=0)), judge(site_view(devices=0))]
    assert count_states(sites) == {
        "on_time": 1,
        "due": 0,
        "late": 0,
        "paused": 0,
        "not_eligible": 2,
        "failing": 0,
    }
    assert set(count_states([])) == {s.value for s in SiteState}


# --- the read ---------------------------------------------------------------------------


async def test_read_site_health_failing_then_on_time_once_written(
    cfg: Settings, rows: Rows
) -> None:
    program = rows.program(rows.company("Co"), "Prog")
    good = rows.site(program, "Good", snapshot_cadence_hours=1)
    bad = rows.site(program, "Bad", snapshot_cadence_hours=1)
    for site in (good, bad):
        rows.device(site)
        rows.session(site, DAY, DAY + 24 * H, "in_progress")
    # No company anywhere: the snapshot row of "Bad" cannot be written.
    rows.conn.execute("UPDATE sites SET company_id = NULL WHERE site_id = %s", (bad,))
    rows.conn.execute("UPDATE pilot_programs SET company_id = NULL")
    company = rows.company("Co again")
    at = DAY + 3 * H + 3 * timedelta(minutes=1)
    conn = await connect(resolve_target(cfg), cfg)
    try:
        await record_run(conn, await run_tick(conn, cfg, at), None)
        health = {h.site_name: h for h in await read_site_health(conn, at, cfg)}
        assert health["Good"].state is SiteState.ON_TIME
        assert health["Bad"].state is SiteState.FAILING
        assert "company_id" in (health["Bad"].reason or "")
        rows.conn.execute("UPDATE sites SET company_id = %s WHERE site_id = %s", (company, bad))
        await record_run(conn, await run_tick(conn, cfg, at), None)
        health = {h.site_name: h for h in await read_site_health(conn, at, cfg)}
        assert health["Bad"].state is SiteState.ON_TIME and health["Bad"].reason is None
    finally:
        await conn.close()
