"""A small run history written by the real scheduler tick: three sites (one written, one
that fails to write because its platform row lacks a company, one without devices), two
ticks by two registered instances, recorded as the scheduler records them. Wall-clock
stamps are fixed so that what the history shows is the same every time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from psycopg import AsyncConnection

from snapwatch.infra.config import Settings
from snapwatch.schedule.instances import Identity, register
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick
from support.overview_rows import Rows

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
FIRST = DAY + 2 * H + 3 * M
"""The first tick's as-of: Alpha's slots 1 and 2 are due (one catch-up, one on time)."""
SECOND = DAY + 3 * H + 3 * M
"""The second tick's: Alpha's slot 3."""
STARTED = datetime(2026, 6, 11, 9, 0, 0, tzinfo=UTC)
"""The first tick's wall-clock start; the second starts a minute later. Each takes 1.5 s."""
TOOK = timedelta(seconds=1.5)


@dataclass(frozen=True)
class RunFleet:
    alpha: UUID
    broken: UUID
    empty: UUID
    first: UUID
    second: UUID
    host_a: UUID
    host_b: UUID


def make_site(rows: Rows, name: str, *, devices: int = 1) -> UUID:
    """An hourly site (its id made of its name, the same every run) with a session today."""
    program = rows.program(rows.company(f"Co {name}"), f"Program {name}")
    site = rows.site(
        program, name, site_id=uuid5(NAMESPACE_URL, name), snapshot_cadence_hours=1, timezone="UTC"
    )
    for _ in range(devices):
        rows.device(site)
    rows.session(site, DAY, DAY + 24 * H, "in_progress")
    return site


def break_site(rows: Rows, site: UUID) -> None:
    """Its site and program rows lose their company: every write of it fails (NOT NULL)."""
    rows.conn.execute("UPDATE sites SET company_id = NULL WHERE site_id = %s", (site,))
    rows.conn.execute(
        "UPDATE pilot_programs SET company_id = NULL WHERE program_id ="
        " (SELECT program_id FROM sites WHERE site_id = %s)",
        (site,),
    )


REFUSED = "the platform refused this snapshot"
REFUSED_DETAIL = "site closed for an audit"


def refuse_writes(rows: Rows, site: UUID) -> None:
    """A platform trigger refuses every snapshot of ``site``, with a fixed message and
    detail (an error text that is the same every run, for SVG snapshots)."""
    rows.conn.execute(
        f"""
        CREATE FUNCTION refuse_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.site_id = '{site}'::uuid THEN
                RAISE EXCEPTION '{REFUSED}' USING DETAIL = '{REFUSED_DETAIL}';
            END IF;
            RETURN NEW;
        END $$"""
    )
    rows.conn.execute(
        "CREATE TRIGGER refuse_snapshot BEFORE INSERT ON session_wake_snapshots"
        " FOR EACH ROW EXECUTE FUNCTION refuse_snapshot()"
    )


async def tick(
    conn: AsyncConnection[dict[str, Any]],
    cfg: Settings,
    as_of: datetime,
    instance: UUID | None,
    started: datetime,
) -> UUID:
    """One real tick as of ``as_of``, recorded with wall-clock stamps ``started`` and
    ``started + TOOK``."""
    report = await run_tick(conn, cfg, as_of)
    report = dataclasses.replace(report, started_at=started, finished_at=started + TOOK)
    return await record_run(conn, report, instance)


async def build_runs(
    rows: Rows,
    conn: AsyncConnection[dict[str, Any]],
    cfg: Settings,
    broken: str = "Broken",
    fail: Callable[[Rows, UUID], None] = break_site,
) -> RunFleet:
    """The three sites (the failing one named ``broken``, made to fail by ``fail``) and
    the two ticks."""
    alpha = make_site(rows, "Alpha")
    failing = make_site(rows, broken)
    fail(rows, failing)
    empty = make_site(rows, "Empty", devices=0)
    host_a = await register(
        conn, "daemon", clock="system", tick_seconds=60, identity=Identity("host-a", 101, "ops")
    )
    host_b = await register(
        conn, "tui", clock="system", tick_seconds=60, identity=Identity("host-b", 202, "ops")
    )
    first = await tick(conn, cfg, FIRST, host_a, STARTED)
    second = await tick(conn, cfg, SECOND, host_b, STARTED + M)
    return RunFleet(alpha, failing, empty, first, second, host_a, host_b)
