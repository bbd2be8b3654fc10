"""Which changes of state become messages: one per change, never one per tick; the first
look announces only what needs someone now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from snapwatch.infra.dbsession import DbState
from snapwatch.schedule.health import (
    InstanceHealth,
    InstanceState,
    SiteHealth,
    SiteState,
)
from snapwatch.schedule.history.runs import BackfillRun
from snapwatch.service.alerts.message import Alert
from snapwatch.service.alerts.transitions import Transitions

AT = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
ROOM = UUID("6f1c1c52-2f58-4a55-9a3e-4b8f0e5d2a10")


def site(state: SiteState, site_id: UUID = ROOM, reason: str | None = None) -> SiteHealth:
    return SiteHealth(
        site_id=site_id,
        site_name="Room 1",
        program_name="Cold chain",
        state=state,
        reason=reason,
        waiting_for_wake=None,
        waiting_for_start=None,
        waiting_for_end=None,
        waiting_since=None,
        late_by_seconds=None,
        next_due_at=None,
        last_snapshot_at=None,
        cadence_hours=1.0,
        cadence_note=None,
        device_count=1,
        session_note=None,
        overlapping_sessions=(),
    )


def instance(state: InstanceState, instance_id: UUID) -> InstanceHealth:
    return InstanceHealth(
        instance_id=instance_id,
        host="other-host",
        pid=4242,
        mode="daemon",
        version="0",
        clock="database",
        tick_seconds=60.0,
        os_user=None,
        started_at=AT,
        heartbeat_at=AT,
        last_tick_at=None,
        next_tick_at=None,
        last_duration_ms=None,
        last_success_at=None,
        last_error=None,
        paused=False,
        stopped_at=None,
        db_now=AT,
        clock_offset_seconds=None,
        state=state,
        reason=state.value,
    )


def events(alerts: list[Alert]) -> list[tuple[str, str, str | None]]:
    return [(a.event, a.state, a.previous) for a in alerts]


def test_a_site_late_for_many_ticks_is_one_message_and_its_recovery_another() -> None:
    t = Transitions()
    states = [SiteState.ON_TIME, SiteState.DUE, SiteState.LATE, SiteState.LATE, SiteState.LATE]
    states += [SiteState.ON_TIME, SiteState.ON_TIME, SiteState.DUE, SiteState.ON_TIME]
    said = [e for s in states for e in events(t.sites([site(s, reason="wake 3")], AT))]
    assert said == [("site_late", "late", "due"), ("site_recovered", "on_time", "late")]


def test_late_and_failing_switch_and_any_other_state_is_a_recovery() -> None:
    t = Transitions()
    t.sites([site(SiteState.ON_TIME)], AT)
    said = []
    for state in (SiteState.LATE, SiteState.FAILING, SiteState.LATE, SiteState.PAUSED):
        said += events(t.sites([site(state, reason="boom")], AT))
    assert said == [
        ("site_late", "late", "on_time"),
        ("site_failing", "failing", "late"),
        ("site_late", "late", "failing"),
        ("site_recovered", "paused", "late"),
    ]


def test_the_first_look_announces_the_problems_present_only() -> None:
    t = Transitions()
    other = uuid4()
    first = t.sites([site(SiteState.LATE, reason="wake 3"), site(SiteState.ON_TIME, other)], AT)
    assert events(first) == [("site_late", "late", None)]
    assert first[0].text == "site Room 1 (Cold chain) is late: wake 3"
    assert t.sites([site(SiteState.LATE), site(SiteState.ON_TIME, other)], AT) == []


def test_a_site_gone_and_back_late_is_announced_again() -> None:
    t = Transitions()
    t.sites([site(SiteState.LATE)], AT)
    assert t.sites([], AT) == []
    assert events(t.sites([site(SiteState.LATE)], AT)) == [("site_late", "late", None)]


def test_instances_down_and_back_but_not_those_down_before_the_daemon_started() -> None:
    t = Transitions()
    own, dead, other = uuid4(), uuid4(), uuid4()
    first = [
        instance(InstanceState.OK, own),
        instance(InstanceState.DOWN, dead),
        instance(InstanceState.OK, other),
    ]
    assert t.instances(first, own, AT) == []
    said = []
    for state in (InstanceState.LATE, InstanceState.DOWN, InstanceState.DOWN, InstanceState.OK):
        looked = [instance(InstanceState.DOWN, own), instance(InstanceState.DOWN, dead)]
        said += events(t.instances([*looked, instance(state, other)], own, AT))
    assert said == [("instance_down", "down", "late"), ("instance_up", "ok", "down")]


def test_an_instance_that_stopped_is_no_message() -> None:
    t = Transitions()
    other = uuid4()
    t.instances([instance(InstanceState.OK, other)], None, AT)
    assert t.instances([instance(InstanceState.STOPPED, other)], None, AT) == []
    assert t.instances([instance(InstanceState.OK, other)], None, AT) == []


def test_the_database_outage_is_one_message_each_way() -> None:
    t = Transitions()
    said = []
    for state in (
        DbState(True),
        DbState(False, "connection refused"),
        DbState(True, down_seconds=12.0),
        DbState(True),
    ):
        said += t.database(state, "db.example.org/platform", AT)
    assert [(a.event, a.text) for a in said] == [
        ("database_down", "database db.example.org/platform unreachable: connection refused"),
        ("database_up", "database db.example.org/platform reachable again after 12s"),
    ]


def test_a_conflict_is_announced_once_and_its_end_once() -> None:
    t = Transitions()
    warning = "pg_cron job 3 writes snapshots"
    said = []
    for seen in (None, warning, warning, None, None):
        said += events(t.conflict(seen, AT))
    assert said == [
        ("conflict_detected", "conflict", "none"),
        ("conflict_cleared", "none", "conflict"),
    ]


def test_backfills_finished_since_the_first_look_each_once() -> None:
    t = Transitions()
    old = BackfillRun(uuid4(), AT - timedelta(hours=2), AT - timedelta(hours=1), "ok", "ops", {})
    running = BackfillRun(uuid4(), AT, None, "running", "ops@h", {"written": 5, "planned": 9})
    assert t.backfills([running, old], AT) == []
    done = replace(running, finished_at=AT, status="partial")
    said = t.backfills([done, old], AT + timedelta(minutes=1))
    assert events(said) == [("backfill_finished", "partial", "running")]
    assert said[0].subject.id == str(running.run_id)
    assert said[0].text.startswith("backfill by ops@h partial, finished")
    assert t.backfills([done, old], AT + timedelta(minutes=2)) == []
