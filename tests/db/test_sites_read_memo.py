"""Sites judged read after read, with what earlier reads kept, are judged exactly as from
scratch: at every instant around the sessions' starts, ends and locks, forwards and back."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg import AsyncConnection
from support.overview_rows import Rows

from snapwatch.infra.config import SchedulerSettings
from snapwatch.schedule import judging, sitestate
from snapwatch.schedule.judging import JudgedSite, judge_sites
from snapwatch.schedule.memo import RowMemo, RowMemoById, TimedMemoById

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
OTHER = UUID("10000000-0000-4000-8000-000000000000")
CHOSEN = UUID("f0000000-0000-4000-8000-000000000000")


def fleet(rows: Rows) -> list[datetime]:
    """Sites whose sessions overlap, start together, follow each other, are locked early
    (with and without a lock time); the instants where any of them starts, ends or is
    locked."""
    program = rows.program(rows.company("Acme"), "Winter Watch")
    boundaries: list[datetime] = []

    def site(name: str, *sessions: tuple[datetime, datetime, str, dict[str, Any]]) -> UUID:
        site_id = rows.site(program, name, snapshot_cadence_hours=1)
        rows.device(site_id)
        for n, (start, end, status, columns) in enumerate(sessions):
            session = rows.session(
                site_id, start, end, status, session_date=(DAY + n * 24 * H).date(), **columns
            )
            boundaries.extend([start, end, *[columns[k] for k in ("locked_at",) if k in columns]])
            rows.conn.execute(
                "INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,"
                " wake_number, wake_round_start, wake_round_end, site_state)"
                " SELECT company_id, program_id, site_id, session_id, 1, %(start)s,"
                " %(start)s + interval '1 hour', '{}'::jsonb"
                "   FROM site_device_sessions WHERE session_id = %(session)s",
                {"session": session, "start": start},
            )
        return site_id

    site(
        "Overlapping",
        (DAY + 6 * H, DAY + 18 * H, "in_progress", {}),
        (DAY + 9 * H, DAY + 12 * H, "pending", {}),
    )
    site(
        "Together",
        (DAY + 8 * H, DAY + 14 * H, "in_progress", {"session_id": OTHER}),
        (DAY + 8 * H, DAY + 16 * H, "in_progress", {"session_id": CHOSEN}),
    )
    site(
        "Back to back",
        (DAY + 2 * H, DAY + 10 * H, "locked", {}),
        (DAY + 10 * H, DAY + 20 * H, "pending", {}),
    )
    site(
        "Locked early",
        (
            DAY + 4 * H,
            DAY + 16 * H,
            "locked",
            {"locked_at": DAY + 7 * H + 30 * timedelta(minutes=1)},
        ),
        (DAY + 17 * H, DAY + 23 * H, "in_progress", {}),
    )
    # Sites with every slot written as soon as it is due (on time between due instants),
    # one of them never paused, two paused for a while: with an expiry (the note counts
    # down) and until resumed.
    settle = timedelta(seconds=SchedulerSettings().settle_seconds)
    for name, paused_at, expires_at, resumed_at in (
        ("Kept up", None, None, None),
        ("Paused with an expiry", DAY + 4 * H, DAY + 6 * H, None),
        ("Paused until resumed", DAY + 5 * H, None, DAY + 8 * H),
    ):
        kept_up = site(name, (DAY + 3 * H, DAY + 9 * H, "in_progress", {}))
        for wake in range(2, 7):
            end = DAY + (3 + wake) * H
            rows.conn.execute(
                "INSERT INTO session_wake_snapshots (company_id, program_id, site_id,"
                " session_id, wake_number, wake_round_start, wake_round_end, site_state)"
                " SELECT company_id, program_id, site_id, session_id, %(wake)s, %(start)s,"
                " %(end)s, '{}'::jsonb FROM site_device_sessions WHERE site_id = %(site)s",
                {"wake": wake, "start": end - H, "end": end, "site": kept_up},
            )
            boundaries.append(end + settle)
        if paused_at is not None:
            rows.conn.execute(
                "INSERT INTO snapwatch.pauses (site_id, paused_by, paused_at, expires_at,"
                " resumed_at) VALUES (%s, 'ops', %s, %s, %s)",
                (kept_up, paused_at, expires_at, resumed_at),
            )
            boundaries += [t for t in (paused_at, expires_at, resumed_at) if t is not None]
    # Where the hourly slots of the others become due, and late after the grace.
    grace = timedelta(seconds=SchedulerSettings().late_grace_seconds)
    for hour in range(3, 13):
        boundaries += [DAY + hour * H + settle, DAY + hour * H + settle + grace]
    return sorted(set(boundaries))


def around(boundaries: list[datetime]) -> list[datetime]:
    steps = [timedelta(0), timedelta(microseconds=1), timedelta(seconds=1), timedelta(minutes=20)]
    return sorted({b + sign * step for b in boundaries for step in steps for sign in (-1, 1)})


def judged(sites: list[JudgedSite]) -> list[tuple[Any, ...]]:
    return [
        (
            j.health,
            j.last_error,
            j.view.reason,
            j.view.sessions,
            j.view.open_session,
            j.view.other_open_sessions,
        )
        for j in sites
    ]


async def test_kept_reads_judge_every_instant_as_a_read_from_scratch(
    rows: Rows, conn: AsyncConnection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    instants = around(fleet(rows))
    sched = SchedulerSettings()
    counts: Counter[str] = Counter()
    counting = True
    site_view_at, attached = sitestate.site_view_at, sitestate._attached

    def judged_again(row: tuple[Any, ...], *args: Any) -> Any:
        counts[sitestate.SiteRow._make(row).site_name] += counting
        return site_view_at(row, *args)

    def attached_again(*args: Any) -> Any:
        counts["attached"] += counting
        return attached(*args)

    monkeypatch.setattr(judging, "site_view_at", judged_again)
    monkeypatch.setattr(sitestate, "_attached", attached_again)
    kept = sitestate._SESSION_VIEWS, sitestate._ATTACHED, judging._JUDGED
    reads = 0
    for t in [*instants, *reversed(instants), *instants]:
        counting = True
        with_kept = judged(await judge_sites(conn, t, sched))
        counting = False
        reads += 1
        monkeypatch.setattr(sitestate, "_SESSION_VIEWS", RowMemoById())
        monkeypatch.setattr(sitestate, "_ATTACHED", RowMemo())
        monkeypatch.setattr(judging, "_JUDGED", TimedMemoById())
        from_scratch = judged(await judge_sites(conn, t, sched))
        monkeypatch.setattr(sitestate, "_SESSION_VIEWS", kept[0])
        monkeypatch.setattr(sitestate, "_ATTACHED", kept[1])
        monkeypatch.setattr(judging, "_JUDGED", kept[2])
        assert with_kept == from_scratch, t
    # The reads with what was kept judged again only the sites whose judgement may have
    # changed since: a site on time or paused until resumed mostly kept its judgement, and
    # of the sites judged again, few had their owed sessions worked out again.
    assert counts["Kept up"] < reads / 4, counts
    assert counts["Paused until resumed"] < reads / 4, counts
    assert counts["attached"] < (counts.total() - counts["attached"]) / 4, counts
