"""The activity trail on the command line: every operator action (force, force all, pause,
a pause changed, resume, backfill, restore) is one entry saying who, which process, what,
on which site and with what result; a refused action is recorded as refused; the read
model lists the newest first and filters; ``status`` shows the latest entries."""

from __future__ import annotations

import getpass
import json
import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from support.history import history
from support.overview_rows import Rows
from support.role_setup import grant_reader, grant_writer
from support.roles import MakeRole

from snapwatch.cli import main
from snapwatch.infra.clock import SystemClock
from snapwatch.readmodels.activity import read_activity

H = timedelta(hours=1)
RANGE = ("--since", "2026-03-02", "--until", "2026-03-03")
ME = f"{getpass.getuser()}@{socket.gethostname()}"
CLI = f"cli pid {os.getpid()}"


@pytest.fixture
def fleet(migrated_dsn: str, isolated_env: Path, rows: Rows) -> str:
    """One eligible site and one without a session, around the real current time."""
    now = SystemClock().now()
    start = now.replace(minute=0, second=0, microsecond=0) - 2 * H
    program = rows.program(rows.company("Harbor Co"), "Harbor")
    pier = rows.site(program, "Pier 4", snapshot_cadence_hours=1)
    rows.device(pier)
    rows.session(pier, start, start + 24 * H, "in_progress")
    closed = rows.site(program, "Closed", snapshot_cadence_hours=1)
    rows.device(closed)
    return migrated_dsn


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def trail(dsn: str) -> list[dict[str, Any]]:
    """Every entry, oldest first, with the site's name."""
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT a.*, s.name AS site_name FROM snapwatch.activity a"
            " LEFT JOIN sites s USING (site_id) ORDER BY a.at"
        ).fetchall()


