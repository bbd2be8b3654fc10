"""The role check's rule on plain values (design/platform.md "Who is connecting",
pitfalls 30 and 31): the rights each kind of process needs, row-level security, the
one-line refusals, the GRANTs printed from the same rule, and migrate's owners."""

from __future__ import annotations

import pytest

from snapwatch.infra.access.facts import AccessFacts, Policy, RoleFacts, TableFacts
from snapwatch.infra.access.grants import grant_statements, owner_script, policy_statements
from snapwatch.infra.access.judge import judge, row_security_applies
from snapwatch.infra.access.needs import (
    NEEDS,
    READER_JOBS,
    WRITER_JOBS,
    Job,
    Need,
    Right,
    needs_of,
)
from snapwatch.infra.errors import from_database
from snapwatch.infra.migrations.owners import Held, refusal
from snapwatch.infra.migrations.steps import MigrationPlan, Requirement, Step
from snapwatch.text.inert import name, quoted

ROLE = RoleFacts("snapwatch", bypasses_rls=False, in_recovery=False, read_only_default=None)
PLAIN = TableFacts("public", "", "postgres", owned=False, rls=False, forced=False, policies=())


def facts(
    *,
    role: RoleFacts = ROLE,
    without: tuple[Need, ...] = (),
    tables: dict[str, TableFacts] | None = None,
) -> AccessFacts:
    """Every need of every job present and granted but ``without``; every table plain
    unless ``tables`` says otherwise (by bare name)."""
    needs = needs_of(tuple(Job))
    granted = {need: need not in without for need in needs}
    shaped = tables or {}
    known = {(n.schema, n.table): shaped.get(n.table, PLAIN) for n in needs if n.table is not None}
    return AccessFacts(role, granted, known)


def secured(table: str, *policies: Policy, forced: bool = False, owned: bool = False) -> TableFacts:
    return TableFacts("public", table, "postgres", owned, True, forced, policies)


def policy(
    command: str = "r",
    using: str | None = "true",
    check: str | None = None,
    *,
    permissive: bool = True,
    name: str = "p",
) -> Policy:
    return Policy(name, command, permissive, using, check)


# --- rights -----------------------------------------------------------------------------------


def test_a_role_with_every_right_can_do_every_job() -> None:
    for job in Job:
        verdict = judge(job, facts())
        assert verdict.ok, verdict.refusal


def test_a_missing_right_is_one_line_naming_the_table_and_the_right() -> None:
    insert = Need(Right.INSERT, "public", "session_wake_snapshots")
    verdict = judge(Job.SCHEDULE, facts(without=(insert,)))
    assert verdict.refusal == (
        'role "snapwatch" cannot run the scheduler: no INSERT on session_wake_snapshots'
        " (the GRANTs: snapwatch migrate --print-owner-sql --writer snapwatch)"
    )


def test_missing_rights_on_one_table_are_named_together_and_the_rest_counted() -> None:
    reader_only = tuple(n for n in NEEDS[Job.SCHEDULE] if n not in NEEDS[Job.VIEW])
    line = judge(Job.SCHEDULE, facts(without=reader_only)).refusal
    assert line is not None
    assert line.startswith(
        'role "snapwatch" cannot run the scheduler: no INSERT, UPDATE on session_wake_snapshots'
        f" (and {len(reader_only) - 2} more rights;"
    )
    assert "\n" not in line


def test_the_column_right_of_last_snapshot_at_is_named_as_a_column() -> None:
    column = Need(Right.UPDATE, "public", "sites", "last_snapshot_at")
    line = judge(Job.SCHEDULE, facts(without=(column,))).refusal
    assert line is not None
    assert ": no UPDATE of sites.last_snapshot_at (" in line


def test_snapwatch_tables_are_named_with_their_schema_and_a_viewer_is_pointed_at_reader() -> None:
    schema = Need(Right.USAGE, "snapwatch")
    line = judge(Job.VIEW, facts(without=(schema,))).refusal
    assert line == (
        'role "snapwatch" cannot read snapshots: no USAGE on schema snapwatch'
        " (the GRANTs: snapwatch migrate --print-owner-sql --reader snapwatch)"
    )


