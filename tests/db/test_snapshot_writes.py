"""Writing documents on a real database: batches of sites, one statement per site, the
bounded image list, and a regular row never replaced by a stale provisional mark."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jsonschema
import psycopg
import support.sites
from support.overview_rows import Rows

from snapwatch.infra.config import Settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import TickReport
from snapwatch.snapshot.schema import shipped_schema

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def with_scheduler(cfg: Settings, **changes: Any) -> Settings:
    return cfg.model_copy(update={"scheduler": cfg.scheduler.model_copy(update=changes)})


async def tick(cfg: Settings, now: datetime, **kw: Any) -> TickReport:
    conn = await connect(resolve_target(cfg), cfg)
    try:
        return await run_tick(conn, cfg, now, **kw)
    finally:
        await conn.close()


make_site = functools.partial(support.sites.make_site, day=DAY)


def documents(rows: Rows, site: UUID) -> list[tuple[int, Any, int]]:
    return rows.conn.execute(
        "SELECT wake_number, site_state, new_images_this_round FROM session_wake_snapshots"
        " WHERE site_id = %s ORDER BY wake_number",
        (site,),
    ).fetchall()


async def test_sites_are_written_in_batches_each_exactly_once(cfg: Settings, rows: Rows) -> None:
    sites = [make_site(rows, f"Site {n}") for n in range(5)]
    for site in sites:
        rows.device(site)
    report = await tick(with_scheduler(cfg, batch_sites=2), DAY + 3 * H + timedelta(minutes=3))
    assert report.count("written") == 5
    assert [len(o.written) for o in report.outcomes] == [3] * 5
    for site in sites:
        assert [wake for wake, _, _ in documents(rows, site)] == [1, 2, 3]


async def test_a_failing_site_inside_a_batch_leaves_its_neighbours_written(
    cfg: Settings, rows: Rows
) -> None:
    sites = [make_site(rows, name) for name in ("A", "B", "C")]
    for site in sites:
        rows.device(site)
    bad = sites[1]
    rows.conn.execute("UPDATE sites SET company_id = NULL WHERE site_id = %s", (bad,))
    rows.conn.execute(
        "UPDATE pilot_programs SET company_id = NULL WHERE program_id ="
        " (SELECT program_id FROM sites WHERE site_id = %s)",
        (bad,),
    )
    report = await tick(with_scheduler(cfg, batch_sites=3), DAY + 1 * H + timedelta(minutes=3))
    outcomes = {o.site_id: o for o in report.outcomes}
    assert [outcomes[s].outcome for s in sites] == ["written", "failed", "written"]
    assert documents(rows, bad) == []


async def test_images_of_a_long_round_are_bounded_and_counted(cfg: Settings, rows: Rows) -> None:
    site = make_site(rows, "Daily", cadence=24)
    device = rows.device(site, x_position=5, y_position=5)
    for hour in range(20):
        rows.image(device, DAY + hour * H + timedelta(minutes=2), 0.1 + hour / 100)
    await tick(cfg, DAY + 24 * H + timedelta(minutes=3))
    [(_, doc, images)] = documents(rows, site)
    jsonschema.validate(doc, shipped_schema())
    [d] = doc["devices"]
    listed = [i["captured_at"] for i in d["images_this_round"]]
    assert len(listed) == cfg.snapshot.images_per_device_max == 12
    assert listed == sorted(listed) and listed[-1].startswith("2026-06-10T19:02")
    assert d["images_omitted"] == 8
    assert images == doc["session_metrics"]["new_images_this_round"] == 20


async def test_a_regular_row_is_never_replaced_even_when_marked_provisional(
    cfg: Settings, rows: Rows
) -> None:
    """The replacement rule also reads the conflicting row itself: a provisional mark that
    a single statement still sees (its snapshot predates another process's commit) does
    not make a regular document replaceable."""
    site = make_site(rows, "Marked")
    rows.device(site)
    await tick(cfg, DAY + 2 * H + timedelta(minutes=3))  # wakes 1 and 2, regular
    [(_, first, _), (_, second, _)] = documents(rows, site)
    session = rows.conn.execute(
        "SELECT session_id FROM session_wake_snapshots WHERE site_id = %s AND wake_number = 2",
        (site,),
    ).fetchone()
    assert session is not None
    rows.conn.execute(
        "INSERT INTO snapwatch.provisional_snapshots (session_id, wake_number) VALUES (%s, 2)",
        (session[0],),
    )
    rows.conn.execute("UPDATE sites SET last_snapshot_at = NULL WHERE site_id = %s", (site,))
    report = await tick(cfg, DAY + 2 * H + timedelta(minutes=30))
    [outcome] = report.outcomes
    assert outcome.written == [] and outcome.reason == "wake 2 already has a snapshot"
    assert [doc for _, doc, _ in documents(rows, site)] == [first, second]


async def test_each_site_is_one_statement_and_its_own_transaction(
    cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    """While one site's row is locked by another session, the others are written and
    committed; the locked one is left to its holder (busy), never half-written."""
    sites = [make_site(rows, name) for name in ("One", "Two")]
    for site in sites:
        rows.device(site)
    with psycopg.connect(migrated_dsn) as holder:
        holder.execute("SELECT 1 FROM sites WHERE site_id = %s FOR UPDATE", (sites[0],))
        report = await tick(cfg, DAY + 1 * H + timedelta(minutes=3))
        outcomes = {o.site_id: o for o in report.outcomes}
        assert outcomes[sites[0]].reason == "busy: another process is writing this site"
        assert outcomes[sites[1]].outcome == "written"
        with psycopg.connect(migrated_dsn) as other:  # committed, visible elsewhere
            (count,) = other.execute(
                "SELECT count(*) FROM session_wake_snapshots WHERE site_id = %s", (sites[1],)
            ).fetchone() or (0,)
        assert count == 1
        holder.rollback()
    assert documents(rows, sites[0]) == []


async def test_a_write_commits_without_waiting_for_the_wal_flush_unless_durable(
    cfg: Settings, rows: Rows
) -> None:
    """The setting is the write transaction's own: the session (and so a transaction
    pooler's next client) keeps the server's value."""
    site = make_site(rows, "Flush")
    rows.device(site)
    seen: dict[bool, tuple[str, str]] = {}
    for durable in (False, True):
        conn = await connect(resolve_target(cfg), cfg)
        try:
            async with conn.transaction(force_rollback=True):  # to look inside the write
                report = await run_tick(
                    conn, with_scheduler(cfg, durable_commit=durable), DAY + 1 * H + 3 * MINUTE
                )
                assert report.count("written") == 1
                inside = await (await conn.execute("SHOW synchronous_commit")).fetchone()
            after = await (await conn.execute("SHOW synchronous_commit")).fetchone()
        finally:
            await conn.close()
        assert inside is not None and after is not None
        seen[durable] = (inside["synchronous_commit"], after["synchronous_commit"])
    assert seen == {False: ("off", "on"), True: ("on", "on")}


async def test_last_snapshot_at_only_moves_forward_and_is_not_rewritten_when_it_would_not(
    cfg: Settings, rows: Rows
) -> None:
    """The platform's triggers on ``sites`` write an audit row for every update: an update
    that would not move ``last_snapshot_at`` forward is not made at all."""
    rows.conn.execute(
        """
        CREATE TABLE site_audit (site_id uuid, old_at timestamptz, new_at timestamptz);
        CREATE FUNCTION audit_site() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO site_audit VALUES (NEW.site_id, OLD.last_snapshot_at,
                                           NEW.last_snapshot_at);
            RETURN NEW;
        END $$;
        CREATE TRIGGER audit_site AFTER UPDATE ON sites FOR EACH ROW EXECUTE FUNCTION audit_site();
        """
    )
    site = make_site(rows, "Audited")
    rows.device(site)
    written_at = DAY + 2 * H + timedelta(minutes=3)
    await tick(cfg, written_at)
    assert rows.conn.execute("SELECT new_at FROM site_audit").fetchall() == [(written_at,)]
    # Another process, whose "now" is behind, writes a slot the first one left: the
    # snapshot is written, last_snapshot_at stays, and the platform sees no update.
    rows.conn.execute(
        "DELETE FROM session_wake_snapshots WHERE site_id = %s AND wake_number = 2", (site,)
    )
    behind = written_at - timedelta(seconds=30)
    report = await tick(cfg, behind)
    assert [w.wake_number for w in report.outcomes[0].written] == [2]
    last = rows.conn.execute(
        "SELECT last_snapshot_at FROM sites WHERE site_id = %s", (site,)
    ).fetchone()
    assert last == (written_at,)
    assert rows.conn.execute("SELECT count(*) FROM site_audit").fetchone() == (1,)
    # Later writes move it forward again.
    later = DAY + 3 * H + timedelta(minutes=3)
    await tick(cfg, later)
    assert rows.conn.execute("SELECT new_at FROM site_audit ORDER BY new_at").fetchall() == [
        (written_at,),
        (later,),
    ]
