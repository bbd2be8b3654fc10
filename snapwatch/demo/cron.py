"""Fire times of the simple cron schedules the demo devices use.

Supported: five fields where day-of-month, month and day-of-week are ``*`` and minute and
hour are each ``*``, ``*/n``, ``a``, ``a-b``, ``a-b/n`` or a comma list of those, for
example ``*/15 * * * *``, ``0 8,16 * * *``, ``0 */3 * * *``. Times are wall-clock times
in the given zone; a wall time that does not exist (spring forward) is skipped and a
repeated one (fall back) fires once, at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class CronSchedule:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]

    @property
    def per_day(self) -> int:
        """Fire times on an ordinary (24-hour) day."""
        return len(self.minutes) * len(self.hours)


def _expand(field: str, lo: int, hi: int) -> tuple[int, ...]:
    values: set[int] = set()
    for part in field.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step <= 0:
            raise ValueError(f"bad cron step in {field!r}")
        if body == "*":
            start, end = lo, hi
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(body)
            end = hi if step_text else start
        if not lo <= start <= end <= hi:
            raise ValueError(f"cron field {field!r} out of range {lo}-{hi}")
        values.update(range(start, end + 1, step))
    return tuple(sorted(values))


@lru_cache(maxsize=64)
def parse_cron(expr: str) -> CronSchedule:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression needs 5 fields: {expr!r}")
    minute, hour, dom, month, dow = fields
    if (dom, month, dow) != ("*", "*", "*"):
        raise ValueError(f"only daily cron schedules are supported: {expr!r}")
    return CronSchedule(_expand(minute, 0, 59), _expand(hour, 0, 23))


def _exists(local: datetime, tz: tzinfo) -> bool:
    back = local.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


@lru_cache(maxsize=1024)
def fire_times(expr: str, tz: tzinfo, start: datetime, end: datetime) -> tuple[datetime, ...]:
    """UTC instants in ``[start, end)`` at which the schedule fires, oldest first."""
    schedule = parse_cron(expr)
    first: date = start.astimezone(tz).date() - timedelta(days=1)
    last: date = end.astimezone(tz).date() + timedelta(days=1)
    out: list[datetime] = []
    day = first
    while day <= last:
        for hour in schedule.hours:
            for minute in schedule.minutes:
                local = datetime.combine(day, time(hour, minute), tzinfo=tz)
                if not _exists(local, tz):
                    continue
                instant = local.astimezone(UTC)
                if start <= instant < end:
                    out.append(instant)
        day += timedelta(days=1)
    out.sort()
    return tuple(out)
