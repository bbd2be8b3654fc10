"""Two sessions of one site open at once, on a real database: one rule chooses which one
gets each slot, no window of the site is written twice (not even by a process whose view
of the sessions is out of date), and the other session is named by ``status``, the
site's health, the Sites pane and every document."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
import support.sites
from psycopg import AsyncConnection
from support.overview_rows import Rows

from snapwatch.commands.status_json import status_json
from snapwatch.commands.status_text import render_status
from snapwatch.infra.config import Settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.readmodels.sites import fetch_site_overview
from snapwatch.readmodels.status import read_status
from snapwatch.schedule import tick as tick_module
from snapwatch.schedule.health import SiteState
from snapwatch.schedule.judging import read_site_health
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.sitestate import load_sites
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import TickReport
from snapwatch.tui.panes.sites_model import detail_line, reason_text

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
# Of two sessions that start together the larger id gets the slots.
OTHER = UUID("10000000-0000-4000-8000-000000000000")
CHOSEN = UUID("f0000000-0000-4000-8000-000000000000")

Conn = AsyncConnection[dict[str, Any]]


@pytest.fixture
async def db(cfg: Settings) -> AsyncIterator[Conn]:
    c = await connect(resolve_target(cfg), cfg)
    yield c
    await c.close()


async def tick(db: Conn, cfg: Settings, now: datetime, **kw: Any) -> TickReport:
    report = await run_tick(db, cfg, now, **kw)
    await record_run(db, report, None)
    return report


make_site = functools.partial(support.sites.make_site, day=None, devices=1, device_at=(1, 1))


def twin_sessions(rows: Rows, site: UUID, start: datetime = DAY) -> None:
    """The day's session and a re-created one over the same hours, dated a day later."""
    end = start + 24 * H
    rows.session(site, start, end, "in_progress", session_id=OTHER)
    rows.session(
        site,
        start,
        end,
        "pending",
        session_id=CHOSEN,
        session_date=start.date() + timedelta(days=1),
    )


def snapshots(rows: Rows, site: UUID) -> list[dict[str, Any]]:
    cur = rows.conn.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute(
        "SELECT w.*, p.session_id IS NOT NULL AS provisional"
        "  FROM session_wake_snapshots w"
        "  LEFT JOIN snapwatch.provisional_snapshots p USING (session_id, wake_number)"
        " WHERE w.site_id = %s ORDER BY w.wake_round_start",
        (site,),
    ).fetchall()


def assert_no_window_twice(rows: list[dict[str, Any]]) -> None:
    for before, after in itertools.pairwise(rows):
        assert before["wake_round_end"] <= after["wake_round_start"], (before, after)


def overlap_entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for q in document["data_quality"] if q["problem"] == "overlapping_sessions"]


async def test_two_overlapping_sessions_ticked_through_a_day_write_every_window_once(
    cfg: Settings, rows: Rows, db: Conn
) -> None:
    site = make_site(rows, "Twins", cadence=1)
    twin_sessions(rows, site)
    await tick(db, cfg, DAY + 3 * H + 3 * M)  # first run: wakes 1-3 as catch-up
    await tick(db, cfg, DAY + 5 * H + 3 * M)
    forced = await tick(db, cfg, DAY + 5 * H + 30 * M, force=True)
    assert [(w.wake_number, w.end) for w in forced.outcomes[0].written] == [(6, DAY + 5.5 * H)]
    await tick(db, cfg, DAY + 9 * H + 3 * M)  # after downtime: 6 (replacing the forced), 7-9
    await tick(db, cfg, DAY + 9 * H + 30 * M)
    await tick(db, cfg, DAY + 24 * H + 3 * M)  # after midnight: the rest, up to the last

    written = snapshots(rows, site)
    assert_no_window_twice(written)
    assert [(w["session_id"], w["wake_number"], w["provisional"]) for w in written] == [
        (CHOSEN, k, False) for k in range(1, 25)
    ]
    assert [(w["wake_round_start"], w["wake_round_end"]) for w in written] == [
        (DAY + k * H, DAY + (k + 1) * H) for k in range(24)
    ]
    for w in written:
        assert overlap_entries(w["site_state"]) == [
            {
                "device_id": None,
                "field": "session_id",
                "value": str(OTHER),
                "problem": "overlapping_sessions",
            }
        ]


