"""The terminal app and the role it connects as (design/platform.md "Who is connecting"):
a SELECT-only role watches with ``--read-only``; a role that may not run the scheduler,
or that row-level security hides rows from, is the role check's line in the banner,
never empty panes or a silent scheduler; a conditional policy is a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.app import main_of, make_app, make_settings, wait_for
from support.overview_rows import Rows
from support.role_setup import due_fleet, enable_row_security, grant_reader, grant_writer, policy
from support.roles import MakeRole
from textual.pilot import Pilot

from snapwatch.infra.migrations.platform import PLATFORM_TABLES


@pytest.fixture
def fleet(migrated_dsn: str, isolated_env: Path, rows: Rows) -> str:
    due_fleet(rows)
    return migrated_dsn


def banner(pilot: Pilot[Any]) -> str:
    main = main_of(pilot)
    return str(main.banner.content) if main.banner.display else ""


async def test_a_select_only_role_watches_with_read_only(fleet: str, make_role: MakeRole) -> None:
    reader = make_role(fleet)
    grant_reader(fleet, reader.name)
    app = make_app(reader.dsn, settings=make_settings(reader.dsn, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        main = main_of(pilot)
        await wait_for(pilot, lambda: main.sites_pane.table.row_count == 2)
        await wait_for(pilot, lambda: main.health_pane.health is not None)
        assert banner(pilot) == ""
        assert app.sub_title == "watching only (read-only)"
        assert not main.health_pane.access.display  # nothing to warn about


async def test_a_select_only_role_with_the_scheduler_says_why_it_writes_nothing(
    fleet: str, make_role: MakeRole
) -> None:
    reader = make_role(fleet)
    grant_reader(fleet, reader.name)
    app = make_app(reader.dsn, scheduler=True)
    async with app.run_test(size=(120, 40)) as pilot:
        main = main_of(pilot)
        await wait_for(pilot, lambda: "cannot run the scheduler" in banner(pilot))
        assert banner(pilot).startswith(
            f'the scheduler writes nothing: role "{reader.name}" cannot run the scheduler:'
            " no INSERT, UPDATE on session_wake_snapshots"
        )
        await wait_for(pilot, lambda: main.sites_pane.table.row_count == 2)  # it still reads
        await app.shut_down()


async def test_row_security_that_hides_rows_is_the_banner_not_empty_panes(
    fleet: str, make_role: MakeRole
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    enable_row_security(fleet)
    app = make_app(writer.dsn, settings=make_settings(writer.dsn, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "row-level security" in banner(pilot))
        assert banner(pilot).startswith(
            f'row-level security on companies hides every row from role "{writer.name}"'
        )
        assert main_of(pilot).sites_pane.table.row_count == 0


async def test_a_conditional_policy_is_a_warning_in_job_health(
    fleet: str, make_role: MakeRole
) -> None:
    writer = make_role(fleet)
    grant_writer(fleet, writer.name)
    enable_row_security(fleet)
    for table in PLATFORM_TABLES:
        condition = "is_active" if table == "devices" else "true"
        policy(fleet, table, "reads", "SELECT", writer.name, condition)
    app = make_app(writer.dsn, settings=make_settings(writer.dsn, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        main = main_of(pilot)
        await wait_for(pilot, lambda: main.health_pane.access.display)
        text = str(main.health_pane.access.content)
        assert (
            f'warning: row-level security on devices limits what role "{writer.name}" can see'
            ' to the rows policy "reads" allows'
        ) in text
        assert "row-level security warning (see Job health)" in main.status.text
        await wait_for(pilot, lambda: main.sites_pane.table.row_count == 2)
        assert banner(pilot) == ""
