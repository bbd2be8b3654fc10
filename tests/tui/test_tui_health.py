"""The Job health pane: pg_cron's jobs with the evidence of what they write, the other
writers of snapshots, and database text shown inert (never markup, no raw escapes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from snapwatch.infra.access import AccessReport
from snapwatch.readmodels.health import JobHealth
from snapwatch.schedule.evidence import DOES_NOT_WRITE, Evidence, Outcome
from snapwatch.schedule.other_writers import GrantWriter, OtherWriters, TriggerWriter
from snapwatch.schedule.pgcron import CronJob, CronReport
from snapwatch.tui.panes.health import HealthPane, cron_lines, writer_lines

NOW = datetime(2026, 6, 10, 5, 3, tzinfo=UTC)
NO_ACCESS = AccessReport("ops", {})
INSERT = "INSERT INTO session_wake_snapshots"
CHAIN = ("generate_scheduled_snapshots()", "generate_session_wake_snapshot()", INSERT)


def job(jobid: int, name: str, evidence: Evidence | None, *, active: bool = True) -> CronJob:
    return CronJob(
        jobid=jobid,
        name=name,
        schedule="*/15 * * * *",
        command="SELECT 1",
        database="postgres",
        username="postgres",
        active=active,
        last_status="succeeded",
        last_start=NOW - timedelta(minutes=3),
        last_end=NOW - timedelta(minutes=3),
        last_duration_seconds=0.1,
        last_message=None,
        last_pid=1,
        next_run=NOW + timedelta(minutes=12) if active else None,
        stuck=False,
        interval_seconds=900.0,
        schedule_error=None,
        snapshot_evidence=evidence,
    )


CRON = CronReport(
    installed=True,
    readable=True,
    database="postgres",
    jobs=(
        job(8, "generate-site-snapshots", Evidence(Outcome.WRITES, CHAIN)),
        job(9, "generate-report-snapshots", DOES_NOT_WRITE),
        job(10, "[red]rebuild[/red]", Evidence(Outcome.UNKNOWN, ("rebuild()",), "dynamic SQL")),
        job(11, "paused", None, active=False),
    ),
)
WRITERS = OtherWriters(
    triggers=(
        TriggerWriter(
            "trigger_auto_generate_snapshot",
            "device_wake_payloads",
            Evidence(Outcome.WRITES, ("auto_snapshot_on_wake_complete()", *CHAIN[1:])),
        ),
    ),
    grants=(
        GrantWriter(
            "recompute_wake_snapshot(uuid)",
            ("authenticated",),
            Evidence(Outcome.WRITES, ("[b]x\x1b[2J()", INSERT)),
        ),
    ),
)


def test_each_job_carries_its_evidence_when_it_writes_or_could_not_be_followed() -> None:
    assert cron_lines(CRON, NOW) == [
        "pg_cron: 4 job(s)",
        "  job 8 'generate-site-snapshots' (*/15 * * * *): last succeeded, next in 12m "
        "[WRITES SNAPSHOTS]",
        "    job 8 'generate-site-snapshots' → generate_scheduled_snapshots() → "
        "generate_session_wake_snapshot() → INSERT INTO session_wake_snapshots",
        "  job 9 'generate-report-snapshots' (*/15 * * * *): last succeeded, next in 12m",
        "  job 10 '[red]rebuild[/red]' (*/15 * * * *): last succeeded, next in 12m",
        "    job 10 '[red]rebuild[/red]' → rebuild() could not be followed: dynamic SQL",
        "  job 11 'paused' (*/15 * * * *): last succeeded [inactive]",
    ]
    assert writer_lines(OtherWriters()) == []
    assert writer_lines(OtherWriters(note="function definitions are not readable: no")) == [
        "other writers of snapshots: unknown, function definitions are not readable: no"
    ]


class HealthApp(App[None]):
    def compose(self) -> ComposeResult:
        yield HealthPane()


async def test_the_pane_shows_database_text_as_typed_and_control_characters_visible() -> None:
    app = HealthApp()
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HealthPane)
        assert not pane.writers.display
        warning = CRON.warning(scheduling=True)
        pane.show(JobHealth(NOW, (), CRON, WRITERS, warning, NO_ACCESS), None)
        await pilot.pause()
        assert pane.warning.display and pane.writers.display
        assert str(pane.warning.content).startswith("CONFLICT: a pg_cron job writes snapshots")
        cron = str(pane.cron.content)
        assert "job 10 '[red]rebuild[/red]' → rebuild() could not be followed" in cron
        writers = str(pane.writers.content)
        assert writers.splitlines() == [
            "other writers of snapshots: 2",
            "  trigger trigger_auto_generate_snapshot on device_wake_payloads → "
            "auto_snapshot_on_wake_complete() → generate_session_wake_snapshot() → "
            "INSERT INTO session_wake_snapshots",
            "  authenticated may execute recompute_wake_snapshot(uuid) → [b]x\\x1b[2J() → "
            "INSERT INTO session_wake_snapshots",
        ]
        pane.show(
            JobHealth(NOW, (), CronReport(installed=False), OtherWriters(), None, NO_ACCESS), None
        )
        await pilot.pause()
        assert not pane.warning.display and not pane.writers.display
        assert str(pane.cron.content) == "pg_cron: not installed"