def test_a_viewer_needs_no_write_right() -> None:
    writes = tuple(n for n in needs_of(tuple(Job)) if n.right not in (Right.SELECT, Right.USAGE))
    assert judge(Job.VIEW, facts(without=writes)).ok
    assert not judge(Job.SCHEDULE, facts(without=writes)).ok
    assert not judge(Job.PAUSE, facts(without=writes)).ok


def test_needs_on_objects_that_do_not_exist_are_left_to_the_schema_check() -> None:
    present = facts()
    own = {n: g for n, g in present.granted.items() if n.schema != "snapwatch"}
    verdict = judge(Job.SCHEDULE, AccessFacts(ROLE, own, present.tables))
    assert verdict.ok


def test_the_scheduler_writes_snapshots_and_only_last_snapshot_at_of_sites() -> None:
    schedule = set(NEEDS[Job.SCHEDULE])
    assert Need(Right.INSERT, "public", "session_wake_snapshots") in schedule
    assert Need(Right.UPDATE, "public", "session_wake_snapshots") in schedule
    writes_on_platform = {
        n for n in schedule if n.schema == "public" and n.right not in (Right.SELECT, Right.USAGE)
    }
    assert {n.table for n in writes_on_platform} == {"session_wake_snapshots", "sites"}
    assert [n.column for n in writes_on_platform if n.table == "sites"] == ["last_snapshot_at"]


# --- row-level security -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owned", "forced", "bypasses", "applies"),
    [
        (False, False, False, True),
        (True, False, False, False),  # the owner, unless forced
        (True, True, False, True),
        (False, False, True, False),  # superuser or BYPASSRLS, even when forced
        (True, True, True, False),
    ],
)
def test_row_security_applies_as_postgresql_decides(
    owned: bool, forced: bool, bypasses: bool, applies: bool
) -> None:
    table = secured("devices", owned=owned, forced=forced)
    assert row_security_applies(table, bypasses=bypasses) is applies


def test_row_security_without_a_policy_for_the_role_refuses_with_one_line() -> None:
    verdict = judge(Job.SCHEDULE, facts(tables={"device_wake_payloads": secured("x")}))
    assert verdict.refusal == (
        'row-level security on device_wake_payloads hides every row from role "snapwatch"'
        " (no policy for it; grant BYPASSRLS or add a policy)"
    )


def test_row_security_is_no_problem_for_a_role_that_bypasses_it() -> None:
    bypassing = RoleFacts("snapwatch", True, False, None)
    assert judge(Job.SCHEDULE, facts(role=bypassing, tables={"devices": secured("x")})).ok


def test_a_select_policy_that_lets_every_row_through_is_enough_to_read() -> None:
    assert judge(Job.VIEW, facts(tables={"devices": secured("x", policy("r"))})).ok
    assert judge(Job.VIEW, facts(tables={"devices": secured("x", policy("*"))})).ok


def test_a_policy_for_another_command_lets_nothing_through() -> None:
    verdict = judge(Job.VIEW, facts(tables={"devices": secured("x", policy("a", None, "true"))}))
    assert verdict.refusal is not None
    assert verdict.refusal.startswith("row-level security on devices hides every row")


def test_writing_snapshots_under_row_security_needs_insert_and_update_policies() -> None:
    read_only_policy = secured("x", policy("r"))
    verdict = judge(Job.SCHEDULE, facts(tables={"session_wake_snapshots": read_only_policy}))
    assert verdict.hidden == (
        'row-level security on session_wake_snapshots refuses every row role "snapwatch"'
        " inserts (no INSERT policy for it; grant BYPASSRLS or add a policy)",
        'row-level security on session_wake_snapshots lets role "snapwatch" update no row'
        " (no UPDATE policy for it; grant BYPASSRLS or add a policy)",
    )
    assert verdict.refusal is not None and verdict.refusal.endswith("(and 1 more like it)")
    assert judge(Job.VIEW, facts(tables={"session_wake_snapshots": read_only_policy})).ok
    everything = secured("x", policy("*", "true", "true"))
    assert judge(Job.SCHEDULE, facts(tables={"session_wake_snapshots": everything})).ok