async def test_status_health_and_the_sites_pane_name_the_other_open_session(
    cfg: Settings, rows: Rows, db: Conn
) -> None:
    site = make_site(rows, "Twins", cadence=1)
    twin_sessions(rows, site)
    now = DAY + 9 * H + 30 * M
    await tick(db, cfg, now)

    (health,) = await read_site_health(db, now, cfg)
    assert health.state is SiteState.ON_TIME  # the state does not change
    assert health.overlapping_sessions == (OTHER,)
    assert health.session_note == (
        f"overlapping session {OTHER} (2026-06-10) gets no slots;"
        f" session {CHOSEN} (2026-06-11) gets them"
    )

    report = await read_status(db, now, cfg, database="test db")
    text = render_status(report)
    row = next(n for n, line in enumerate(text.splitlines()) if line.startswith("Twins"))
    below = " ".join(line.strip() for line in text.splitlines()[row + 1 : row + 3])
    assert below == health.session_note
    (site_json,) = json.loads(json.dumps(status_json(report)))["sites"]
    assert site_json["overlapping_sessions"] == [str(OTHER)]
    assert site_json["session_note"] == health.session_note

    (overview,) = await fetch_site_overview(db, now, cfg)
    assert reason_text(overview) == health.session_note
    assert str(OTHER) in detail_line(overview) and str(CHOSEN) in detail_line(overview)


async def test_the_previous_session_still_gets_its_last_slot_after_midnight(
    cfg: Settings, rows: Rows, db: Conn
) -> None:
    site = make_site(rows, "Daily", cadence=24)
    rows.session(site, DAY - 24 * H, DAY, "in_progress", session_date=date(2026, 6, 8))
    twin_sessions(rows, site)
    now = DAY + 3 * M  # yesterday's only slot became due at 00:02

    report = await tick(db, cfg, now)

    (written,) = snapshots(rows, site)
    assert (written["wake_round_start"], written["wake_round_end"]) == (DAY - 24 * H, DAY)
    assert written["wake_number"] == 1 and report.outcomes[0].outcome == "written"
    assert overlap_entries(written["site_state"]) == []  # yesterday overlapped nothing
    (view,) = await load_sites(db, now)
    assert view.open_session is not None and view.open_session.facts.session_id == CHOSEN
    assert [s.facts.session_id for s in view.other_open_sessions] == [OTHER]


async def test_a_session_starting_inside_another_takes_the_rest_of_the_day(
    cfg: Settings, rows: Rows, db: Conn
) -> None:
    site = make_site(rows, "Midday", cadence=1)
    first = rows.session(site, DAY, DAY + 24 * H, "in_progress")
    later = rows.session(
        site, DAY + 10.5 * H, DAY + 34.5 * H, "pending", session_date=date(2026, 6, 11)
    )
    await tick(db, cfg, DAY + 9 * H + 3 * M)
    await tick(db, cfg, DAY + 13 * H + 3 * M)

    written = snapshots(rows, site)
    assert_no_window_twice(written)
    assert [(w["session_id"], w["wake_round_start"], w["wake_round_end"]) for w in written] == [
        *[(first, DAY + k * H, DAY + (k + 1) * H) for k in range(10)],
        (first, DAY + 10 * H, DAY + 10.5 * H),
        (later, DAY + 10.5 * H, DAY + 11.5 * H),
        (later, DAY + 11.5 * H, DAY + 12.5 * H),
    ]
    names = {w["session_id"]: overlap_entries(w["site_state"]) for w in written}
    assert [q["value"] for q in names[first]] == [str(later)]
    assert [q["value"] for q in names[later]] == [str(first)]


async def test_a_process_with_an_older_view_cannot_write_a_window_again(
    cfg: Settings, rows: Rows, db: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(rows, "Stale", cadence=1)
    rows.session(site, DAY, DAY + 24 * H, "in_progress", session_id=OTHER)
    now = DAY + 3 * H + 3 * M
    stale = await load_sites(db, now)  # read before the second session exists
    rows.session(
        site, DAY, DAY + 24 * H, "pending", session_id=CHOSEN, session_date=date(2026, 6, 11)
    )
    await tick(db, cfg, now)  # a process that sees both: the chosen one's wakes 1-3

    async def older_view(*_: Any, **__: Any) -> Any:
        return stale

    monkeypatch.setattr(tick_module, "load_sites", older_view)
    report = await tick(db, cfg, now)  # plans the other session's wakes 1-3
    assert report.outcomes[0].outcome == "skipped" and report.outcomes[0].conflicts == 3

    written = snapshots(rows, site)
    assert_no_window_twice(written)
    assert [(w["session_id"], w["wake_number"]) for w in written] == [
        (CHOSEN, 1),
        (CHOSEN, 2),
        (CHOSEN, 3),
    ]
