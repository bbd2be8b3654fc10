"""Who gets snapshots and how often: the cadence a site chose, and eligibility.

Pure functions of their arguments (no database, no I/O, no clock). The slot grid is in
:mod:`snapwatch.schedule.slots`, a site's sessions and their overlaps in
:mod:`snapwatch.schedule.sessions`, what a tick writes in :mod:`snapwatch.schedule.plan`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from snapwatch.snapshot.inputs import MAX_CADENCE_HOURS

OPEN_SESSION_STATUSES = frozenset({"pending", "in_progress"})
MIN_CADENCE_HOURS = 1 / 3600  # one second: anything shorter is not a schedule


class Reason(StrEnum):
    """Why a site gets no snapshots right now (checked in this order)."""

    NO_CADENCE = "no_cadence"
    INVALID_CADENCE = "invalid_cadence"
    NO_DEVICES = "no_devices"
    NO_OPEN_SESSION = "no_open_session"
    PAUSED = "paused"


# --- who is eligible -------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    """A site's cadence as chosen from its two columns, and why.

    ``hours`` is the usable cadence (None: not scheduled); ``column`` names the column it
    came from (None when neither is set); ``invalid`` when that column holds a value that
    is not a cadence (``reason`` is then ``invalid_cadence``: never replaced by the other
    column). ``note`` is what an operator must be told: the invalid value, or which column
    was used and why when both are set and disagree (``unused`` is then the other column
    and its value)."""

    hours: float | None
    column: str | None = None
    invalid: bool = False
    note: str | None = None
    unused: tuple[str, float] | None = None

    @property
    def reason(self) -> Reason | None:
        if self.hours is not None:
            return None
        return Reason.INVALID_CADENCE if self.invalid else Reason.NO_CADENCE


HOURS_COLUMN = "snapshot_cadence_hours"
PER_DAY_COLUMN = "snapshot_cadence_per_day"
SUB_HOUR_PER_DAY = 24
"""A ``snapshot_cadence_per_day`` above this is a sub-hour cadence, which the platform's
integer hours column cannot hold: it takes precedence (design/platform.md)."""

Number = Decimal | int | float


def choose_cadence(hours: Number | None, per_day: int | None) -> Cadence:
    """The cadence of a site with ``snapshot_cadence_hours`` = ``hours`` and
    ``snapshot_cadence_per_day`` = ``per_day``:

    - ``per_day`` above 24 (every 15 minutes is 96) wins: an integer hours column cannot
      hold a sub-hour cadence, so the platform left ``hours = 1`` beside ``per_day = 96``;
    - otherwise ``hours`` when set;
    - otherwise ``24 / per_day``.

    The chosen column must hold a cadence (finite, at least one second, at most 24 hours;
    ``per_day`` at least 1): otherwise the site has an invalid cadence with that value,
    never silently the other column's."""
    hours = None if isinstance(hours, bool) else hours
    per_day = None if isinstance(per_day, bool) else per_day
    if per_day is not None and per_day > SUB_HOUR_PER_DAY:
        return _chosen(PER_DAY_COLUMN, per_day, HOURS_COLUMN, hours)
    if hours is not None:
        return _chosen(HOURS_COLUMN, hours, PER_DAY_COLUMN, per_day)
    if per_day is not None:
        return _chosen(PER_DAY_COLUMN, per_day, HOURS_COLUMN, None)
    return Cadence(None)


def _hours_of(column: str, value: Number) -> float | None:
    """The cadence a column's value gives, or None when it is not a cadence."""
    if column == HOURS_COLUMN:
        return _valid_cadence(value)
    return None if value <= 0 else _valid_cadence(MAX_CADENCE_HOURS / float(value))


def _chosen(column: str, value: Number, other: str, other_value: Number | None) -> Cadence:
    hours = _hours_of(column, value)
    if hours is None:
        limits = "1 s to 24 h" if column == HOURS_COLUMN else "1 to 86400 a day"
        note = f"{column} = {_number(value)} (must be {limits})"
        return Cadence(None, column, invalid=True, note=note)
    if other_value is None or _hours_of(other, other_value) == hours:
        return Cadence(hours, column)
    why = (
        "an integer hours column cannot hold a sub-hour cadence"
        if column == PER_DAY_COLUMN
        else f"{other} is used only when {column} is unset"
    )
    note = f"{column} = {_number(value)} used, {other} = {_number(other_value)} disagrees: {why}"
    return Cadence(hours, column, note=note, unused=(other, float(other_value)))


def _valid_cadence(value: Number) -> float | None:
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    hours = float(value)
    if not math.isfinite(hours) or not MIN_CADENCE_HOURS <= hours <= MAX_CADENCE_HOURS:
        return None
    return hours


def _number(value: Number) -> str:
    number = float(value)
    return f"{number:g}" if math.isfinite(number) else str(value)


def session_phase(start: datetime, end: datetime, t: datetime) -> tuple[bool, bool]:
    """Where instant ``t`` stands with a session from ``start`` to ``end``: whether it had
    started by ``t`` (``start <= t``) and whether it had ended (``end <= t``). All that is
    asked of ``t`` to tell whether a session is open (:func:`session_is_open`) and whether
    it is still owed snapshots (:func:`snapwatch.schedule.sessions.sessions_still_owed`)."""
    return start <= t, end <= t


def session_is_open(status: str, start: datetime, end: datetime, t: datetime) -> bool:
    """Open at instant ``t``: status 'pending' or 'in_progress' and ``start <= t < end``.

    Sessions are found by instant, never by a date ('locked' is closed; there is no
    'active' status)."""
    started, ended = session_phase(start, end, t)
    return status in OPEN_SESSION_STATUSES and started and not ended


def eligibility(
    cadence: Cadence, counting_devices: int, open_session: bool, paused: bool
) -> Reason | None:
    """The first reason the site is not eligible, or None when it is."""
    if cadence.reason is not None:
        return cadence.reason
    if counting_devices < 1:
        return Reason.NO_DEVICES
    if not open_session:
        return Reason.NO_OPEN_SESSION
    if paused:
        return Reason.PAUSED
    return None
