"""The role check on a real server with real roles (design/platform.md "Who is
connecting", pitfall 30): a minimal writer and a SELECT-only viewer work; a role without
a right, or one row-level security hides rows from, is one line and exit 2 with nothing
written; a database that accepts no writes is exit 3; errors by their kind."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from support.overview_rows import Rows
from support.role_setup import (
    count,
    due_fleet,
    enable_row_security,
    execute,
    grant_reader,
    grant_writer,
    let_through,
    policy,
)
from support.roles import MakeRole

from snapwatch.cli import main
from snapwatch.infra.access.needs import OWN_TABLES
from snapwatch.infra.errors import EXIT_DB_UNREACHABLE, EXIT_USAGE, from_database


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("snapwatch: error: ")
    return lines[0].removeprefix("snapwatch: error: ")


@pytest.fixture
def fleet(migrated_dsn: str, isolated_env: Path, rows: Rows) -> str:
    due_fleet(rows)
    return migrated_dsn


def nothing_written(dsn: str) -> bool:
    return all(
        count(dsn, table) == 0
        for table in ("session_wake_snapshots", "snapwatch.runs", "snapwatch.scheduler_instances")
    )


# --- roles that can do their job ----------------------------------------------------------------


def test_run_once_as_a_minimal_writer_role_writes_the_due_snapshots(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    code, out, err = run(capsys, "run-once", "--dsn", writer.dsn)
    assert (code, err) == (0, "")
    assert "2 written" in out
    assert count(fleet, "session_wake_snapshots") > 0
    assert count(fleet, "snapwatch.runs") == 1


def test_status_and_inspect_read_only_as_a_select_only_role(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    assert run(capsys, "run-once", "--dsn", fleet)[0] == 0  # snapshots to look at
    reader = make_role(fleet)
    grant_reader(fleet, reader.name)
    code, out, err = run(capsys, "status", "--read-only", "--dsn", reader.dsn)
    assert (code, err) == (0, "")
    assert "SITES 2" in out
    assert f'ACCESS role "{reader.name}" can read snapshots; cannot run the scheduler' in out
    code, out, _ = run(capsys, "status", "--json", "--read-only", "--dsn", reader.dsn)
    access = json.loads(out)["access"]
    assert access["can"] == {
        "view": True,
        "schedule": False,
        "pause": False,
        "backfill": False,
        "replace": False,
    }
    assert access["role"] == reader.name and access["warnings"] == []
    code, out, _ = run(capsys, "inspect", "--site", "Room 1", "--read-only", "--dsn", reader.dsn)
    assert code == 0
    assert "Room 1" in out


# --- roles that cannot ----------------------------------------------------------------------------


def test_run_once_as_a_select_only_role_exits_2_naming_the_table_and_the_right(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    reader = make_role(fleet)
    grant_reader(fleet, reader.name)
    code, out, err = run(capsys, "run-once", "--dsn", reader.dsn)
    assert (code, out) == (EXIT_USAGE, "")
    assert one_line(err).startswith(
        f'role "{reader.name}" cannot run the scheduler: no INSERT, UPDATE on'
        " session_wake_snapshots (and "
    )
    assert nothing_written(fleet)


@pytest.mark.parametrize("command", [["pause", "--all"], ["resume", "--all"]])
def test_pause_and_resume_as_a_select_only_role_exit_2_naming_pauses(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole, command: list[str]
) -> None:
    reader = make_role(fleet)
    grant_reader(fleet, reader.name)
    code, _, err = run(capsys, *command, "--dsn", reader.dsn)
    assert code == EXIT_USAGE
    assert one_line(err) == (
        f'role "{reader.name}" cannot pause or resume snapshots: no INSERT, UPDATE on'
        " snapwatch.pauses (and 1 more rights; the GRANTs: snapwatch migrate --print-owner-sql"
        f" --writer"
        f" {reader.name})"
    )
    assert count(fleet, "snapwatch.pauses") == 0


def test_a_role_without_any_right_is_refused_by_status_with_one_line(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    nobody = make_role(fleet)
    code, _, err = run(capsys, "status", "--dsn", nobody.dsn)
    assert code == EXIT_USAGE
    assert one_line(err).startswith(
        f'role "{nobody.name}" cannot read snapshots: no USAGE on schema snapwatch (and '
    )


# --- row-level security ---------------------------------------------------------------------------


def test_row_security_as_on_supabase_refuses_a_writer_without_bypass_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    web, writer, reader = make_role(fleet), make_role(fleet), make_role(fleet)
    grant_writer(fleet, writer.name)
    grant_reader(fleet, reader.name)
    enable_row_security(fleet)
    policy(fleet, "sites", "web_sites", "SELECT", web.name, "true")  # the web app's only
    code, out, err = run(capsys, "run-once", "--dsn", writer.dsn)
    assert (code, out) == (EXIT_USAGE, "")
    assert one_line(err).startswith(
        f'row-level security on companies hides every row from role "{writer.name}"'
        " (no policy for it; grant BYPASSRLS or add a policy) (and "
    )
    assert nothing_written(fleet)
    code, _, err = run(capsys, "status", "--read-only", "--dsn", reader.dsn)
    assert code == EXIT_USAGE
    assert "row-level security on companies hides every row" in one_line(err)


def test_pitfall_30_row_security_on_payloads_and_images_refuses_not_empty_snapshots(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    enable_row_security(fleet, ["device_wake_payloads", "device_images"])
    code, _, err = run(capsys, "run-once", "--dsn", writer.dsn)
    assert code == EXIT_USAGE
    assert one_line(err) == (
        f'row-level security on device_images hides every row from role "{writer.name}"'
        " (no policy for it; grant BYPASSRLS or add a policy) (and 1 more like it)"
    )
    assert nothing_written(fleet)


def test_a_policy_that_lets_the_role_through_makes_it_work(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    enable_row_security(fleet)
    let_through(fleet, writer.name)
    code, out, err = run(capsys, "run-once", "--dsn", writer.dsn)
    assert (code, err) == (0, "")
    assert "2 written" in out


def test_a_writer_with_bypassrls_works_under_row_security(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    writer = make_role(fleet, "BYPASSRLS")
    grant_writer(fleet, writer.name)
    enable_row_security(fleet)
    code, out, _ = run(capsys, "run-once", "--dsn", writer.dsn)
    assert code == 0
    assert "2 written" in out


def test_only_a_conditional_policy_is_a_warning_naming_it_and_the_command_proceeds(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    tables = ["devices"]
    enable_row_security(fleet, tables)
    policy(fleet, "devices", "active_only", "SELECT", writer.name, "is_active")
    code, out, err = run(capsys, "status", "--dsn", writer.dsn)
    warning = (
        f'row-level security on devices limits what role "{writer.name}" can see to the rows'
        ' policy "active_only" allows'
    )
    assert code == 0
    assert err == f"snapwatch: warning: {warning}\n"
    assert "warning: row-level security on devices limits" in out
    code, out, err = run(capsys, "run-once", "--dsn", writer.dsn)
    assert code == 0 and "2 written" in out
    assert err == f"snapwatch: warning: {warning}\n"


# --- the database's state -------------------------------------------------------------------------


def test_a_read_only_database_is_one_line_and_exit_3_for_a_writer_and_fine_for_status(
    capsys: pytest.CaptureFixture[str], fleet: str
) -> None:
    database = psycopg.conninfo.conninfo_to_dict(fleet)["dbname"]
    execute(
        fleet,
        psycopg.sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(
            psycopg.sql.Identifier(str(database))
        ),
    )
    code, out, err = run(capsys, "run-once", "--dsn", fleet)
    assert (code, out) == (EXIT_DB_UNREACHABLE, "")
    assert one_line(err) == (
        "the database is read-only (standby?): default_transaction_read_only is on"
        " for this database"
    )
    code, out, _ = run(capsys, "status", "--dsn", fleet)
    assert code == 0
    assert "the database is read-only (standby?)" in out


def test_what_the_database_says_about_rights_and_state_is_classified_by_kind(
    fleet: str, make_role: MakeRole
) -> None:
    reader = make_role(fleet)
    grant_reader(fleet, reader.name)
    with psycopg.connect(reader.dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as denied:
            conn.execute("INSERT INTO snapwatch.pauses (paused_by) VALUES ('x')")
        conn.execute("SET default_transaction_read_only = on")
        with pytest.raises(psycopg.Error) as read_only:
            conn.execute("SELECT 1 FROM snapwatch.pauses FOR UPDATE")
    refused = from_database(denied.value)
    assert refused is not None and refused.exit_code == EXIT_USAGE
    assert str(refused).startswith("permission denied for table pauses (the role lacks a right")
    state = from_database(read_only.value)
    assert state is not None and state.exit_code == EXIT_DB_UNREACHABLE
    assert str(state).startswith("the database is read-only (standby?): ")
    assert from_database(read_only.value, read_only_connection=True) is not None


def test_the_rule_knows_every_table_of_snapwatchs_schema(migrated_dsn: str) -> None:
    with psycopg.connect(migrated_dsn) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'snapwatch' AND c.relkind = 'r'"
            )
        }
    assert tables == set(OWN_TABLES)


def test_migrate_check_says_what_the_role_can_and_cannot_do(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    reader = make_role(fleet)
    grant_reader(fleet, reader.name)
    code, out, _ = run(capsys, "migrate", "--check", "--dsn", reader.dsn)
    assert code == 0
    assert out.splitlines()[1:] == [
        "nothing to do",
        f'role "{reader.name}" can read snapshots; cannot run the scheduler, pause or resume'
        " snapshots, backfill snapshots, replace or restore snapshots",
        f'  role "{reader.name}" cannot run the scheduler: no INSERT, UPDATE on'
        " session_wake_snapshots (and 12 more rights; the GRANTs: snapwatch migrate"
        f" --print-owner-sql --writer {reader.name})",
        f'  role "{reader.name}" cannot pause or resume snapshots: no INSERT, UPDATE on'
        " snapwatch.pauses (and 1 more rights; the GRANTs: snapwatch migrate --print-owner-sql"
        f" --writer"
        f" {reader.name})",
        f'  role "{reader.name}" cannot backfill snapshots: no INSERT, UPDATE on'
        " session_wake_snapshots (and 13 more rights; the GRANTs: snapwatch migrate"
        f" --print-owner-sql --writer {reader.name})",
        f'  role "{reader.name}" cannot replace or restore snapshots: no INSERT, UPDATE,'
        " DELETE on session_wake_snapshots (and 15 more rights; grant them to"
        f" {reader.name}, or run as the owner)",
    ]


def test_a_writer_role_granted_before_the_activity_trail_keeps_writing_after_the_upgrade(
    capsys: pytest.CaptureFixture[str], fleet: str, make_role: MakeRole
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    reader = make_role(fleet)
    grant_reader(fleet, reader.name)
    # The schema as it was before version 9, with the rights granted then:
    execute(
        fleet,
        "DROP TABLE snapwatch.activity",
        "DELETE FROM snapwatch.schema_migrations WHERE version = 9",
    )
    assert run(capsys, "migrate", "--dsn", fleet)[0] == 0  # the owner upgrades
    code, out, err = run(capsys, "run-once", "--dsn", writer.dsn)
    assert (code, err) == (0, "")
    assert "2 written" in out
    assert count(fleet, "snapwatch.activity") == 1  # the run-once
    code, out, err = run(capsys, "status", "--read-only", "--json", "--dsn", reader.dsn)
    assert (code, err) == (0, "")
    assert [e["kind"] for e in json.loads(out)["activity"]] == ["run_once"]
