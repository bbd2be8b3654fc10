"""``status``, ``force``, ``pause``, ``resume``, ``run-once --json`` and ``migrate --check``
on the command line: output, and the exit code of every error path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.overview_rows import Rows

from snapwatch.cli import main
from snapwatch.infra.clock import SystemClock
from snapwatch.infra.migrations.own import LATEST_VERSION

H = timedelta(hours=1)
CLOSED_PORT_DSN = "postgresql://bob:hunter2@127.0.0.1:1/platform"


@pytest.fixture
def fleet(migrated_dsn: str, isolated_env: Path, rows: Rows) -> str:
    """Sites around the real current time (the commands use the system clock): one
    eligible, one without devices, one without a session, one without a cadence."""
    now = SystemClock().now()
    start = now.replace(minute=0, second=0, microsecond=0) - 2 * H
    program = rows.program(rows.company("Harbor Co"), "Harbor")
    for name, cadence, devices, session in [
        ("Pier 4", 1, 1, True),
        ("Empty", 1, 0, True),
        ("Closed", 1, 1, False),
        ("No Cadence", None, 1, True),
    ]:
        site = rows.site(program, name, snapshot_cadence_hours=cadence)
        for _ in range(devices):
            rows.device(site)
        if session:
            rows.session(site, start, start + 24 * H, "in_progress")
    return migrated_dsn


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("snapwatch: error: ")
    return lines[0].removeprefix("snapwatch: error: ")


# --- force ---------------------------------------------------------------------------------


def test_force_one_site_writes_a_provisional_snapshot(
    capsys: pytest.CaptureFixture[str], fleet: str, rows: Rows
) -> None:
    code, out, _ = run(capsys, "force", "--site", "pier 4", "--dsn", fleet)
    assert code == 0
    assert out.startswith("forced   Pier 4  wake 3  ")
    assert rows.conn.execute("SELECT count(*) FROM snapwatch.provisional_snapshots").fetchone() == (
        1,
    )


@pytest.mark.parametrize(
    ("site", "words"),
    [("Empty", "no devices"), ("Closed", "no session"), ("No Cadence", "no cadence")],
)
def test_force_of_a_site_that_is_not_eligible_exits_1_with_the_reason(
    capsys: pytest.CaptureFixture[str], fleet: str, site: str, words: str
) -> None:
    code, out, err = run(capsys, "force", "--site", site, "--dsn", fleet)
    assert code == 1 and out == ""
    assert one_line(err) == f"cannot force {site!r}: {words}"


def test_force_all_forces_the_eligible_and_names_the_others(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    code, out, _ = run(capsys, "force", "--all", "--dsn", fleet)
    assert code == 0
    lines = out.splitlines()
    assert [ln.split()[0] for ln in lines[:-1]] == ["skipped", "skipped", "skipped", "forced"]
    assert any(ln.startswith("skipped  Empty") and ln.endswith("no devices") for ln in lines)
    assert any(ln.startswith("skipped  Closed") and ln.endswith("no session") for ln in lines)
    assert lines[-1].startswith("1 site(s) forced as of ")
    assert lines[-1].endswith("3 not forced, 0 failed")


@pytest.mark.parametrize(
    "args",
    [
        ["force"],
        ["force", "--all", "--site", "Pier 4"],
        ["pause", "--reason", "x"],
        ["resume"],
    ],
)
def test_actions_need_exactly_one_of_site_or_all(
    capsys: pytest.CaptureFixture[str], isolated_env: Path, args: list[str]
) -> None:
    code, _, err = run(capsys, *args, "--dsn", CLOSED_PORT_DSN)
    assert code == 2  # and not 3: refused before connecting
    assert one_line(err).endswith("needs exactly one of --site S or --all")


@pytest.mark.parametrize("command", ["force", "pause", "resume", "run-once", "status"])
def test_an_unknown_site_exits_2_with_close_matches(
    capsys: pytest.CaptureFixture[str], fleet: str, command: str
) -> None:
    code, _, err = run(capsys, command, "--site", "Pier 5", "--dsn", fleet)
    assert code == 2
    assert one_line(err) == "no site matches 'Pier 5' (did you mean 'Pier 4'?)"


# --- pause and resume ----------------------------------------------------------------------


def status_json(capsys: pytest.CaptureFixture[str], dsn: str, *extra: str) -> dict[str, Any]:
    code, out, _ = run(capsys, "status", "--json", "--dsn", dsn, *extra)
    assert code == 0
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_pause_with_reason_and_expiry_then_resume(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    before = SystemClock().now()
    code, out, _ = run(
        capsys,
        "pause",
        "--site",
        "Pier 4",
        "--reason",
        "cleaning",
        "--for",
        "1h30m",
        "--dsn",
        fleet,
    )
    assert code == 0
    assert out.startswith("paused 'Pier 4' for 1h 30m (until ")
    assert out.rstrip().endswith('"cleaning"') and "@" in out
    doc = status_json(capsys, fleet)
    [paused] = doc["pauses"]
    assert (paused["scope"], paused["reason"]) == ("'Pier 4'", "cleaning")
    expires = datetime.fromisoformat(paused["expires_at"])
    assert timedelta(minutes=89) < expires - before < timedelta(minutes=91)
    pier = next(s for s in doc["sites"] if s["site_name"] == "Pier 4")
    assert pier["state"] == "paused" and "cleaning" in pier["reason"]

    code, out, _ = run(capsys, "pause", "--site", "Pier 4", "--dsn", fleet)
    assert code == 0 and "already paused" in out and "nothing changed" in out
    code, out, _ = run(capsys, "pause", "--site", "Pier 4", "--for", "2h", "--dsn", fleet)
    assert code == 0 and out.startswith("changed the pause of 'Pier 4' (since ")
    assert (
        '"cleaning", 1h 59m left, changed by ' in out or '"cleaning", 2h left, changed by ' in out
    )

    code, out, _ = run(capsys, "resume", "--site", "Pier 4", "--dsn", fleet)
    assert (code, out) == (0, "resumed 'Pier 4' (1 pause(s) ended)\n")
    assert status_json(capsys, fleet)["pauses"] == []
    code, out, _ = run(capsys, "resume", "--site", "Pier 4", "--dsn", fleet)
    assert (code, out) == (0, "'Pier 4' not paused: nothing to resume\n")


def test_global_pause_pauses_every_site_and_resume_all_ends_it(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    code, out, _ = run(capsys, "pause", "--all", "--dsn", fleet)
    assert code == 0 and out.startswith("paused all sites until resumed, by ")
    code, out, _ = run(capsys, "run-once", "--dsn", fleet)
    assert code == 0 and "skipped  Pier 4" in out and "paused" in out
    code, out, _ = run(capsys, "resume", "--site", "Pier 4", "--dsn", fleet)
    assert "all sites are still paused" in out
    code, out, _ = run(capsys, "resume", "--all", "--dsn", fleet)
    assert (code, out) == (0, "resumed all sites (1 pause(s) ended)\n")


@pytest.mark.parametrize("duration", ["2x", "1.5h", "0m", "367d", "9999999999d"])
def test_a_bad_duration_exits_2_before_connecting(
    capsys: pytest.CaptureFixture[str], isolated_env: Path, duration: str
) -> None:
    code, _, err = run(capsys, "pause", "--all", "--for", duration, "--dsn", CLOSED_PORT_DSN)
    assert code == 2
    assert "duration" in one_line(err)


# --- read-only, DSN ports, migrate --check ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["run-once"],
        ["force", "--all"],
        ["pause", "--site", "Pier 4"],
        ["resume", "--all"],
        ["migrate"],
    ],
)
def test_a_writing_command_with_read_only_exits_2_without_connecting(
    capsys: pytest.CaptureFixture[str], isolated_env: Path, args: list[str]
) -> None:
    code, _, err = run(capsys, "--read-only", *args, "--dsn", CLOSED_PORT_DSN)
    assert code == 2  # a connection attempt would have said "unreachable" (3)
    assert one_line(err).endswith("writes to the database; read_only is set")


def test_read_only_commands_still_connect_with_read_only(
    capsys: pytest.CaptureFixture[str], isolated_env: Path
) -> None:
    for args in (["migrate", "--check"], ["status"]):
        code, _, err = run(capsys, *args, "--read-only", "--dsn", CLOSED_PORT_DSN)
        assert code == 3 and "unreachable" in one_line(err)
        assert "hunter2" not in err


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://bob:hunter2@localhost:abc/db",
        "postgresql://bob:hunter2@h1:5432,h2:x1/db",
        "host=x port=abc password=hunter2",
        "host=x port=70000 password=hunter2",
    ],
)
@pytest.mark.parametrize("command", ["status", "run-once"])
def test_a_non_numeric_port_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], isolated_env: Path, dsn: str, command: str
) -> None:
    code, out, err = run(capsys, command, "--dsn", dsn)
    assert code == 2
    message = one_line(err)
    assert message.startswith("invalid DSN: port ") and "is not a number from 1 to 65535" in message
    assert "hunter2" not in out + err


def test_migrate_check_exits_1_when_changes_are_pending(
    capsys: pytest.CaptureFixture[str], fresh_dsn: str, isolated_env: Path
) -> None:
    code, out, _ = run(capsys, "migrate", "--check", "--dsn", fresh_dsn)
    assert code == 1
    assert f"no snapwatch schema yet (this snapwatch brings version {LATEST_VERSION})" in out


def test_migrate_check_names_the_schema_version(
    capsys: pytest.CaptureFixture[str], migrated_dsn: str, isolated_env: Path, rows: Rows
) -> None:
    code, out, _ = run(capsys, "migrate", "--check", "--dsn", migrated_dsn)
    assert code == 0
    latest = LATEST_VERSION
    assert f"schema version {latest} of {latest}; would apply 0 step(s)\nnothing to do\n" in out
    rows.conn.execute("DELETE FROM snapwatch.schema_migrations WHERE version = %s", (latest,))
    code, out, _ = run(capsys, "migrate", "--check", "--dsn", migrated_dsn)
    assert code == 1
    assert f"schema version {latest - 1} of {latest}; would apply 1 step(s)" in out


# --- run-once --json, status -----------------------------------------------------------------


def test_run_once_json_is_one_object_per_run(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    code, out, _ = run(capsys, "run-once", "--json", "--dsn", fleet)
    assert code == 0
    doc = json.loads(out)
    outcomes = {s["site_name"]: s for s in doc["sites"]}
    assert [w["wake_number"] for w in outcomes["Pier 4"]["written"]] == [1, 2]
    assert outcomes["Empty"]["reason"] == "no_devices"
    assert doc["summary"]["snapshots"] == 2


def test_status_text_lists_sites_instances_pauses_and_pg_cron(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    code, out, err = run(capsys, "status", "--dsn", fleet)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert "SITES 4: 1 late, 3 not eligible" in lines
    assert any(ln.startswith("Pier 4 ") and " late " in ln for ln in lines)
    assert "INSTANCES 0: none (no scheduler has run against this database)" in lines
    assert "PAUSES none" in lines
    assert any(ln.startswith("PG_CRON") for ln in lines)
    assert all(len(ln) <= 100 for ln in lines)


def test_status_of_an_unreachable_database_exits_3(
    capsys: pytest.CaptureFixture[str], isolated_env: Path
) -> None:
    code, _, err = run(capsys, "status", "--dsn", CLOSED_PORT_DSN)
    assert code == 3 and "hunter2" not in err
    one_line(err)


def test_status_json_in_a_real_process(fleet: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    result = subprocess.run(
        [sys.executable, "-m", "snapwatch", "status", "--json", "--site", "Pier 4", "--dsn", fleet],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [(s["site_name"], s["state"]) for s in doc["sites"]] == [("Pier 4", "late")]


@pytest.mark.parametrize(
    "command",
    [
        "demo",
        "migrate",
        "config",
        "run-once",
        "inspect",
        "status",
        "force",
        "pause",
        "resume",
        "completion",
    ],
)
def test_every_command_help_has_a_description_and_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from snapwatch.cli import main
    from snapwatch.commands.parser import COMMAND_HELP

    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    description, example = COMMAND_HELP[command]
    assert description.split()[0] in out and f"example:\n  {example}" in out
    assert max(len(line) for line in out.splitlines()[:8]) <= 100
