"""Force, pause and resume through the core API (cadence.md "Force" and "Pause")."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import support.sites
from psycopg import AsyncConnection
from support.overview_rows import Rows

from snapwatch.infra.config import Settings
from snapwatch.infra.errors import ConfigError
from snapwatch.schedule.actions import (
    ActionRefused,
    force,
    pause,
    resume,
)
from snapwatch.schedule.instances import Identity
from snapwatch.schedule.pauses import active_pauses
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import TickReport
from snapwatch.text.durations import DurationError, format_duration, parse_duration

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


make_site = functools.partial(support.sites.make_site, day=DAY, devices=1)


def snapshots(rows: Rows, site: UUID) -> list[tuple[Any, ...]]:
    return rows.conn.execute(
        "SELECT w.session_id, w.wake_number, w.wake_round_end,"
        "       p.session_id IS NOT NULL AS provisional"
        "  FROM session_wake_snapshots w"
        "  LEFT JOIN snapwatch.provisional_snapshots p"
        "         ON p.session_id = w.session_id AND p.wake_number = w.wake_number"
        " WHERE w.site_id = %s ORDER BY w.wake_number",
        (site,),
    ).fetchall()


def site_outcome(report: TickReport, site: UUID) -> Any:
    return next(o for o in report.outcomes if o.site_id == site)


# --- force -----------------------------------------------------------------------------------


async def test_force_writes_a_provisional_row_the_completed_slot_replaces_in_place(
    conn: Any, cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows, "Pier 4")
    await run_tick(conn, cfg, DAY + 4 * H + 3 * M)  # wakes 1-4
    at = DAY + 4 * H + 20 * M
    result = await force(conn, cfg, at, site=site)
    assert result.ok
    [item] = result.written
    assert (item.wake_number, item.window_start, item.window_end) == (5, DAY + 4 * H, at)
    *_, (session, wake, end, provisional) = snapshots(rows, site)
    assert (wake, end, provisional) == (5, at, True)
    recorded = rows.conn.execute(
        "SELECT r.status, s.trigger, s.snapshot_id FROM snapwatch.run_sites s"
        " JOIN snapwatch.runs r USING (run_id) WHERE s.site_id = %s",
        (site,),
    ).fetchall()
    assert recorded == [("ok", "force", item.snapshot_id)]  # in run history

    report = await run_tick(conn, cfg, DAY + 5 * H + 3 * M)  # the slot has completed
    assert [w.wake_number for w in site_outcome(report, site).written] == [5]
    assert len(snapshots(rows, site)) == 5
    *_, (session_after, wake_after, end_after, provisional_after) = snapshots(rows, site)
    assert (session_after, wake_after) == (session, wake)
    assert (end_after, provisional_after) == (DAY + 5 * H, False)
    assert rows.conn.execute("SELECT count(*) FROM snapwatch.provisional_snapshots").fetchone() == (
        0,
    )


async def test_force_all_forces_only_eligible_sites_and_names_the_others(
    conn: Any, cfg: Settings, rows: Rows
) -> None:
    a = make_site(rows, "A")
    b = make_site(rows, "B")
    empty = make_site(rows, "Empty", devices=0)
    closed = make_site(rows, "Closed", day=None)
    result = await force(conn, cfg, DAY + 4 * H + 20 * M, site=None)
    assert {i.site_id for i in result.written} == {a, b}
    reasons = {i.site_id: i.reason for i in result.items if i.outcome == "skipped"}
    assert reasons == {empty: "no_devices", closed: "no_open_session"}
    assert result.ok  # sites that are not eligible are not a failure of "force all"
    assert snapshots(rows, empty) == [] and snapshots(rows, closed) == []


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"day": None}, "no session"),
        ({"devices": 0}, "no devices"),
        ({"cadence": None}, "no cadence"),
    ],
)
async def test_force_of_a_site_that_is_not_eligible_is_refused_with_the_reason(
    conn: Any, cfg: Settings, rows: Rows, kw: dict[str, Any], words: str
) -> None:
    site = make_site(rows, "Pier 4", **kw)
    with pytest.raises(ActionRefused) as caught:
        await force(conn, cfg, DAY + 4 * H + 20 * M, site=site)
    assert str(caught.value) == f"cannot force 'Pier 4': {words}"
    assert caught.value.exit_code == 1
    assert snapshots(rows, site) == []
    assert rows.conn.execute("SELECT count(*) FROM snapwatch.runs").fetchone() == (0,)


async def test_force_of_a_paused_site_is_refused(conn: Any, cfg: Settings, rows: Rows) -> None:
    site = make_site(rows, "Pier 4")
    await pause(conn, DAY + 4 * H, site=site, reason=None, until=None, who="ops@h")
    with pytest.raises(ActionRefused, match="cannot force 'Pier 4': paused"):
        await force(conn, cfg, DAY + 4 * H + 20 * M, site=site)


async def test_force_exactly_on_a_slot_boundary_is_not_ok(
    conn: Any, cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows, "Pier 4")
    result = await force(conn, cfg, DAY + 4 * H, site=site)
    assert not result.ok and not result.written
    assert result.items[0].reason == "slot boundary: nothing to force yet"


# --- pause and resume ------------------------------------------------------------------------


async def test_pause_with_expiry_writes_nothing_then_writes_again_after_it(
    conn: Any, cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows, "Pier 4")
    other = make_site(rows, "Dock 2")
    record = await pause(
        conn, DAY + 30 * M, site=site, reason="maintenance", until=DAY + 3 * H + 30 * M
    )
    assert record.created and record.paused_by == Identity.current().who  # user@host
    assert "@" in record.paused_by
    assert (record.site_id, record.site_name, record.reason) == (site, "Pier 4", "maintenance")
    during = await run_tick(conn, cfg, DAY + 2 * H + 3 * M)
    assert site_outcome(during, site).reason == "paused"
    assert site_outcome(during, other).outcome == "written"
    assert snapshots(rows, site) == []
    after = await run_tick(conn, cfg, DAY + 4 * H + 3 * M)
    # Slots that ended during the pause are never caught up: 04:00 is the first.
    assert [w.wake_number for w in site_outcome(after, site).written] == [4]


async def test_global_pause_then_resume(conn: Any, cfg: Settings, rows: Rows) -> None:
    site = make_site(rows, "Pier 4")
    record = await pause(conn, DAY, site=None, reason=None, until=None, who="ops@h")
    assert record.site_id is None and record.scope == "all sites"
    paused = await run_tick(conn, cfg, DAY + 2 * H + 3 * M)
    assert site_outcome(paused, site).reason == "paused"
    assert await resume(conn, DAY + 2 * H + 30 * M, site=None, who="lead@h") == 1
    row = rows.conn.execute("SELECT resumed_at, resumed_by FROM snapwatch.pauses").fetchone()
    assert row == (DAY + 2 * H + 30 * M, "lead@h")
    resumed = await run_tick(conn, cfg, DAY + 3 * H + 3 * M)
    assert [w.wake_number for w in site_outcome(resumed, site).written] == [3]


async def test_resume_of_something_not_paused_ends_nothing(conn: Any, rows: Rows) -> None:
    site = make_site(rows, "Pier 4")
    await pause(conn, DAY, site=None, reason=None, until=None, who="ops@h")
    assert await resume(conn, DAY + H, site=site) == 0  # the site itself is not paused
    assert len(await active_pauses(conn, DAY + H)) == 1


async def test_pausing_a_paused_scope_changes_its_reason_and_expiry_when_given(
    conn: Any, rows: Rows
) -> None:
    site = make_site(rows, "Pier 4")
    first = await pause(conn, DAY, site=site, reason="first", until=DAY + 5 * H, who="a@h")
    kept = await pause(conn, DAY + H, site=site, reason=None, until=None, who="b@h")
    assert not kept.created and not kept.changed and kept == first
    again = await pause(conn, DAY + H, site=site, reason="second", until=None, who="b@h")
    assert not again.created and again.changed
    assert (again.pause_id, again.reason, again.paused_by) == (first.pause_id, "second", "a@h")
    assert (again.expires_at, again.changed_by) == (DAY + 5 * H, "b@h")
    longer = await pause(conn, DAY + 2 * H, site=site, reason=None, until=DAY + 9 * H, who="c@h")
    assert (longer.reason, longer.expires_at, longer.changed_by) == ("second", DAY + 9 * H, "c@h")
    assert longer.note(DAY + 2 * H) == 'paused by a@h: "second", 7h left, changed by c@h'
    assert rows.conn.execute("SELECT count(*) FROM snapwatch.pauses").fetchone() == (1,)
    # A global pause is another scope.
    assert (await pause(conn, DAY + H, site=None, reason=None, until=None, who="b@h")).created


async def test_active_pauses_say_who_when_why_until_and_scope(conn: Any, rows: Rows) -> None:
    site = make_site(rows, "Pier 4")
    await pause(conn, DAY, site=site, reason="cleaning", until=DAY + 2 * H, who="a@h")
    await pause(conn, DAY + H, site=None, reason=None, until=None, who="b@h")
    [mine, everyone] = await active_pauses(conn, DAY + 90 * M)
    assert (mine.scope, mine.paused_by, mine.paused_at) == ("'Pier 4'", "a@h", DAY)
    assert mine.note(DAY + 90 * M) == 'paused by a@h: "cleaning", 30m left'
    assert (everyone.scope, everyone.expires_at) == ("all sites", None)
    assert [p.scope for p in await active_pauses(conn, DAY + 3 * H)] == ["all sites"]
    assert await active_pauses(conn, DAY - H) == []  # not yet


async def test_a_pause_must_end_after_it_starts(conn: Any, rows: Rows) -> None:
    with pytest.raises(ConfigError, match="must end after"):
        await pause(conn, DAY, site=None, reason=None, until=DAY, who="a@h")


# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2h", 7200), ("90m", 5400), ("1h30m", 5400), ("45s", 45), ("1d", 86400), (" 1D2H ", 93600)],
)
def test_parse_duration_accepts_the_documented_forms(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "2", "h", "1.5h", "30m1h", "1h1h", "-5m", "0m", "2 hours"])
def test_parse_duration_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)
    if text != "0m":
        assert "1h30m" in str(caught.value)


def test_a_duration_is_at_most_366_days() -> None:
    assert parse_duration("366d") == timedelta(days=366)
    with pytest.raises(DurationError, match="at most 366d"):
        parse_duration("366d1s")


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"])
async def test_an_empty_or_blank_reason_is_stored_as_none(
    conn: AsyncConnection[dict[str, Any]], reason: str
) -> None:
    record = await pause(conn, DAY, site=None, reason=reason, until=None, who="a@h")
    assert record.reason is None
    stored = await (await conn.execute("SELECT reason FROM snapwatch.pauses")).fetchone()
    assert stored == {"reason": None}


def test_format_duration_reads_the_two_largest_units() -> None:
    assert [format_duration(s) for s in (0, 45, 300, 5400, 3600, 93784, -90)] == [
        "0s",
        "45s",
        "5m",
        "1h 30m",
        "1h",
        "1d 2h",
        "1m 30s",
    ]
