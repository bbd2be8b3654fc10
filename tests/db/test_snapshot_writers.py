"""snapwatch.schedule.other_writers: what SQL does with snapshots, shown from its code.

The text analysis first (no database), then functions, triggers and grants shaped like
the platform's (tests/support/platform_writers.py) on a migrated database. pg_cron's jobs are in
test_pgcron.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from support.platform_writers import FUNCTIONS, TRIGGER_AND_RPC, WEB_ROLES_SQL

from snapwatch.schedule.evidence import (
    DOES_NOT_WRITE,
    MAX_DEPTH,
    Catalog,
    Evidence,
    Function,
    Outcome,
    follow_code,
)
from snapwatch.schedule.other_writers import (
    GrantWriter,
    TriggerWriter,
    follow_commands,
    read_other_writers,
)
from snapwatch.schedule.sqltext import Call, calls, scan, snapshot_write, strip_sql

Conn = AsyncConnection[dict[str, object]]
INSERT = "INSERT INTO session_wake_snapshots"


# --- comments and literals ----------------------------------------------------------------


def test_comments_go_and_literals_become_markers() -> None:
    stripped = strip_sql(
        "SELECT 'it''s', E'a\\'b', $$x$$, $tag$ $$ inner $$ $tag$, \"Odd \"\" -- name\""
        " -- UPDATE session_wake_snapshots\n"
        "/* outer /* inner */ still a comment */ FROM t"
    )
    assert stripped.literals == ("it's", "a'b", "x", " $$ inner $$ ")
    assert stripped.code == ("SELECT '0', '1', '2', '3', \"Odd \"\" -- name\"  \n  FROM t")


def test_a_dollar_inside_a_name_or_a_parameter_opens_no_literal() -> None:
    stripped = strip_sql("SELECT a$b$c($1), $2 FROM t$x$")
    assert stripped.literals == ()
    assert stripped.code == "SELECT a$b$c($1), $2 FROM t$x$"


def test_an_unterminated_literal_or_comment_runs_to_the_end() -> None:
    assert strip_sql("SELECT 'open").literals == ("open",)
    assert strip_sql("SELECT $q$open").literals == ("open",)
    assert strip_sql("SELECT 1 /* open").code == "SELECT 1  "


_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@given(st.lists(_TEXT, max_size=4))
def test_quoted_literals_come_back_as_written(values: list[str]) -> None:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    stripped = strip_sql(f"SELECT {quoted}")
    assert stripped.literals == tuple(values)
    assert stripped.code == "SELECT " + ", ".join(f"'{n}'" for n in range(len(values)))


@given(_TEXT)
def test_nothing_in_a_comment_or_a_literal_is_a_write_or_a_call(text: str) -> None:
    dollar = text.replace("$", "")
    for sql_text in (
        "SELECT 1 -- " + text.replace("\n", " ") + "\n",
        "SELECT 1 /* " + text.replace("*/", "").replace("/*", "") + " */",
        "SELECT '" + text.replace("'", "''") + "'",
        "SELECT $body$" + dollar + "$body$",
    ):
        for payload in (sql_text, sql_text.replace("1", f"1 /* {INSERT} */")):
            found = scan(payload)
            assert found.write is None and found.calls == () and not found.dynamic, payload


# --- writes, calls and dynamic SQL ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "write"),
    [
        ("INSERT INTO session_wake_snapshots (a) VALUES (1)", INSERT),
        ("insert into Public.Session_Wake_Snapshots select 1", INSERT),
        ('INSERT INTO "public"."session_wake_snapshots" VALUES (1)', INSERT),
        ('INSERT INTO"session_wake_snapshots" VALUES (1)', INSERT),
        ("UPDATE ONLY session_wake_snapshots AS s SET x = 1", "UPDATE session_wake_snapshots"),
        ("DELETE FROM\n  session_wake_snapshots WHERE true", "DELETE FROM session_wake_snapshots"),
        (
            "MERGE INTO session_wake_snapshots t USING s ON true",
            "MERGE INTO session_wake_snapshots",
        ),
        ("INSERT INTO report_snapshots VALUES (1)", None),
        ("INSERT INTO session_wake_snapshots_archive VALUES (1)", None),
        ("INSERT INTO archive.session_wake_snapshots VALUES (1)", None),
        ('INSERT INTO "Session_Wake_Snapshots" VALUES (1)', None),
        ("SELECT * FROM session_wake_snapshots FOR UPDATE", None),
        ("GRANT INSERT, UPDATE ON session_wake_snapshots TO app", None),
        ("CREATE TRIGGER t AFTER INSERT OR UPDATE ON session_wake_snapshots", None),
        ("INSERT INTO t SELECT * FROM session_wake_snapshots", None),
        ("UPDATEsession_wake_snapshots", None),
    ],
)
def test_a_write_is_an_insert_update_delete_or_merge_of_the_table(
    code: str, write: str | None
) -> None:
    assert snapshot_write(code) == write


def test_calls_are_names_before_a_parenthesis_that_are_not_definitions_or_casts() -> None:
    code = (
        "v := generate_session_wake_snapshot(a::numeric(5, 2), public.helper(b)); "
        'PERFORM "Odd""Name"(1), s."Q"(2); '
        "INSERT INTO site_device_sessions (site_id) SELECT x FROM f() AS t (x, y); "
        "IF (a) THEN RAISE NOTICE '0'; ELSIF (b) THEN RETURN (1); END IF; "
        "CREATE FUNCTION made_here(int) RETURNS int; "
        "WITH cte (a) AS (SELECT 1) SELECT coalesce(1, 2)"
    )
    assert calls(code) == (
        Call(None, "generate_session_wake_snapshot"),
        Call("public", "helper"),
        Call(None, 'Odd"Name'),
        Call("s", "Q"),
        Call(None, "f"),
        # SQL's keywords are the database's to recognise (pg_get_keywords: Catalog)
        Call(None, "as"),
        Call(None, "coalesce"),
    )


@pytest.mark.parametrize(
    ("body", "dynamic"),
    [
        ("EXECUTE format('DELETE FROM %I', t);", True),
        ("EXECUTE v_sql;", True),
        ("EXECUTE 'DELETE FROM ' || t;", True),
        ("EXECUTE 'SELECT 1';", False),
        ("EXECUTE 'SELECT $1' INTO v USING 1;", False),
        ("CREATE TRIGGER t AFTER UPDATE ON x FOR EACH ROW EXECUTE FUNCTION f();", False),
        ("GRANT EXECUTE ON FUNCTION f() TO anon;", False),
    ],
)
def test_dynamic_sql_is_execute_of_a_statement_built_at_run_time(body: str, dynamic: bool) -> None:
    assert scan(body).dynamic is dynamic


def test_statements_run_from_literals_are_read_as_sql() -> None:
    executed = scan("EXECUTE 'DELETE FROM session_wake_snapshots WHERE x = $1' USING 1;")
    assert executed.write == "DELETE FROM session_wake_snapshots"
    block = scan("DO $$BEGIN PERFORM writer(); END$$")
    assert block.calls == (Call(None, "writer"),) and block.write is None
    quoted = scan("DO LANGUAGE plpgsql $do$ BEGIN EXECUTE format('x'); END $do$")
    assert quoted.dynamic


# --- following calls over a catalog --------------------------------------------------------


def fn(name: str, body: str, *, schema: str = "public", language: str = "plpgsql") -> Function:
    oid = abs(hash((schema, name, body))) % 10**9
    return Function(oid, schema, name, f"{name}()", language, body)


def catalog(
    *functions: Function,
    system: Iterable[str] = (),
    not_followed: Iterable[str] = (),
    missing: Iterable[str] = (),
) -> Catalog:
    """A catalog as the database would give it, every name looked up."""
    by_name: dict[str, tuple[Function, ...]] = {}
    for f in functions:
        by_name[f.name] = (*by_name.get(f.name, ()), f)
    looked_up = frozenset({*by_name, *system, *not_followed, *missing})
    return Catalog(by_name, frozenset(system), frozenset(not_followed), looked_up)


PLATFORM = catalog(
    fn("generate_session_wake_snapshot", f"BEGIN {INSERT} VALUES (1); END"),
    fn(
        "generate_scheduled_snapshots",
        "BEGIN -- session_wake_snapshots\n v := generate_session_wake_snapshot(now());"
        " INSERT INTO async_error_logs VALUES ('session_wake_snapshots'); END",
    ),
    fn("generate_scheduled_report_snapshots", "BEGIN INSERT INTO report_snapshots VALUES (1); END"),
    fn("rebuild", "BEGIN EXECUTE format('DELETE FROM %I', 'session_wake_snapshots'); END"),
    fn(
        "maintenance", "BEGIN PERFORM rebuild(); PERFORM generate_scheduled_report_snapshots(); END"
    ),
    fn("c_writer", "c_writer", language="c"),
    fn("overloaded", f"BEGIN {INSERT} VALUES (1); END"),
    fn("overloaded", "BEGIN RETURN 1; END", schema="archive"),
    fn("recursive", "BEGIN PERFORM recursive(); RETURN 1; END"),
    system={"now", "jsonb_build_object"},
    not_followed={"values", "uuid_generate_v4"},
    missing={"gone", "rebuild_all"},
)


def test_a_chain_of_calls_to_a_write_is_the_evidence() -> None:
    evidence = follow_code("SELECT generate_scheduled_snapshots();", PLATFORM)
    assert evidence == Evidence(
        Outcome.WRITES,
        ("generate_scheduled_snapshots()", "generate_session_wake_snapshot()", INSERT),
    )
    assert evidence.describe("job 8 'generate-site-snapshots'") == (
        "job 8 'generate-site-snapshots' → generate_scheduled_snapshots() → "
        "generate_session_wake_snapshot() → INSERT INTO session_wake_snapshots"
    )
    direct = follow_code(f"{INSERT} SELECT 1", PLATFORM)
    assert direct.chain == (INSERT,) and direct.writes


def test_a_report_job_named_like_a_generator_does_not_write_snapshots() -> None:
    evidence = follow_code("SELECT generate_scheduled_report_snapshots()", PLATFORM)
    assert evidence is DOES_NOT_WRITE
    assert evidence.describe("job 7") == "job 7 does not write session_wake_snapshots"
    for builtin in ("SELECT now(), uuid_generate_v4()", "SELECT pg_catalog.gone()", "VACUUM"):
        assert follow_code(builtin, PLATFORM) is DOES_NOT_WRITE


@pytest.mark.parametrize(
    ("command", "chain", "reason"),
    [
        ("SELECT maintenance()", ("maintenance()", "rebuild()"), "dynamic SQL"),
        ("EXECUTE 'SELECT ' || x", (), "dynamic SQL"),
        ("SELECT gone(1)", (), "gone() is not a function of this database"),
        (
            "SELECT public.rebuild_all()",
            (),
            "public.rebuild_all() is not a function of this database",
        ),
        ("SELECT c_writer()", ("c_writer()",), "written in c"),
        (
            "SELECT overloaded()",
            (),
            "overloaded() has 2 definitions and only 1 write session_wake_snapshots",
        ),
    ],
)
def test_what_cannot_be_followed_is_unknown_with_the_reason(
    command: str, chain: tuple[str, ...], reason: str
) -> None:
    evidence = follow_code(command, PLATFORM)
    assert evidence == Evidence(Outcome.UNKNOWN, chain, reason)
    assert not evidence.writes
    path = " → ".join(("job 9", *chain))
    assert evidence.describe("job 9") == f"{path} could not be followed: {reason}"


def test_a_write_shown_anywhere_wins_over_an_unknown_and_recursion_ends() -> None:
    mixed = follow_code("SELECT gone(); SELECT generate_scheduled_snapshots()", PLATFORM)
    assert mixed.writes
    assert follow_code("SELECT recursive()", PLATFORM) is DOES_NOT_WRITE
    qualified = follow_code("SELECT public.overloaded()", PLATFORM)
    assert qualified.chain == ("overloaded()", INSERT)
    other_schema = follow_code("SELECT archive.overloaded()", PLATFORM)
    assert other_schema is DOES_NOT_WRITE


@given(st.integers(min_value=1, max_value=MAX_DEPTH + 2))
def test_a_write_is_followed_exactly_max_depth_functions_deep(length: int) -> None:
    chain = [fn(f"level_{n}", f"BEGIN PERFORM level_{n + 1}(); END") for n in range(1, length)] + [
        fn(f"level_{length}", f"BEGIN {INSERT} VALUES (1); END")
    ]
    evidence = follow_code("SELECT level_1()", catalog(*chain))
    if length <= MAX_DEPTH:
        assert evidence.writes
        assert evidence.chain == (*(f"level_{n}()" for n in range(1, length + 1)), INSERT)
    else:
        assert evidence.unknown
        assert evidence.reason == f"level_{MAX_DEPTH + 1}() is deeper than {MAX_DEPTH} calls"


# --- a migrated database shaped like the platform ----------------------------------------------


@pytest.fixture
async def platform(migrated_dsn: str) -> AsyncIterator[Conn]:
    """The migrated database with the platform-shaped writers, triggers and grants."""
    async with await AsyncConnection.connect(
        migrated_dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        await conn.execute(WEB_ROLES_SQL)
        await conn.execute(FUNCTIONS)
        await conn.execute(TRIGGER_AND_RPC)
        yield conn


async def test_commands_are_followed_through_the_database_definitions(platform: Conn) -> None:
    await platform.execute(
        "CREATE FUNCTION text_length(text) RETURNS integer LANGUAGE internal AS 'textlen'"
    )
    commands = [
        "SELECT generate_scheduled_snapshots();",
        "SELECT generate_scheduled_report_snapshots()",
        "SELECT rebuild_snapshot_partitions()",
        "SELECT generate_site_snapshot(s.site_id) FROM sites AS s",
        "DELETE FROM cron.job_run_details WHERE end_time < now() - interval '7 days'",
        f"{INSERT} (site_state) SELECT '{{}}'::jsonb WHERE false",
        "SELECT text_length('x'), count(*), coalesce(max(x), 0) FROM (VALUES (1)) AS v (x)",
    ]
    found = await follow_commands(platform, commands)
    assert [e.outcome for e in found] == [
        Outcome.WRITES,
        Outcome.DOES_NOT_WRITE,
        Outcome.UNKNOWN,
        Outcome.UNKNOWN,
        Outcome.DOES_NOT_WRITE,
        Outcome.WRITES,
        Outcome.UNKNOWN,
    ]
    assert found[0].chain == (
        "generate_scheduled_snapshots()",
        "generate_session_wake_snapshot()",
        INSERT,
    )
    assert found[2].describe("job 3") == (
        "job 3 → rebuild_snapshot_partitions() could not be followed: dynamic SQL"
    )
    assert found[3].describe("job 4") == (
        "job 4 could not be followed: generate_site_snapshot() is not a function of this database"
    )
    assert found[5].chain == (INSERT,)
    assert (found[6].chain, found[6].reason) == (("text_length()",), "written in internal")
    assert await follow_commands(platform, []) == []


class CountingConnection(AsyncConnection[dict[str, object]]):
    """A connection that counts the queries it runs."""

    queries = 0

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        type(self).queries += 1
        return await super().execute(*args, **kwargs)


async def test_definitions_are_read_a_level_at_a_time_not_a_function_at_a_time(
    platform: Conn, migrated_dsn: str
) -> None:
    for n in range(30):  # many platform functions, none of them a writer
        await platform.execute(
            sql.SQL("CREATE FUNCTION {}() RETURNS int LANGUAGE sql AS 'SELECT 1'").format(
                sql.Identifier(f"helper_{n}")
            )
        )
    commands = [f"SELECT helper_{n}(), generate_scheduled_snapshots()" for n in range(30)]
    async with await CountingConnection.connect(
        migrated_dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        found = await follow_commands(conn, commands)
        # the commands' calls, then what those call (nothing new below)
        assert CountingConnection.queries == 2
        assert all(e.writes for e in found)
        CountingConnection.queries = 0
        writers = await read_other_writers(conn)
        # mentions of the table; of its writers; of theirs (none new); triggers; grants
        assert CountingConnection.queries == 5
        assert len(writers.triggers) == 1


async def test_triggers_and_grants_that_write_snapshots_are_found(platform: Conn) -> None:
    writers = await read_other_writers(platform)
    assert writers.note is None
    assert writers.triggers == (
        TriggerWriter(
            "trigger_auto_generate_snapshot",
            "device_wake_payloads",
            Evidence(
                Outcome.WRITES,
                ("auto_snapshot_on_wake_complete()", "generate_session_wake_snapshot()", INSERT),
            ),
        ),
    )  # the disabled trigger on site_device_sessions is not one
    by_function = {g.function: g for g in writers.grants}
    # PUBLIC may execute a new function: anon and authenticated too. Revoked from PUBLIC,
    # only the roles granted it; the cron entry point is granted to no one; a trigger
    # function cannot be called.
    assert set(by_function) == {
        "generate_session_wake_snapshot(uuid,integer,timestamp with time zone,"
        "timestamp with time zone)",
        "recompute_wake_snapshot(uuid)",
    }
    rpc = by_function["recompute_wake_snapshot(uuid)"]
    assert rpc == GrantWriter(
        "recompute_wake_snapshot(uuid)",
        ("authenticated",),
        Evidence(Outcome.WRITES, ("UPDATE session_wake_snapshots",)),
    )
    assert rpc.describe() == (
        "authenticated may execute recompute_wake_snapshot(uuid) → UPDATE session_wake_snapshots"
    )
    generator = next(g for g in writers.grants if g.function.startswith("generate_session"))
    assert generator.roles == ("anon", "authenticated")
    assert writers.lines()[0] == (
        "trigger trigger_auto_generate_snapshot on device_wake_payloads → "
        "auto_snapshot_on_wake_complete() → generate_session_wake_snapshot() → "
        "INSERT INTO session_wake_snapshots"
    )


async def test_writers_are_found_through_several_levels_of_callers(platform: Conn) -> None:
    for n in (1, 2):
        await platform.execute(
            sql.SQL(
                "CREATE FUNCTION {}() RETURNS void LANGUAGE plpgsql AS $$"
                " BEGIN PERFORM {}(); END $$"
            ).format(
                sql.Identifier(f"nightly_{n}"),
                sql.Identifier("generate_scheduled_snapshots" if n == 1 else "nightly_1"),
            )
        )
    await platform.execute("GRANT EXECUTE ON FUNCTION generate_scheduled_snapshots() TO anon")
    writers = await read_other_writers(platform)
    chains = {g.function: g.evidence.chain for g in writers.grants}
    assert chains["nightly_2()"] == (
        "nightly_1()",
        "generate_scheduled_snapshots()",
        "generate_session_wake_snapshot()",
        INSERT,
    )
    anon_only = next(g for g in writers.grants if g.function == "generate_scheduled_snapshots()")
    assert anon_only.roles == ("anon",)


async def test_no_writers_in_a_database_without_them(migrated_dsn: str) -> None:
    async with await AsyncConnection.connect(
        migrated_dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        writers = await read_other_writers(conn)
        assert (writers.triggers, writers.grants, writers.note) == ((), (), None)
        assert writers.lines() == []


async def test_definitions_this_role_may_not_read_make_everything_unknown(platform: Conn) -> None:
    role = f"no_catalog_{os.getpid()}"
    await platform.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        await platform.execute("REVOKE SELECT ON pg_catalog.pg_proc FROM PUBLIC")
        info = platform.info
        dsn = psycopg.conninfo.make_conninfo(
            host=info.host, port=info.port, dbname=info.dbname, user=role
        )
        async with await AsyncConnection.connect(
            dsn, autocommit=True, row_factory=dict_row
        ) as conn:
            [evidence] = await follow_commands(conn, ["SELECT generate_scheduled_snapshots()"])
            writers = await read_other_writers(conn)
        assert evidence.unknown and evidence.reason is not None
        assert evidence.reason.startswith("function definitions are not readable: ")
        assert "permission denied" in evidence.reason
        assert writers.note == evidence.reason and writers.lines() == []
    finally:
        await platform.execute("GRANT SELECT ON pg_catalog.pg_proc TO PUBLIC")
        await platform.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
