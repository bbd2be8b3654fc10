"""Audit, backfill and restore through PgBouncer in transaction mode (a real pooler)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from support.history import history
from support.overview_rows import Rows

from snapwatch.cli import main

pytestmark = [pytest.mark.process]

RANGE = ("--since", "2026-03-02", "--until", "2026-03-03")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def site(rows: Rows, isolated_env: Path) -> UUID:
    return history(rows)


def test_audit_backfill_and_restore_through_a_transaction_pooler(
    capsys: pytest.CaptureFixture[str],
    migrated_dsn: str,
    site: UUID,
    pgbouncer: int,
    rows: Rows,
) -> None:
    """PgBouncer in transaction mode (its defaults): no prepared statements, limits set in
    every transaction; the backfill's writes, replacements and restore all go through."""
    from support.pgbouncer_server import through

    pooled = through(pgbouncer, migrated_dsn)
    keys = rows._site_keys(site)
    session = rows.conn.execute(
        "SELECT session_id, session_start_time FROM site_device_sessions"
        " WHERE site_id = %s ORDER BY session_date LIMIT 1",
        (site,),
    ).fetchone()
    assert session is not None
    rows.conn.execute(
        "INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,"
        " wake_number, wake_round_start, wake_round_end, site_state)"
        " VALUES (%s, %s, %s, %s, 1, %s, %s + interval '1 hour', '[1]')",
        (keys["company_id"], keys["program_id"], site, session[0], session[1], session[1]),
    )
    code, out, err = run(capsys, "audit", "--all", *RANGE, "--dsn", pooled)
    assert code == 1 and "47 missing, 1 other shape" in out, err
    replace = ("--replace", "other-shape")
    code, out, err = run(capsys, "backfill", "--all", *RANGE, *replace, "--dsn", pooled)
    assert code == 0, err
    code, out, _ = run(capsys, "audit", "--all", *RANGE, "--dsn", pooled)
    assert code == 0 and "48 present, 0 missing" in out
    code, out, err = run(capsys, "backfill", "--all", "--restore", "--dsn", pooled)
    assert code == 0 and "restored 1 rows" in out, err
    assert rows.conn.execute(
        "SELECT site_state FROM session_wake_snapshots WHERE session_id = %s AND wake_number = 1",
        (session[0],),
    ).fetchall() == [([1],)]
