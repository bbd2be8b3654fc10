"""``snapwatch status --json``: the report as one JSON object."""

from __future__ import annotations

import dataclasses
from typing import Any

from snapwatch.infra.access import AccessReport
from snapwatch.readmodels.status import StatusReport
from snapwatch.schedule.evidence import Evidence
from snapwatch.schedule.health import (
    count_instance_states,
    count_states,
)
from snapwatch.schedule.other_writers import OtherWriters
from snapwatch.schedule.pauses import PauseRecord
from snapwatch.schedule.pgcron import CronJob
from snapwatch.text.jsonvalues import json_values


def status_json(report: StatusReport) -> dict[str, Any]:
    """One JSON object: sites (with a summary), instances, pauses, pg_cron and the other
    writers of snapshots; ISO times."""
    return {
        "as_of": report.as_of.isoformat(),
        "database": report.database,
        "clock": report.clock,
        "clock_offset_seconds": report.clock_offset_seconds,
        "pooler": dataclasses.asdict(report.pooler) if report.pooler else None,
        "summary": {
            "sites": count_states(report.sites),
            "instances": count_instance_states(report.instances),
        },
        "sites": [json_values(dataclasses.asdict(s)) for s in report.sites],
        "instances": [
            json_values(
                {
                    **dataclasses.asdict(i),
                    "live": i.live,
                    "heartbeat_age_seconds": i.heartbeat_age_seconds,
                }
            )
            for i in report.instances
        ],
        "pauses": [_pause_json(p) for p in report.pauses],
        "backfills": [
            {
                "run_id": str(b.run_id),
                "started_at": b.started_at.isoformat(),
                "finished_at": None if b.finished_at is None else b.finished_at.isoformat(),
                "status": b.status,
                "started_by": b.started_by,
                "progress": b.tally,
                "text": b.line(report.as_of),
            }
            for b in report.backfills
        ],
        "activity": [
            json_values({**dataclasses.asdict(a), "detail_text": a.detail_text})
            for a in report.activity
        ],
        "access": _access_json(report.access),
        "pg_cron": json_values(
            {
                "installed": report.cron.installed,
                "readable": report.cron.readable,
                "version": report.cron.version,
                "timezone": report.cron.timezone,
                "note": report.cron.note,
                "warning": report.warning,
                "jobs": [_job_json(j) for j in report.cron.jobs],
            }
        ),
        "other_writers": _other_writers_json(report.writers),
    }


def _evidence_json(evidence: Evidence, origin: str) -> dict[str, Any]:
    """Outcome, chain and reason, and the same as one line of text."""
    return {**json_values(dataclasses.asdict(evidence)), "text": evidence.describe(origin)}


def _job_json(job: CronJob) -> dict[str, Any]:
    evidence = job.snapshot_evidence
    return {
        **dataclasses.asdict(job),
        "writes_snapshots": job.writes_snapshots,
        "snapshot_evidence": None if evidence is None else _evidence_json(evidence, job.label),
    }


def _other_writers_json(writers: OtherWriters) -> dict[str, Any]:
    return {
        "triggers": [
            {"trigger": t.trigger, "table": t.table, **_evidence_json(t.evidence, t.origin)}
            for t in writers.triggers
        ],
        "grants": [
            {"function": g.function, "roles": list(g.roles), **_evidence_json(g.evidence, g.origin)}
            for g in writers.grants
        ],
        "note": writers.note,
    }


def _access_json(access: AccessReport) -> dict[str, Any]:
    return {
        "role": access.role,
        "can": {job.value: verdict.ok for job, verdict in access.verdicts.items()},
        "refusals": access.refusals(),
        "warnings": list(access.warnings),
        "read_only": access.read_only,
    }


def _pause_json(pause: PauseRecord) -> Any:
    fields = {k: v for k, v in dataclasses.asdict(pause).items() if k != "created"}
    return json_values({**fields, "scope": pause.scope})
