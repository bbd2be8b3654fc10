"""Force, pause and resume: the operator's actions, one API for the CLI, the daemon and the app.

Force writes the current, still incomplete slot now as a provisional snapshot (the regular
run replaces it in place when the slot completes) through the ordinary tick, and records
the run in run history like any other. Pauses live in ``snapwatch.pauses`` so that every
process sees them within one tick; they are stamped with the as-of instant (``now``, from
the injected clock), the same clock the tick judges them by.

Pausing a scope that is already paused changes that pause's reason and expiry when the
request gives them (its author and start stay; who changed it is recorded) and says so;
a request that gives neither keeps the pause as it is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.infra.clock import Clock
from snapwatch.infra.config import Settings
from snapwatch.infra.errors import EXIT_SITE_FAILED, ConfigError, SnapwatchError
from snapwatch.schedule import activity
from snapwatch.schedule.cadence import Reason
from snapwatch.schedule.instances import Identity
from snapwatch.schedule.pauses import PauseRecord, active_pauses
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.sitestate import load_sites
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import SiteOutcome
from snapwatch.text.labels import reason_label

# Serialises pause decisions across processes: "is this scope paused? then insert" must
# not interleave, or two operators pausing at once would leave two pauses.
PAUSE_LOCK_KEY = int.from_bytes(b"snappaus", "big")


class ActionRefused(SnapwatchError):
    """The action cannot be done for the site named (one line with the reason)."""

    exit_code = EXIT_SITE_FAILED


# --- force -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForceItem:
    """What force did for one site: written (wake, snapshot), skipped (why) or failed."""

    site_id: UUID
    site_name: str
    outcome: Literal["written", "skipped", "failed"]
    wake_number: int | None = None
    snapshot_id: UUID | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    reason: str | None = None
    error: str | None = None
    lock_wait: str | None = None
    """Skipped busy: a lock another process held past lock_timeout."""


@dataclass(frozen=True)
class ForceResult:
    as_of: datetime
    site: UUID | None
    """The site asked for, or None for every eligible site."""
    items: list[ForceItem]
    run_id: UUID

    @property
    def written(self) -> list[ForceItem]:
        return [i for i in self.items if i.outcome == "written"]

    @property
    def failed(self) -> list[ForceItem]:
        return [i for i in self.items if i.outcome == "failed"]

    @property
    def busy(self) -> list[ForceItem]:
        """The sites a lock another process held past lock_timeout left unwritten."""
        return [i for i in self.items if i.lock_wait is not None]

    @property
    def ok(self) -> bool:
        """Nothing failed, and the one site asked for (if any) was written."""
        if self.failed:
            return False
        return self.site is None or bool(self.written)


def refusal(reason: str) -> str:
    """The readable words for a skip reason (``no_open_session`` → ``no open session``)."""
    try:
        return reason_label(Reason(reason))
    except ValueError:
        return reason


async def force(
    conn: AsyncConnection[dict[str, Any]],
    settings: Settings,
    now: datetime,
    *,
    site: UUID | None,
    wall: Clock | None = None,
) -> ForceResult:
    """Write the current slot of one site (or of every eligible site) as of ``now``.

    A single site that is not eligible raises :class:`ActionRefused` naming the reason
    (nothing is written; the refusal is recorded in the activity trail); with
    ``site=None`` the sites that are not eligible are listed with their reasons. The
    force is recorded in the trail with its counts and result."""
    if site is not None:
        views = await load_sites(conn, now, site)
        why = "it no longer exists" if not views else None
        if views and views[0].reason is not None:
            why = reason_label(views[0].reason)
        if why is not None:
            name = repr(views[0].facts.site_name) if views else f"site {site}"
            await activity.record(
                conn,
                activity.FORCE,
                site_id=site,
                scope=views[0].facts.site_name if views else str(site),
                detail={"as_of": now},
                result=activity.refused(why),
            )
            raise ActionRefused(f"cannot force {name}: {why}")
    report = await run_tick(conn, settings, now, site=site, force=True, wall=wall)
    run_id = await record_run(conn, report, None)
    items = [item for o in report.outcomes for item in _items(o)]
    result = ForceResult(report.as_of, site, items, run_id)
    await _record_force(conn, result)
    return result


async def _record_force(conn: AsyncConnection[Any], result: ForceResult) -> None:
    skipped = [i for i in result.items if i.outcome == "skipped"]
    detail: dict[str, Any] = {
        "as_of": result.as_of,
        "run_id": result.run_id,
        "written": len(result.written),
        "skipped": len(skipped),
        "failed": len(result.failed),
        "wakes": [i.wake_number for i in result.written],
    }
    if result.failed:
        first = result.failed[0]
        outcome = activity.failed(f"{first.site_name}: {first.error}")
        detail["error"] = first.error
    elif result.site is not None and not result.written:
        why = skipped[0].reason if skipped and skipped[0].reason else "not_due"
        outcome = f"nothing written: {refusal(why)}"
    else:
        outcome = activity.OK
    names = {i.site_name for i in result.items}
    await activity.record(
        conn,
        activity.FORCE if result.site is not None else activity.FORCE_ALL,
        site_id=result.site,
        scope=names.pop() if result.site is not None and len(names) == 1 else activity.ALL_SITES,
        detail=detail,
        result=outcome,
    )


def _items(o: SiteOutcome) -> list[ForceItem]:
    if not o.written:
        return [
            ForceItem(
                o.site_id,
                o.site_name,
                o.outcome,
                reason=o.reason,
                error=o.error,
                lock_wait=o.lock_wait,
            )
        ]
    return [
        ForceItem(
            o.site_id,
            o.site_name,
            "written",
            wake_number=w.wake_number,
            snapshot_id=w.snapshot_id,
            window_start=w.start,
            window_end=w.end,
        )
        for w in o.written
    ]


# --- pause and resume ----------------------------------------------------------------------


INSERT_SQL = """
WITH inserted AS (
    INSERT INTO snapwatch.pauses (site_id, paused_by, paused_at, reason, expires_at)
    VALUES (%(site)s, %(who)s, %(now)s, %(reason)s, %(until)s)
    RETURNING *
)
SELECT i.pause_id, i.site_id, s.name AS site_name, i.paused_by, i.paused_at, i.reason,
       i.expires_at, i.resumed_at, i.resumed_by, i.changed_at, i.changed_by
  FROM inserted i
  LEFT JOIN sites s ON s.site_id = i.site_id
