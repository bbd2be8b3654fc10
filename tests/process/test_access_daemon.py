"""``snapwatch --daemon`` and the role it connects as (design/platform.md "Who is
connecting", tui.md "Daemon"): a minimal writer ticks; a role that cannot run the
scheduler is exit 2 at startup; a right revoked while it runs fails the ticks with the
role check's line (logged once, in /healthz) and it keeps running; a database that
accepts no writes is waited out, its reason logged once."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from support.daemon import Daemon
from support.overview_rows import Rows
from support.role_setup import due_fleet, enable_row_security, execute, grant_reader, grant_writer
from support.roles import MakeRole

pytestmark = pytest.mark.slow  # real processes


@pytest.fixture
def fleet(migrated_dsn: str, rows: Rows) -> str:
    due_fleet(rows)
    return migrated_dsn


def written(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone()
    assert row is not None
    return int(row[0])


def test_the_daemon_ticks_as_a_minimal_writer_role(
    fleet: str, make_role: MakeRole, tmp_path: Path
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    daemon = Daemon(writer.dsn, tmp_path)
    try:
        tick = daemon.wait_event("tick", wrote=lambda e: e["snapshots"] > 0)
        assert tick["failed"] == 0
        daemon.wait_for("healthy", lambda: daemon.get("/healthz")[0] == 200)
        code, _ = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0
    assert written(fleet) > 0
    assert not daemon.named("tick_failed")


@pytest.mark.parametrize("hidden", [False, True], ids=["select-only", "row-security"])
def test_a_role_that_cannot_run_the_scheduler_is_exit_2_at_startup_with_one_line(
    fleet: str, make_role: MakeRole, tmp_path: Path, hidden: bool
) -> None:
    role = make_role(fleet)
    if hidden:
        grant_writer(fleet, role.name)
        enable_row_security(fleet)
    else:
        grant_reader(fleet, role.name)
    daemon = Daemon(role.dsn, tmp_path)
    try:
        code = daemon.wait_exit()
    finally:
        daemon.kill()
    assert code == 2
    last = daemon.lines[-1]
    if hidden:
        assert last.startswith(
            "snapwatch: error: row-level security on companies hides every row from role"
            f' "{role.name}"'
        )
    else:
        assert last.startswith(
            f'snapwatch: error: role "{role.name}" cannot run the scheduler: no INSERT, UPDATE on'
            " session_wake_snapshots"
        )
    assert written(fleet) == 0


def test_a_right_revoked_while_the_daemon_runs_fails_its_ticks_with_the_line(
    fleet: str, make_role: MakeRole, tmp_path: Path
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    revoke = sql.SQL("REVOKE INSERT ON session_wake_snapshots FROM {}").format(
        sql.Identifier(writer.name)
    )
    line = (
        f'role "{writer.name}" cannot run the scheduler: no INSERT on session_wake_snapshots'
        f" (the GRANTs: snapwatch migrate --print-owner-sql --writer {writer.name})"
    )
    daemon = Daemon(writer.dsn, tmp_path)
    try:
        daemon.wait_event("tick", wrote=lambda e: e["snapshots"] > 0)
        execute(fleet, revoke)
        failed = daemon.wait_event("tick_failed")
        assert failed["error"] == line
        assert failed["level"] == "error" and "Traceback" not in "\n".join(daemon.lines)
        status, body = daemon.wait_for(
            "unhealthy", lambda: (r := daemon.get("/healthz"))[0] == 503 and r
        )
        assert body == f"last tick failed: {line}\n"
        ticks = len(daemon.named("tick"))
        time.sleep(1.5)  # three more ticks, each refused
        assert daemon.proc.poll() is None
        assert daemon.get("/healthz")[0] == 503
        assert len(daemon.named("tick_failed")) == 1  # logged once, not once per tick

        execute(
            fleet,
            sql.SQL("GRANT INSERT ON session_wake_snapshots TO {}").format(
                sql.Identifier(writer.name)
            ),
        )
        daemon.wait_for("healthy again", lambda: daemon.get("/healthz")[0] == 200)
        assert len(daemon.named("tick")) > ticks
        code, _ = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0
    assert status == 503


def test_a_read_only_database_is_waited_out_and_its_reason_logged_once(
    fleet: str, tmp_path: Path
) -> None:
    database = psycopg.conninfo.conninfo_to_dict(fleet)["dbname"]
    execute(
        fleet,
        sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(
            sql.Identifier(str(database))
        ),
    )
    daemon = Daemon(fleet, tmp_path)
    try:
        failed = daemon.wait_event("tick_failed")
        assert failed["error"] == (
            "the database is read-only (standby?): default_transaction_read_only is on"
            " for this database"
        )
        body = daemon.wait_for(
            "unhealthy", lambda: (r := daemon.get("/healthz"))[0] == 503 and r[1]
        )
        assert "the database is read-only (standby?)" in body
        time.sleep(1.5)  # three more ticks, each refused
        assert daemon.proc.poll() is None
        assert len(daemon.named("tick_failed")) == 1
        code, _ = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0
    assert written(fleet) == 0
