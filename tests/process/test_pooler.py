"""Pitfall 32: behind a transaction pooler nothing is prepared, no startup options are
sent, and the statement timeout (and read-only) still holds, set in every transaction.

The pooler tests run a real PgBouncer (tests/support/pgbouncer_server.py) with its default
settings: it refuses the startup option ``options`` and keeps no prepared statements."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support.pgbouncer_server import PGBOUNCER, running_pgbouncer, through
from support.reliability_fleet import (
    START,
    build,
    clean_env,
    daemon,
    simulated_now,
    stop,
    tally,
    wait_for_simulated,
)

from snapwatch.infra.config import PoolerSetting, Settings
from snapwatch.infra.db import Database, Target, connect
from snapwatch.infra.embedded import EmbeddedServer
from snapwatch.infra.pooler import REFUSED_OPTIONS, Pooler, from_dsn

H = timedelta(hours=1)
HANGS = 10.0
"""A statement still waiting after this many seconds is taken to hang (the test fails)."""


def with_database(cfg: Settings, **changes: Any) -> Settings:
    return cfg.model_copy(update={"database": cfg.database.model_copy(update=changes)})


# --- the rule, from the DSN and the setting ------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "dsn", "expected"),
    [
        (
            "auto",
            "postgresql://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
            Pooler("transaction", "port 6543"),
        ),
        (
            "auto",
            "postgresql://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres",
            Pooler("session", "Supabase pooler on port 5432"),
        ),
        (
            "auto",
            "host=aws-0-eu-central-1.pooler.supabase.com dbname=postgres",
            Pooler("session", "Supabase pooler on port 5432"),
        ),
        ("auto", "host=db.internal port=6543 dbname=platform", Pooler("transaction", "port 6543")),
        (
            "auto",
            "postgresql://u@db.abcd.supabase.co:6543/postgres",
            Pooler("transaction", "port 6543"),
        ),
        ("auto", "postgresql://u@db.abcd.supabase.co:5432/postgres", None),
        (
            "auto",
            "postgresql://u@pgbouncer.internal:6432/db",
            Pooler("transaction", "host names pgbouncer"),
        ),
        (
            "auto",
            "host=db application_name=Supavisor-proxy",
            Pooler("transaction", "application_name names supavisor"),
        ),
        ("auto", "postgresql://u@db.internal:5432/platform", None),
        ("auto", "host=/tmp/sock dbname=x", None),
        ("auto", "not a dsn ===", None),
        # several hosts: the strictest mode of any of them
        ("auto", "postgresql://u@a:5432,b:6543/db", Pooler("transaction", "port 6543")),
        ("auto", "host=a,b port=6543 dbname=x", Pooler("transaction", "port 6543")),
        (
            "auto",
            "postgresql://u@db.internal:5432,x.pooler.supabase.com:5432/db",
            Pooler("session", "Supabase pooler on port 5432"),
        ),
        ("auto", "postgresql://u@a:5432,b:5433/db", None),
        # the setting wins over the DSN
        ("none", "postgresql://u@h.pooler.supabase.com:6543/db", Pooler("none", "configured")),
        ("transaction", "postgresql://u@db:5432/db", Pooler("transaction", "configured")),
        ("session", "postgresql://u@pgbouncer:6543/db", Pooler("session", "configured")),
    ],
)
def test_the_pooler_mode_follows_the_setting_then_the_dsn(
    setting: PoolerSetting, dsn: str, expected: Pooler | None
) -> None:
    assert from_dsn(setting, dsn) == expected


def test_the_mode_is_described_in_a_few_words() -> None:
    assert Pooler("transaction", "port 6543").describe() == "transaction pooler (port 6543)"
    assert Pooler("none", "configured").describe() == "no pooler (configured)"


async def test_a_direct_server_is_found_to_be_direct(migrated_dsn: str, cfg: Settings) -> None:
    target = Target(dsn=migrated_dsn)
    async with await connect(target, cfg) as conn:
        row = await (await conn.execute("SHOW statement_timeout")).fetchone()
    assert target.pooler == Pooler("none", "startup options applied")
    assert row == {"statement_timeout": "1min"}


# --- through a real PgBouncer in transaction mode ------------------------------------------


async def test_a_default_pgbouncer_is_accepted_in_auto_mode(
    pgbouncer: int, migrated_dsn: str, cfg: Settings
) -> None:
    dsn = through(pgbouncer, migrated_dsn)
    with pytest.raises(psycopg.OperationalError, match="unsupported startup parameter: options"):
        psycopg.connect(dsn, options="-c statement_timeout=1000").close()
    target = Target(dsn=dsn)
    async with await connect(target, cfg) as conn:
        row = await (await conn.execute("SELECT 1 AS one")).fetchone()
    assert row == {"one": 1}
    assert target.pooler == REFUSED_OPTIONS


async def test_statements_run_many_times_on_two_connections_are_never_prepared(
    pgbouncer: int, migrated_dsn: str, cfg: Settings
) -> None:
    """psycopg prepares a statement on its sixth run; behind the pooler the next one
    lands on a server session that has it already, or lacks it."""
    target = Target(dsn=through(pgbouncer, migrated_dsn))
    query = "SELECT count(*) AS n FROM sites WHERE site_id <> %s"
    async with await connect(target, cfg) as a, await connect(target, cfg) as b:
        for _ in range(12):
            for conn in (a, b):
                await conn.execute(query, ("00000000-0000-0000-0000-000000000000",))
                async with conn.transaction():
                    await conn.execute(query, ("00000000-0000-0000-0000-000000000000",))
    # Without the pooler mode, the same runs fail.
    plain = [await psycopg.AsyncConnection.connect(target.dsn, autocommit=True) for _ in "ab"]
    try:
        with pytest.raises(
            (psycopg.errors.DuplicatePreparedStatement, psycopg.errors.InvalidSqlStatementName)
        ):
            for _ in range(12):
                for plain_conn in plain:
                    await plain_conn.execute(query, ("00000000-0000-0000-0000-000000000000",))
    finally:
        for plain_conn in plain:
            await plain_conn.close()


async def blocked_statement(target: Target, cfg: Settings, *, via_pool: bool) -> float:
    """Seconds until a read of a table locked by another session is cancelled."""

    async def read(conn: psycopg.AsyncConnection[dict[str, Any]]) -> float:
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            await asyncio.wait_for(
                conn.execute("SELECT count(*) FROM session_wake_snapshots"), HANGS
            )
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            async with conn.transaction():
                await conn.execute("SELECT 1")
                await asyncio.wait_for(
                    conn.execute("SELECT count(*) FROM session_wake_snapshots"), HANGS
                )
        return time.monotonic() - started

    if not via_pool:
        async with await connect(target, cfg) as conn:
            return await read(conn)
    async with Database.open(target, cfg) as db, db.connection() as conn:
        return await read(conn)


@pytest.mark.parametrize("via_pool", [False, True], ids=["connection", "pool"])
async def test_a_statement_blocked_by_a_lock_still_times_out_through_the_pooler(
    pgbouncer: int, migrated_dsn: str, cfg: Settings, via_pool: bool
) -> None:
    dsn = through(pgbouncer, migrated_dsn)
    with psycopg.connect(dsn, autocommit=True) as bare:  # the server itself has no limit
        assert bare.execute("SHOW statement_timeout").fetchone() == ("0",)
    target = Target(dsn=dsn)
    with psycopg.connect(migrated_dsn) as holder:
        holder.execute("LOCK TABLE session_wake_snapshots IN ACCESS EXCLUSIVE MODE")
        took = await blocked_statement(
            target, with_database(cfg, statement_timeout_seconds=0.5), via_pool=via_pool
        )
    assert target.pooler == REFUSED_OPTIONS
    assert 1.0 <= took < 4.0  # two statements, each cancelled after 0.5 s


async def test_a_read_only_connection_through_the_pooler_cannot_write(
    pgbouncer: int, migrated_dsn: str, cfg: Settings
) -> None:
    target = Target(dsn=through(pgbouncer, migrated_dsn))
    async with await connect(target, cfg, read_only=True) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            await conn.execute("INSERT INTO companies (name) VALUES ('Nope')")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            async with conn.transaction():
                await conn.execute("INSERT INTO companies (name) VALUES ('Nope')")
        row = await (await conn.execute("SELECT count(*) AS n FROM companies")).fetchone()
    assert row == {"n": 0}


async def test_dropped_startup_options_are_noticed_and_the_timeout_still_holds(
    pgbouncer_ignoring_options: int, migrated_dsn: str, cfg: Settings
) -> None:
    target = Target(dsn=through(pgbouncer_ignoring_options, migrated_dsn))
    with psycopg.connect(migrated_dsn) as holder:
        holder.execute("LOCK TABLE session_wake_snapshots IN ACCESS EXCLUSIVE MODE")
        took = await blocked_statement(
            target, with_database(cfg, statement_timeout_seconds=0.5), via_pool=False
        )
    assert target.pooler == Pooler("transaction", "startup options dropped on the way")
    assert took < 4.0


async def test_a_session_pooler_gets_the_settings_after_connecting(
    pg_server: EmbeddedServer, migrated_dsn: str, cfg: Settings
) -> None:
    if PGBOUNCER is None:
        pytest.skip("needs PgBouncer (Debian package pgbouncer)")
    with running_pgbouncer(pg_server, pool_mode="session") as port:
        target = Target(dsn=through(port, migrated_dsn))
        told = with_database(cfg, pooler="session", statement_timeout_seconds=2)
        async with await connect(target, told, read_only=True) as conn:
            row = await (
                await conn.execute(
                    "SELECT current_setting('statement_timeout') AS timeout,"
                    " current_setting('default_transaction_read_only') AS ro"
                )
            ).fetchone()
    assert row == {"timeout": "2s", "ro": "on"}
    assert target.pooler == Pooler("session", "configured")


def snapwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "snapwatch", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(),
    )


def test_migrate_through_a_transaction_pooler_is_refused_in_one_line(
    pgbouncer: int, migrated_dsn: str
) -> None:
    dsn = through(pgbouncer, migrated_dsn)
    done = snapwatch("migrate", "--dsn", dsn)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "snapwatch: error: migrate cannot run through a transaction pooler (PgBouncer refused "
        "startup options): connect it directly or through a session pooler (Supabase: "
        "port 5432), or set database.pooler"
    ]
    check = snapwatch("migrate", "--check", "--dsn", dsn)  # reading the plan is fine
    assert check.returncode == 0, check.stderr


def test_status_names_the_pooler_mode_and_why(pgbouncer: int, migrated_dsn: str) -> None:
    dsn = through(pgbouncer, migrated_dsn)
    done = snapwatch("status", "--dsn", dsn)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:3] == [
        f"database {dsn}",
        "pooler transaction (PgBouncer refused startup options)",
    ]
    as_json = json.loads(snapwatch("status", "--json", "--dsn", dsn).stdout)
    assert as_json["pooler"] == {
        "mode": "transaction",
        "reason": "PgBouncer refused startup options",
    }


# --- two daemons through the pooler --------------------------------------------------------


def ticks_per_instance(dsn: str) -> list[tuple[int, int, str | None]]:
    """(ticks recorded, ticks not ok, last error) of each scheduler instance."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT count(r.run_id), count(r.run_id) FILTER (WHERE r.status <> 'ok'),"
            "       i.last_error"
            "  FROM snapwatch.scheduler_instances i"
            "  LEFT JOIN snapwatch.runs r USING (instance_id)"
            " GROUP BY i.instance_id, i.last_error ORDER BY i.instance_id"
        ).fetchall()
    return [(int(n), int(bad), error) for n, bad, error in rows]