"""

CHANGE_SQL = """
WITH changed AS (
    UPDATE snapwatch.pauses
       SET reason = coalesce(%(reason)s, reason),
           expires_at = CASE WHEN %(set_until)s THEN %(until)s ELSE expires_at END,
           changed_at = %(now)s, changed_by = %(who)s
     WHERE pause_id = %(pause)s
    RETURNING *
)
SELECT c.pause_id, c.site_id, s.name AS site_name, c.paused_by, c.paused_at, c.reason,
       c.expires_at, c.resumed_at, c.resumed_by, c.changed_at, c.changed_by
  FROM changed c
  LEFT JOIN sites s ON s.site_id = c.site_id
"""

SITE_NAME_SQL = "SELECT name FROM sites WHERE site_id = %(site)s"

RESUME_SQL = """
UPDATE snapwatch.pauses
   SET resumed_at = %(now)s, resumed_by = %(who)s
 WHERE pause_id = ANY(%(pauses)s::uuid[])
"""


async def pause(
    conn: AsyncConnection[Any],
    now: datetime,
    *,
    site: UUID | None,
    reason: str | None,
    until: datetime | None,
    who: str | None = None,
) -> PauseRecord:
    """Pause snapshots of one site (or of every site, ``site=None``) from ``now`` until
    ``until`` (None: until resumed). An already paused scope keeps its pause
    (``created=False``); a ``reason`` or ``until`` given changes it (``changed=True``).
    An empty or blank ``reason`` is no reason. Recorded in the activity trail, in the
    pause's transaction (a refusal too)."""
    reason = reason.strip() if reason is not None else None
    reason = reason or None
    author = who or Identity.current().who
    detail = {"reason": reason, "until": until, "seconds": _seconds(now, until)}
    if until is not None and until <= now:
        await activity.record(
            conn,
            activity.PAUSE,
            site_id=site,
            scope=await _scope(conn, site),
            detail=detail,
            result=activity.refused("it would end before it starts"),
            actor=author,
        )
        raise ConfigError("a pause must end after it starts")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (PAUSE_LOCK_KEY,))
        existing = await active_pauses(conn, now, site=site, scoped=True)
        if existing and reason is None and until is None:
            record = dataclasses.replace(existing[0], created=False)
            await _record_pause(
                conn,
                activity.PAUSE,
                record,
                detail=detail,
                result="ok: already paused",
                author=author,
            )
            return record
        if existing:
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(
                    CHANGE_SQL,
                    {
                        "pause": existing[0].pause_id,
                        "reason": reason,
                        "set_until": until is not None,
                        "until": until,
                        "now": now,
                        "who": author,
                    },
                )
                changed = await cur.fetchone()
            assert changed is not None
            record = PauseRecord(**changed, created=False, changed=True)
            await _record_pause(
                conn,
                activity.PAUSE_CHANGE,
                record,
                detail=detail,
                result=activity.OK,
                author=author,
            )
            return record
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                INSERT_SQL,
                {"site": site, "who": author, "now": now, "reason": reason, "until": until},
            )
            row = await cur.fetchone()
        assert row is not None
        record = PauseRecord(**row)
        await _record_pause(
            conn, activity.PAUSE, record, detail=detail, result=activity.OK, author=author
        )
    return record


def _seconds(now: datetime, until: datetime | None) -> float | None:
    return None if until is None else (until - now).total_seconds()


async def _scope(conn: AsyncConnection[Any], site: UUID | None) -> str:
    """The scope's words in the trail: the site's name, or ``all sites``."""
    if site is None:
        return activity.ALL_SITES
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SITE_NAME_SQL, {"site": site})
        row = await cur.fetchone()
    return str(row["name"]) if row is not None else str(site)


async def _record_pause(
    conn: AsyncConnection[Any],
    kind: str,
    record: PauseRecord,
    *,
    detail: dict[str, Any],
    result: str,
    author: str,
) -> None:
    scope = activity.ALL_SITES if record.site_id is None else record.site_name
    await activity.record(
        conn,
        kind,
        site_id=record.site_id,
        scope=scope or str(record.site_id),
        detail={**detail, "pause_id": record.pause_id, "paused_by": record.paused_by},
        result=result,
        actor=author,
    )


async def resume(
    conn: AsyncConnection[Any], now: datetime, *, site: UUID | None, who: str | None = None
) -> int:
    """End the pauses of exactly this scope (``site=None``: the global ones) at ``now``;
    returns how many were in force (0: it was not paused, which is not an error).
    Recorded in the activity trail, in the resume's transaction."""
    author = who or Identity.current().who
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (PAUSE_LOCK_KEY,))
        held = [p.pause_id for p in await active_pauses(conn, now, site=site, scoped=True)]
        if held:
            await conn.execute(RESUME_SQL, {"pauses": held, "who": author, "now": now})
        await activity.record(
            conn,
            activity.RESUME,
            site_id=site,
            scope=await _scope(conn, site),
            detail={"ended": len(held)},
            result=activity.OK if held else "ok: not paused",
            actor=author,
        )
        return len(held)