def test_the_writer_needs_an_update_policy_on_sites() -> None:
    readable = secured("x", policy("r"))
    verdict = judge(Job.SCHEDULE, facts(tables={"sites": readable}))
    assert verdict.refusal == (
        'row-level security on sites lets role "snapwatch" update no row'
        " (no UPDATE policy for it; grant BYPASSRLS or add a policy)"
    )
    with_update = secured("x", policy("r"), policy("w", "true", "true", name="u"))
    assert judge(Job.SCHEDULE, facts(tables={"sites": with_update})).ok


def test_only_conditional_policies_are_a_warning_naming_them_not_a_refusal() -> None:
    tenant = policy("r", "(company_id = current_setting('app.company')::uuid)", name="tenant")
    verdict = judge(Job.VIEW, facts(tables={"devices": secured("x", tenant)}))
    assert verdict.ok
    assert verdict.warnings == (
        'row-level security on devices limits what role "snapwatch" can see to the rows'
        ' policy "tenant" allows',
    )


def test_a_conditional_restrictive_policy_is_a_warning_beside_an_unconditional_one() -> None:
    strict = policy("r", "(site_id IS NOT NULL)", permissive=False, name="strict")
    verdict = judge(Job.VIEW, facts(tables={"devices": secured("x", policy("r"), strict)}))
    assert verdict.ok
    assert verdict.warnings and '"strict"' in verdict.warnings[0]


def test_only_restrictive_policies_let_nothing_through() -> None:
    strict = policy("r", "true", permissive=False)
    assert not judge(Job.VIEW, facts(tables={"devices": secured("x", strict)})).ok


def test_a_forced_table_hides_rows_from_its_owner_too() -> None:
    forced = secured("x", owned=True, forced=True)
    assert not judge(Job.VIEW, facts(tables={"devices": forced})).ok
    assert judge(Job.VIEW, facts(tables={"devices": secured("x", owned=True)})).ok


# --- a database that accepts no writes ------------------------------------------------------------


def test_a_standby_or_read_only_default_concerns_only_the_jobs_that_write() -> None:
    standby = RoleFacts("snapwatch", False, True, None)
    assert judge(Job.VIEW, facts(role=standby)).read_only is None
    reason = judge(Job.SCHEDULE, facts(role=standby)).read_only
    assert reason is not None and reason.startswith("the database is read-only (standby?)")
    by_default = RoleFacts("snapwatch", False, False, "database")
    assert judge(Job.PAUSE, facts(role=by_default)).read_only == (
        "the database is read-only (standby?): default_transaction_read_only is on"
        " for this database"
    )


# --- names from the database never reach a terminal raw -------------------------------------------


def test_role_and_policy_names_are_quoted_with_control_characters_escaped() -> None:
    evil = RoleFacts("x\x1b[2J\x07", False, False, None)
    tenant = policy("r", "(a = 1)", name="p\x1b]8;;")
    verdict = judge(Job.VIEW, facts(role=evil, tables={"devices": secured("x", tenant)}))
    assert "\x1b" not in verdict.warnings[0] and "\x07" not in verdict.warnings[0]
    assert '"x\\x1b[2J\\x07"' in verdict.warnings[0]
    assert quoted('say "hi"') == '"say \\"hi\\""'
    assert name("postgres") == "postgres"
    assert name("Admin Role") == '"Admin Role"'


# --- the GRANTs come from the same rule -----------------------------------------------------------


def test_the_grants_cover_every_need_of_the_writer_and_nothing_it_does_not_need() -> None:
    statements = grant_statements("snapwatch", WRITER_JOBS)
    text = "\n".join(statements)
    for need in needs_of(WRITER_JOBS):
        if need.table is None:
            assert f'GRANT USAGE ON SCHEMA "{need.schema}" TO "snapwatch";' in statements
            continue
        relation = f'"{need.schema}"."{need.table}"'
        if need.column is None:
            line = next(s for s in statements if f"ON TABLE {relation} " in s and "(" not in s)
        else:
            line = next(s for s in statements if f'("{need.column}") ON TABLE {relation}' in s)
        assert need.right.value in line.split(" ON ")[0], (need, line)
    assert "TRUNCATE" not in text and "ALL" not in text
    assert 'GRANT UPDATE ("last_snapshot_at") ON TABLE "public"."sites" TO "snapwatch";' in text


