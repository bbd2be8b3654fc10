"""When pg_cron runs a job: its schedules read the way pg_cron reads them, next runs, stuck runs.

pg_cron stores no "next run"; snapwatch computes it with APScheduler's ``CronTrigger`` in
pg_cron's ``cron.timezone`` (GMT when unset). Schedules are read the way pg_cron reads
them: five crontab fields (day of week 0 or 7 is Sunday, names allowed, ``$`` as day of
month is the month's last day, and when both day of month and day of week are restricted
either one matching fires, as in Vixie cron), ``N seconds`` (1-59, pg_cron 1.5+: N seconds
after the previous start) and the macros ``@yearly``/``@annually``, ``@monthly``,
``@weekly``, ``@daily``/``@midnight``, ``@hourly`` and ``@reboot`` (no next run). Around a
DST change in a non-UTC ``cron.timezone`` the computed next run is CronTrigger's and may be
off by the shift. Nothing here needs a database; :mod:`snapwatch.schedule.pgcron` reads the
jobs and uses these for their next runs, intervals and stuck runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from snapwatch.schedule.scheduler import crontab_trigger

ACTIVE_STATUSES = frozenset({"starting", "connecting", "sending", "running"})
"""``cron.job_run_details.status`` values of a run that has not ended; the others are
``succeeded`` and ``failed``."""

_MACROS = {
    "yearly": "0 0 1 1 *",
    "annually": "0 0 1 1 *",
    "monthly": "0 0 1 * *",
    "weekly": "0 0 * * 0",
    "daily": "0 0 * * *",
    "midnight": "0 0 * * *",
    "hourly": "0 * * * *",
}
_REBOOT = frozenset({"reboot", "restart"})
_SECONDS = re.compile(r"\s*(\d+)\s*seconds?\s*", re.I)
# Crontab numbers days from Sunday (0 and 7); APScheduler 3 numbers them from Monday, so
# days of week are handed to it as names.
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True, slots=True)
class CronPlan:
    """A parsed schedule: fires when any trigger fires, or every ``every`` after the
    previous start; neither for ``@reboot``."""

    triggers: tuple[Any, ...] = ()
    every: timedelta | None = None


def _number(text: str, lo: int, names: tuple[str, ...]) -> int:
    low = text.lower()
    if low in names:
        return names.index(low) + lo
    if low.isascii() and low.isdigit():
        return int(low)
    raise ValueError(f"bad value {text!r}")


def _expand(field: str, lo: int, hi: int, names: tuple[str, ...] = ()) -> list[int]:
    """The values of one crontab field, as Vixie cron (and so pg_cron) reads it: ``*``,
    ``n``, ``a-b``, ``*/s`` or ``a-b/s`` (any step ≥ 1, even beyond the range) and lists."""
    values: set[int] = set()
    for part in field.split(","):
        body, slash, step_text = part.partition("/")
        first, dash, last = body.partition("-")
        if body == "*":
            start, stop = lo, hi
        elif dash:
            start, stop = _number(first, lo, names), _number(last, lo, names)
        elif slash:
            raise ValueError(f"a step needs a range or *: {part!r}")
        else:
            start = stop = _number(body, lo, names)
        step = _number(step_text, 0, ()) if slash else 1
        if step < 1 or not lo <= start <= hi or not lo <= stop <= hi:
            raise ValueError(f"{part!r} is outside {lo}-{hi}")
        values.update(range(start, stop + 1, step))
    if not values:
        raise ValueError(f"{field!r} matches nothing")
    return sorted(values)


def _ranges(values: list[int]) -> str:
    """``[0, 1, 2, 5]`` as ``0-2,5``, for APScheduler."""
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _crontab(fields: list[str]) -> tuple[str, str, str, str, str]:
    """Five pg_cron fields as APScheduler ``from_crontab`` fields meaning the same."""
    minute, hour, dom, month, dow = fields

    def field(text: str, lo: int, hi: int, names: tuple[str, ...] = ()) -> str:
        return "*" if text == "*" else _ranges(_expand(text, lo, hi, names))

    days = "*" if dow == "*" else ",".join(_DAYS[d % 7] for d in _expand(dow, 0, 7, _DAYS))
    return (
        field(minute, 0, 59),
        field(hour, 0, 23),
        "last" if dom == "$" else field(dom, 1, 31),
        field(month, 1, 12, _MONTHS),
        days,
    )


@lru_cache(maxsize=512)
def parse_schedule(schedule: str, tz: tzinfo, dom_and_dow: bool = False) -> CronPlan:
    """A pg_cron schedule as a :class:`CronPlan` in zone ``tz``; ``dom_and_dow`` is
    ``cron.match_dom_and_dow``. Raises ValueError for a schedule pg_cron would not accept."""
    text = schedule.strip()
    if match := _SECONDS.fullmatch(text):
        seconds = int(match.group(1))
        if not 1 <= seconds <= 59:
            raise ValueError(f"interval schedules take 1-59 seconds: {schedule!r}")
        return CronPlan(every=timedelta(seconds=seconds))
    if text.startswith("@"):
        word = text[1:].lower()
        if word in _REBOOT:
            return CronPlan()
        if word not in _MACROS:
            raise ValueError(f"unknown schedule macro {schedule!r}")
        text = _MACROS[word]
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"not five crontab fields, 'N seconds' or an @macro: {schedule!r}")
    try:
        minute, hour, dom, month, dow = _crontab(fields)

        def trigger(day: str, weekday: str) -> Any:
            expr = f"{minute} {hour} {day} {month} {weekday}"
            return crontab_trigger(expr, tz)

        # Both day fields restricted: either one matching fires (Vixie cron's rule), unless
        # cron.match_dom_and_dow (pg_cron 1.6.5+) asks for both.
        if dom_and_dow or fields[2].startswith("*") or fields[4].startswith("*"):
            return CronPlan(triggers=(trigger(dom, dow),))
        return CronPlan(triggers=(trigger(dom, "*"), trigger("*", dow)))
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"bad schedule {schedule!r}: {exc}") from exc


def _next_fire(plan: CronPlan, after: datetime) -> datetime | None:
    # CronTrigger returns the first whole second at or after its start: start just after.
    start = after + timedelta(microseconds=1)
    fires: list[datetime] = []
    for trigger in plan.triggers:
        fire: datetime | None = trigger.get_next_fire_time(None, start)
        if fire is not None:
            fires.append(fire.astimezone(UTC))
    return min(fires, default=None)


def require_aware(at: datetime) -> datetime:
    """``at`` itself; raises ValueError when it has no time zone."""
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return at


def next_run(
    schedule: str, after: datetime, tz: tzinfo = UTC, *, match_dom_and_dow: bool = False
) -> datetime | None:
    """The first fire time strictly after ``after``, in UTC; None for ``@reboot``.

    For ``N seconds`` it is ``after`` plus N: pass the previous start as ``after``.
    Raises ValueError for a schedule pg_cron would not accept.
    """
    plan = parse_schedule(schedule, tz, match_dom_and_dow)
    if plan.every is not None:
        return require_aware(after) + plan.every
    return _next_fire(plan, require_aware(after))


def interval_seconds(
    schedule: str, after: datetime, tz: tzinfo = UTC, *, match_dom_and_dow: bool = False
) -> float | None:
    """Seconds between the next two fire times after ``after``; None for ``@reboot``."""
    return plan_interval(parse_schedule(schedule, tz, match_dom_and_dow), require_aware(after))


def plan_interval(plan: CronPlan, after: datetime) -> float | None:
    """Seconds between the plan's next two fire times after ``after``; None for ``@reboot``."""
    if plan.every is not None:
        return plan.every.total_seconds()
    first = _next_fire(plan, after)
    second = _next_fire(plan, first) if first is not None else None
    if first is None or second is None:
        return None
    return (second - first).total_seconds()


def is_stuck(
    status: str | None, started: datetime | None, interval: float | None, now: datetime
) -> bool:
    """A run that has not ended and started longer ago than the job's interval. Runs still
    ``starting`` or ``connecting`` have no start time yet and are never called stuck."""
    if status not in ACTIVE_STATUSES or started is None or interval is None:
        return False
    return (now - started).total_seconds() > interval


def upcoming_run(plan: CronPlan, now: datetime, last_start: datetime | None) -> datetime | None:
    """A job's next run as of ``now``, in UTC, given its last start; None for ``@reboot``."""
    if plan.every is not None:
        # pg_cron starts an interval job once `every` has passed since its last start.
        return max((last_start or now) + plan.every, now)
    return _next_fire(plan, now)


def cron_zone(setting: str | None) -> tzinfo:
    """The zone of a ``cron.timezone`` setting: NULL (pg_cron before 1.5) and GMT are UTC.
    Raises ValueError for a name this machine's zone database does not know."""
    if setting is None or setting.upper() in ("", "GMT", "UTC", "Z", "ETC/UTC", "ETC/GMT"):
        return UTC
    try:
        return ZoneInfo(setting)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {setting!r}") from exc