def log_events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_two_daemons_through_a_default_pgbouncer_write_every_slot_once_and_never_fail(
    pgbouncer: int, migrated_dsn: str, tmp_path: Path
) -> None:
    sessions = build(migrated_dsn, sites=26)  # every cadence from 0.25 h to 24 h, twice
    dsn = through(pgbouncer, migrated_dsn)
    logs = [tmp_path / f"d{i}.log" for i in range(2)]
    procs = [daemon(dsn, speed=1800, clock="pooled", tick=0.3, log=log) for log in logs]
    try:
        wait_for_simulated(migrated_dsn, "pooled", START + 7 * H, procs, timeout=120)
        deadline = time.monotonic() + 60
        while min((n for n, _, _ in ticks_per_instance(migrated_dsn)), default=0) < 20:
            assert time.monotonic() < deadline, ticks_per_instance(migrated_dsn)
            time.sleep(0.2)
    finally:
        codes = stop(procs)
    assert codes == [0, 0], [log.read_text()[-2000:] for log in logs]
    ticks = ticks_per_instance(migrated_dsn)
    reached = simulated_now(migrated_dsn, "pooled")
    assert reached is not None
    counted = tally(migrated_dsn, sessions, reached - H)  # every slot settled an hour ago
    events = [log_events(log) for log in logs]
    print(
        f"\n2 daemons through PgBouncer (transaction mode, default settings), "
        f"{reached - START} simulated: ticks {[n for n, _, _ in ticks]}, "
        f"failed {[bad for _, bad, _ in ticks]}; {counted.line()}"
    )
    assert len(ticks) == 2 and all(n >= 20 and bad == 0 and not error for n, bad, error in ticks)
    failures = [e for log in events for e in log if e["event"] in ("tick_failed", "site_failed")]
    assert failures == []
    assert counted.expected > 100
    assert (counted.duplicates, counted.gaps, counted.wrong_windows) == (0, 0, 0)
    for log in events:
        [started] = [e for e in log if e["event"] == "started"]
        assert (started["pooler"], started["pooler_reason"]) == (
            "transaction",
            "PgBouncer refused startup options",
        )
