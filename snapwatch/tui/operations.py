"""The operator's actions as the app runs them, each ending in one line to show.

The work is :mod:`snapwatch.schedule.actions` (the same as ``snapwatch force/pause/resume``), with
"now" from the app's clock; these functions only word the outcome. They run in workers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from snapwatch.infra.clock import Clock
from snapwatch.infra.config import Settings
from snapwatch.infra.dbsession import Conn
from snapwatch.schedule import actions
from snapwatch.schedule.pauses import active_pauses
from snapwatch.text.durations import format_duration
from snapwatch.tui.messages import Severity


@dataclass(frozen=True)
class Outcome:
    text: str
    severity: Severity = "information"


def _wakes(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"wake {numbers[0]}"
    return "wakes " + ", ".join(str(n) for n in numbers)


async def force_site(
    conn: Conn, settings: Settings, now: datetime, *, site: UUID, name: str, wall: Clock
) -> Outcome:
    try:
        result = await actions.force(conn, settings, now, site=site, wall=wall)
    except actions.ActionRefused as exc:
        return Outcome(str(exc), "warning")
    written = [i.wake_number for i in result.written if i.wake_number is not None]
    if written:
        return Outcome(f"forced {name!r}: wrote {_wakes(written)} (provisional until it completes)")
    failed = result.failed
    if failed:
        return Outcome(f"force of {name!r} failed: {failed[0].error}", "error")
    reasons = [actions.refusal(i.reason) for i in result.items if i.reason]
    why = reasons[0] if reasons else "nothing to write"
    return Outcome(f"forced {name!r}: nothing written ({why})", "warning")


async def force_all(conn: Conn, settings: Settings, now: datetime, wall: Clock) -> Outcome:
    result = await actions.force(conn, settings, now, site=None, wall=wall)
    sites = {i.site_id for i in result.written}
    skipped = Counter(
        actions.refusal(i.reason or "") for i in result.items if i.outcome == "skipped"
    )
    parts = [f"forced {len(sites)} site(s): {len(result.written)} snapshot(s)"]
    if skipped:
        parts.append("skipped " + ", ".join(f"{n} {why}" for why, n in skipped.most_common()))
    if result.failed:
        first = result.failed[0]
        parts.append(f"{len(result.failed)} failed ({first.site_name}: {first.error})")
        return Outcome("; ".join(parts), "error")
    return Outcome("; ".join(parts))


async def site_paused(conn: Conn, now: datetime, site: UUID | None) -> bool:
    """Whether exactly this scope (a site, or every site with None) is paused now."""
    return bool(await active_pauses(conn, now, site=site, scoped=True))


async def pause(
    conn: Conn,
    now: datetime,
    *,
    site: UUID | None,
    scope: str,
    reason: str | None,
    duration: timedelta | None,
) -> Outcome:
    until = now + duration if duration is not None else None
    record = await actions.pause(conn, now, site=site, reason=reason, until=until)
    if record.changed:
        return Outcome(f"changed the pause of {scope}: {record.note(now)}")
    if not record.created:
        return Outcome(f"{scope} already paused: {record.note(now)}", "warning")
    span = f" for {format_duration(duration)}" if duration is not None else " until resumed"
    why = f": {reason}" if reason else ""
    return Outcome(f"paused {scope}{span}{why}")


async def resume(conn: Conn, now: datetime, site: UUID | None, scope: str) -> Outcome:
    ended = await actions.resume(conn, now, site=site)
    if not ended:
        return Outcome(f"{scope} was not paused", "warning")
    return Outcome(f"resumed {scope}")