def test_force_of_one_site_is_recorded_with_who_which_process_and_the_wake(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    assert run(capsys, "force", "--site", "pier 4", "--dsn", fleet)[0] == 0
    [entry] = trail(fleet)
    assert (entry["kind"], entry["actor"], entry["process"]) == ("force", ME, CLI)
    assert (entry["site_name"], entry["scope"], entry["result"]) == ("Pier 4", "Pier 4", "ok")
    assert entry["detail"]["written"] == 1 and entry["detail"]["wakes"] == [3]


def test_a_refused_force_is_recorded_as_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    assert run(capsys, "force", "--site", "Closed", "--dsn", fleet)[0] == 1
    [entry] = trail(fleet)
    assert (entry["kind"], entry["site_name"]) == ("force", "Closed")
    assert entry["result"] == "refused: no session"


def test_force_all_is_one_entry_with_its_counts(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    run(capsys, "force", "--all", "--dsn", fleet)
    [entry] = trail(fleet)
    assert (entry["kind"], entry["site_id"], entry["scope"]) == ("force_all", None, "all sites")
    assert (entry["detail"]["written"], entry["detail"]["skipped"]) == (1, 1)
    assert entry["result"] == "ok"


def test_pause_a_changed_pause_and_resume_are_each_recorded(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    assert run(capsys, "pause", "--site", "Pier 4", "--reason", "pump", "--dsn", fleet)[0] == 0
    run(capsys, "pause", "--site", "Pier 4", "--for", "2h", "--reason", "valve", "--dsn", fleet)
    run(capsys, "pause", "--site", "Pier 4", "--dsn", fleet)
    run(capsys, "resume", "--site", "Pier 4", "--dsn", fleet)
    run(capsys, "resume", "--all", "--dsn", fleet)
    entries = trail(fleet)
    assert [(e["kind"], e["result"]) for e in entries] == [
        ("pause", "ok"),
        ("pause_change", "ok"),
        ("pause", "ok: already paused"),
        ("resume", "ok"),
        ("resume", "ok: not paused"),
    ]
    assert {(e["actor"], e["process"]) for e in entries} == {(ME, CLI)}
    assert entries[0]["detail"]["reason"] == "pump" and entries[0]["detail"]["until"] is None
    assert entries[1]["detail"]["reason"] == "valve"
    assert entries[1]["detail"]["seconds"] == 7200
    assert [e["scope"] for e in entries] == ["Pier 4"] * 4 + ["all sites"]


def test_read_activity_lists_the_newest_first_and_filters_by_text_and_kind(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    run(capsys, "pause", "--all", "--reason", "Harbour Works", "--dsn", fleet)
    run(capsys, "force", "--site", "Closed", "--dsn", fleet)
    run(capsys, "resume", "--all", "--dsn", fleet)

    async def read(**kw: Any) -> list[str]:
        conn = await psycopg.AsyncConnection.connect(fleet, autocommit=True)
        try:
            return [e.kind for e in await read_activity(conn, **kw)]
        finally:
            await conn.close()

    import asyncio

    assert asyncio.run(read()) == ["resume", "force", "pause"]
    assert asyncio.run(read(text="harbour works")) == ["pause"]  # in the detail, any case
    assert asyncio.run(read(text="closed")) == ["force"]  # the site's name
    assert asyncio.run(read(text="%")) == []  # a substring, never a pattern
    assert asyncio.run(read(kinds={"resume", "pause"})) == ["resume", "pause"]
    assert asyncio.run(read(limit=1)) == ["resume"]


def test_status_lists_the_latest_activity_as_json_and_as_text(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    run(capsys, "pause", "--site", "Pier 4", "--reason", "pump", "--dsn", fleet)
    code, out = run(capsys, "status", "--json", "--dsn", fleet)
    assert code == 0
    [entry] = json.loads(out)["activity"]
    assert entry["kind"] == "pause" and entry["actor"] == ME and entry["process"] == CLI
    assert entry["site_name"] == "Pier 4" and entry["detail"]["reason"] == "pump"
    assert entry["result"] == "ok"
    code, out = run(capsys, "status", "--dsn", fleet)
    section = out[out.index("RECENT ACTIVITY") :]
    assert f"pause  Pier 4  {ME}" in section and "reason pump" in section


def test_status_read_only_records_nothing(capsys: pytest.CaptureFixture[str], fleet: str) -> None:
    assert run(capsys, "status", "--read-only", "--dsn", fleet)[0] == 0
    assert trail(fleet) == []


def test_backfill_and_restore_are_recorded_with_their_counts(
    capsys: pytest.CaptureFixture[str], migrated_dsn: str, rows: Rows, isolated_env: Path
) -> None:
    history(rows)
    code, _ = run(capsys, "backfill", "--site", "Pier 4", *RANGE, "--dsn", migrated_dsn)
    assert code == 0
    code, _ = run(capsys, "backfill", "--all", "--restore", "--dsn", migrated_dsn)
    assert code == 0
    backfill, restore = trail(migrated_dsn)
    assert (backfill["kind"], backfill["site_name"], backfill["result"]) == (
        "backfill",
        "Pier 4",
        "ok",
    )
    assert (backfill["actor"], backfill["process"]) == (ME, CLI)
    detail = backfill["detail"]
    assert (detail["since"], detail["until"], detail["written"]) == ("2026-03-02", "2026-03-03", 48)
    assert (restore["kind"], restore["scope"], restore["detail"]) == (
        "restore",
        "all sites",
        {"restored": 0, "busy_sites": 0},
    )


def test_a_least_privilege_writer_records_and_a_reader_reads_the_trail(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    writer, reader = make_role(fleet), make_role(fleet)
    grant_writer(fleet, writer.name)
    grant_reader(fleet, reader.name)
    assert run(capsys, "pause", "--all", "--dsn", writer.dsn)[0] == 0
    assert run(capsys, "force", "--site", "Pier 4", "--dsn", writer.dsn)[0] == 1  # refused
    code, out = run(capsys, "status", "--json", "--read-only", "--dsn", reader.dsn)
    assert code == 0
    assert [(a["kind"], a["result"]) for a in json.loads(out)["activity"]] == [
        ("force", "refused: paused"),
        ("pause", "ok"),
    ]
