"""What changed since the last look, as messages: one per change of state, never one
per tick. The states are the daemon's own judgements (:mod:`snapwatch.schedule.health`);
this module only remembers the last one per subject and compares.

The first look (the daemon just started, or a subject first seen) announces only what
needs someone now: a site late or failing, a pg_cron conflict. An instance already down
when the daemon starts is not announced (it died before this daemon watched; ``snapwatch
status`` shows it), nor a backfill that finished before.

- sites: ``site_late`` / ``site_failing`` when a site enters that state (or switches
  between the two), ``site_recovered`` when it leaves them for any other state (on time,
  due, paused, not eligible); changes between those others say nothing;
- instances (other than this daemon's): ``instance_down`` when a live instance is judged
  down, ``instance_up`` when it heartbeats again; a stopped or forgotten one is dropped;
- this daemon's database: ``database_down`` when an outage starts, ``database_up`` when
  it ends (once each, as the log says it);
- ``conflict_detected`` / ``conflict_cleared``: pg_cron's warning appears or changes /
  goes away;
- ``backfill_finished``: a backfill run that finished since the last look.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from snapwatch.infra.dbsession import DbState
from snapwatch.schedule.health import InstanceHealth, InstanceState, SiteHealth, SiteState
from snapwatch.schedule.history.runs import BackfillRun
from snapwatch.service.alerts.message import Alert, Event, Subject
from snapwatch.text.durations import format_duration
from snapwatch.text.labels import words

SITE_PROBLEMS: dict[SiteState, Event] = {
    SiteState.LATE: "site_late",
    SiteState.FAILING: "site_failing",
}
NO_CONFLICT = "none"


class Transitions:
    def __init__(self) -> None:
        self._sites: dict[UUID, SiteState] = {}
        self._instances: dict[UUID, InstanceState] = {}
        self._conflict: str | None = None
        self._finished: set[UUID] | None = None
        """Backfills known to have finished (None: not looked yet)."""
        self._db_down = False

    def sites(self, sites: Iterable[SiteHealth], at: datetime) -> list[Alert]:
        alerts: list[Alert] = []
        seen: dict[UUID, SiteState] = {}
        for site in sites:
            previous = self._sites.get(site.site_id)
            seen[site.site_id] = site.state
            if site.state == previous:
                continue
            if site.state in SITE_PROBLEMS:
                alerts.append(_site_alert(SITE_PROBLEMS[site.state], site, previous, at))
            elif previous in SITE_PROBLEMS:
                alerts.append(_site_alert("site_recovered", site, previous, at))
        self._sites = seen
        return alerts

    def instances(
        self, instances: Iterable[InstanceHealth], own: UUID | None, at: datetime
    ) -> list[Alert]:
        alerts: list[Alert] = []
        seen: dict[UUID, InstanceState] = {}
        for instance in instances:
            if instance.instance_id == own or instance.state is InstanceState.STOPPED:
                continue
            previous = self._instances.get(instance.instance_id)
            seen[instance.instance_id] = instance.state
            if previous is None:
                continue
            down = instance.state is InstanceState.DOWN
            if down != (previous is InstanceState.DOWN):
                event: Event = "instance_down" if down else "instance_up"
                alerts.append(_instance_alert(event, instance, previous, at))
        self._instances = seen
        return alerts

    def conflict(self, warning: str | None, at: datetime) -> list[Alert]:
        previous, self._conflict = self._conflict, warning
        if warning == previous:
            return []
        was = NO_CONFLICT if previous is None else "conflict"
        subject = Subject("conflict", None, "pg_cron")
        if warning is None:
            text = "pg_cron no longer writes snapshots beside snapwatch"
            return [Alert("conflict_cleared", subject, NO_CONFLICT, was, at, text)]
        detail = {"warning": warning}
        return [Alert("conflict_detected", subject, "conflict", was, at, warning, detail)]

    def backfills(self, runs: Iterable[BackfillRun], at: datetime) -> list[Alert]:
        finished = [r for r in runs if r.finished_at is not None]
        known, self._finished = self._finished, {r.run_id for r in finished}
        if known is None:
            return []
        return [_backfill_alert(r, at) for r in reversed(finished) if r.run_id not in known]

    def database(self, state: DbState, name: str, at: datetime) -> list[Alert]:
        if state.up == (not self._db_down):
            return []
        self._db_down = not state.up
        subject = Subject("database", None, name)
        if not state.up:
            text = f"database {name} unreachable: {state.error}"
            return [Alert("database_down", subject, "down", "up", at, text, {"error": state.error})]
        down = state.down_seconds
        text = f"database {name} reachable again"
        text += "" if down is None else f" after {format_duration(down)}"
        detail = {"down_seconds": down}
        return [Alert("database_up", subject, "up", "down", at, text, detail)]


def _site_alert(event: Event, site: SiteHealth, previous: SiteState | None, at: datetime) -> Alert:
    where = f"site {site.site_name} ({site.program_name})"
    if event == "site_recovered":
        assert previous is not None
        text = f"{where} recovered: {words(site.state)} (was {words(previous)})"
    else:
        text = f"{where} is {words(site.state)}: {site.reason}"
    detail = {
        "program": site.program_name,
        "reason": site.reason,
        "late_by_seconds": site.late_by_seconds,
        "waiting_for_wake": site.waiting_for_wake,
        "last_snapshot_at": site.last_snapshot_at,
    }
    subject = Subject("site", str(site.site_id), site.site_name)
    return Alert(event, subject, site.state.value, previous, at, text, detail)


def _instance_alert(
    event: Event, instance: InstanceHealth, previous: InstanceState, at: datetime
) -> Alert:
    name = f"{instance.mode} pid {instance.pid} on {instance.host}"
    how = "down" if event == "instance_down" else "back"
    detail = {
        "host": instance.host,
        "pid": instance.pid,
        "mode": instance.mode,
        "reason": instance.reason,
        "heartbeat_at": instance.heartbeat_at,
    }
    subject = Subject("instance", str(instance.instance_id), name)
    text = f"scheduler instance {name} is {how}: {instance.reason}"
    return Alert(event, subject, instance.state.value, previous.value, at, text, detail)


def _backfill_alert(run: BackfillRun, at: datetime) -> Alert:
    detail = {
        "status": run.status,
        "started_by": run.started_by,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "tally": run.tally,
    }
    subject = Subject("backfill", str(run.run_id), run.started_by or "backfill")
    return Alert("backfill_finished", subject, run.status, "running", at, run.line(at), detail)
