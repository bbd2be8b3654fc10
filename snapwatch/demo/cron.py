"""Fire times of the daily cron schedules the demo devices wake on.

A schedule is a five-field crontab line, as APScheduler's ``CronTrigger.from_crontab``
reads it, whose day-of-month, month and day-of-week fields are ``*`` (it fires the same
every day), for example ``*/15 * * * *``, ``0 8,16 * * *``, ``0 */3 * * *``. Times are
wall-clock times in the given zone, and around DST changes the demo keeps cron's usual
promise rather than CronTrigger's raw answer:

* a wall time that does not exist (spring forward) is skipped. CronTrigger skips the ones
  it steps over (the 02:00 of ``0 * * * *``) but returns a missing time that a field names
  (``30 2 * * *``, the 02:00 of ``0 */2 * * *``) with the offset from before the change,
  which is an hour later on the clock (03:30 EDT);
* a repeated wall time (fall back) fires once, at its first occurrence. CronTrigger fires
  both occurrences.

Fire times are computed per local day and cached: the demo asks for the same few schedules
in the same few zones over and over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from snapwatch.schedule.scheduler import crontab_trigger

_ORDINARY_DAY = date(2001, 1, 15)
"""Any day without a DST change in UTC (a daily schedule fires the same on all of them)."""


@dataclass(frozen=True, slots=True)
class CronSchedule:
    expr: str
    per_day: int
    """Fire times on an ordinary (24-hour) day."""


@lru_cache(maxsize=256)
def _trigger(expr: str, tz: tzinfo) -> Any:
    try:
        return crontab_trigger(expr, tz)
    except (TypeError, KeyError) as exc:
        raise ValueError(f"bad cron expression {expr!r}: {exc}") from exc


@lru_cache(maxsize=64)
def parse_cron(expr: str) -> CronSchedule:
    """Check that ``expr`` is a daily schedule (ValueError if not) and count its fires."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression needs 5 fields: {expr!r}")
    if fields[2:] != ["*", "*", "*"]:
        raise ValueError(f"only daily cron schedules are supported: {expr!r}")
    _trigger(expr, UTC)
    return CronSchedule(expr, len(_day_fires(expr, UTC, _ORDINARY_DAY)))


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The UTC instant of ``day``'s midnight in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _exists(wall: datetime, tz: tzinfo) -> bool:
    back = wall.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == wall.replace(tzinfo=None)


@lru_cache(maxsize=4096)
def _day_fires(expr: str, tz: tzinfo, day: date) -> tuple[datetime, ...]:
    """UTC instants of one local day, from its midnight to the next, oldest first."""
    trigger = _trigger(expr, tz)
    end = local_midnight(day + timedelta(days=1), tz)
    out: list[datetime] = []
    fire: datetime | None = trigger.get_next_fire_time(None, local_midnight(day, tz))
    while fire is not None:
        instant = fire.astimezone(UTC)
        if instant >= end:
            break
        # fire carries CronTrigger's wall time: a missing one does not survive the round
        # trip through UTC, and fold 1 is the second occurrence of a repeated one.
        if _exists(fire, tz) and instant.astimezone(tz).fold == 0:
            out.append(instant)
        fire = trigger.get_next_fire_time(fire, fire)
    return tuple(out)


@lru_cache(maxsize=1024)
def fire_times(expr: str, tz: tzinfo, start: datetime, end: datetime) -> tuple[datetime, ...]:
    """UTC instants in ``[start, end)`` at which the schedule fires, oldest first."""
    parse_cron(expr)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    out: list[datetime] = []
    while day <= last:
        out.extend(t for t in _day_fires(expr, tz, day) if start <= t < end)
        day += timedelta(days=1)
    return tuple(out)