def test_the_reader_is_granted_select_and_usage_only() -> None:
    for statement in grant_statements("snapwatch_ro", READER_JOBS):
        assert statement.startswith(("GRANT SELECT ON TABLE", "GRANT USAGE ON SCHEMA"))


def test_role_names_in_the_grants_are_quoted_identifiers() -> None:
    statements = grant_statements('ro"; DROP TABLE sites; --', READER_JOBS)
    assert all(s.endswith('TO "ro""; DROP TABLE sites; --";') for s in statements)


def test_policies_are_printed_only_for_tables_with_row_security_and_the_commands_needed() -> None:
    statements = policy_statements("snapwatch", WRITER_JOBS, [("public", "sites")])
    assert statements == [
        'DROP POLICY IF EXISTS "snapwatch_select" ON "public"."sites";',
        'CREATE POLICY "snapwatch_select" ON "public"."sites" FOR SELECT TO "snapwatch"'
        " USING (true);",
        'DROP POLICY IF EXISTS "snapwatch_update" ON "public"."sites";',
        'CREATE POLICY "snapwatch_update" ON "public"."sites" FOR UPDATE TO "snapwatch"'
        " USING (true) WITH CHECK (true);",
    ]


def test_the_owner_script_runs_ordinary_steps_in_one_transaction_and_indexes_after() -> None:
    plan = MigrationPlan(
        [
            Step("add column sites.x", "ALTER TABLE sites ADD COLUMN x int"),
            Step("create index i", "CREATE INDEX CONCURRENTLY i ON sites (x)", True),
        ]
    )
    script = owner_script(plan, writer="snapwatch", reader=None, rls_tables=[])
    begin, commit = script.index("BEGIN;"), script.index("COMMIT;")
    assert begin < script.index("ALTER TABLE sites ADD COLUMN x int;") < commit
    assert commit < script.index("CREATE INDEX CONCURRENTLY i ON sites (x);")
    assert script.index("CREATE INDEX CONCURRENTLY") < script.index("GRANT ")


# --- migrate as a non-owner -----------------------------------------------------------------------


def test_a_plan_the_role_cannot_run_is_refused_naming_the_first_step_and_its_owner() -> None:
    owner = Requirement("owner", "table", "public.site_device_sessions")
    create = Requirement("CREATE", "database")
    plan = MigrationPlan(
        [
            Step("create schema snapwatch", "CREATE SCHEMA snapwatch", requires=create),
            Step("snapwatch schema version 1: tables", "CREATE TABLE snapwatch.t ()"),
            Step("create index i on site_device_sessions (site_id)", "", True, owner),
        ]
    )
    held = {
        create: Held(create, True, "postgres", "platform"),
        owner: Held(owner, False, "postgres", "platform"),
    }
    assert refusal(plan, held) == (
        "migrate needs the owner of site_device_sessions (postgres) for: create index i on"
        " site_device_sessions (site_id); run it as postgres, or have postgres run the SQL"
        " printed by snapwatch migrate --print-owner-sql"
    )
    held[owner] = Held(owner, True, "postgres", "platform")
    assert refusal(plan, held) is None


def test_a_missing_create_right_names_the_database_and_its_owner() -> None:
    create = Requirement("CREATE", "database")
    plan = MigrationPlan([Step("create schema snapwatch", "", requires=create)])
    line = refusal(plan, {create: Held(create, False, "postgres", "platform")})
    assert line is not None
    assert line.startswith(
        "migrate needs CREATE on database platform (owner postgres) for: create schema snapwatch;"
    )


# --- what the database says about rights and state -----------------------------------------------


def test_other_database_errors_are_left_to_the_caller() -> None:
    import psycopg

    assert from_database(psycopg.errors.UniqueViolation("duplicate key")) is None


def test_what_the_database_says_reaches_the_terminal_with_control_characters_escaped() -> None:
    import psycopg

    class Violation(psycopg.errors.InsufficientPrivilege):
        def __str__(self) -> str:
            return 'new row violates row-level security policy "p\x1b[2J" for table "t"'

    refused = from_database(Violation())
    assert refused is not None and "\x1b" not in str(refused) and "\\x1b[2J" in str(refused)
    assert str(refused).endswith("(grant the role BYPASSRLS or add a policy for it)")
