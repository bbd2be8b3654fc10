"""Every site as snapwatch sees it at one instant, read set-based in three queries.

The one place that says which company a site belongs to, which devices count, which
sessions are open and still owed snapshots, and what a site selector (``--site``) means.
The scheduler, ``status``, the sites overview and ``inspect`` all read sites through it.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import tuple_row

from snapwatch.infra.config import SchedulerSettings
from snapwatch.infra.db import dict_rows
from snapwatch.infra.errors import SnapwatchError
from snapwatch.schedule.cadence import (
    Cadence,
    Reason,
    choose_cadence,
    eligibility,
    session_is_open,
    session_phase,
)
from snapwatch.schedule.memo import RowMemo, RowMemoById
from snapwatch.schedule.pauses import PauseRecord, read_pauses
from snapwatch.schedule.plan import PlannedSlot, Plans, SitePlan, plan_force, plan_site
from snapwatch.schedule.sessions import (
    SessionState,
    SessionWindow,
    chosen_session,
    overlapping,
    precedence,
    sessions_still_owed,
)
from snapwatch.schedule.slots import as_utc
from snapwatch.snapshot.inputs import SessionFacts, SiteFacts
from snapwatch.snapshot.reader import COUNTING_DEVICE

# A previous session's last slots are still written after midnight (its final slot is due
# only after the session ended); older sessions are history. Sessions are site-local days:
# one that ended more than this long ago, or started more than twice this long ago, is
# not read at all.
PREVIOUS_SESSION_LOOKBACK = timedelta(hours=48)


def with_counting_devices(query: str) -> str:
    """``query`` with the counting-device predicate in place of ``{counting_device}``."""
    return sql.SQL(query).format(counting_device=sql.SQL(COUNTING_DEVICE)).as_string()


SITES_SQL = with_counting_devices("""
SELECT s.site_id::text AS site_id, s.name AS site_name, s.site_code, s.type AS site_type,
       s.length::float8 AS length, s.width::float8 AS width, s.height::float8 AS height,
       s.timezone, CASE WHEN %(zones)s THEN s.zones END AS zones,
       s.snapshot_cadence_hours::float8 AS cadence_hours_raw,
       s.snapshot_cadence_per_day, s.last_snapshot_at AT TIME ZONE 'UTC' AS last_snapshot_at,
       s.program_id::text AS program_id, p.name AS program_name,
       p.start_date AS program_start_date, p.end_date AS program_end_date,
       coalesce(s.company_id, p.company_id)::text AS company_id,
       c.name AS company_name, coalesce(n.device_count, 0) AS device_count
  FROM sites s
  JOIN pilot_programs p ON p.program_id = s.program_id
  LEFT JOIN companies c ON c.company_id = coalesce(s.company_id, p.company_id)
  LEFT JOIN (SELECT d.site_id, count(*) AS device_count FROM devices d
              WHERE {counting_device} AND (%(site)s::uuid IS NULL OR d.site_id = %(site)s::uuid)
              GROUP BY d.site_id) n ON n.site_id = s.site_id
 WHERE %(site)s::uuid IS NULL OR s.site_id = %(site)s::uuid
 ORDER BY p.name, s.name, s.site_id
""")

# Every way to name a site: its id, its site_code, or its name (case-insensitive).
SELECTOR_SQL = """
SELECT s.site_id, s.name, s.site_code,
       (s.site_id::text = lower(%(text)s)) AS by_id,
       (s.site_code::text = %(text)s) AS by_code,
       (lower(s.name) = lower(%(text)s)) AS by_name
  FROM sites s
 ORDER BY s.name, s.site_id
"""

# The recent sessions of each site (or of the one site given) that had started by now: the
# current ones and those before (a previous session's last slot becomes due just after it
# ends), overlapping or not, each with what its snapshots cover so far (no row joined: it
# has none). Which of them are still owed snapshots (sessions.sessions_still_owed) and
# which are open (cadence.session_is_open) is decided in Python, never here.
#
# Its instants are read as UTC wall-clock times (``timestamp``), whatever the session's
# TimeZone: decoded several times faster than instants converted to that zone, and made
# aware only for a session whose view is made again (_session_view_of).
#
# Reads only the snapshot rows' keys and window columns (never the documents), from the
# index that holds them all (idx_session_wake_snapshots_coverage), each session's range
# found by one index scan given every session as one array: its cost follows the sessions
# read, not the length of the history (a join or a subquery per session took half as long
# again). Provisional rows are rare: the sessions without any are aggregated over all their
# rows, and only the few with some are aggregated apart, their rows joined with the
# provisional keys (their arrays are NULL for the others).
SESSIONS_SQL = """
WITH sess AS MATERIALIZED (
    SELECT ss.site_id, ss.session_id, ss.session_date, ss.session_start_time,
           ss.session_end_time, ss.status, ss.expected_wake_count, ss.locked_at
      FROM site_device_sessions ss
     WHERE (%(site)s::uuid IS NULL OR ss.site_id = %(site)s::uuid)
       AND ss.session_start_time <= %(now)s AND ss.session_start_time > %(started_since)s
       AND ss.session_end_time > %(since)s
), prov AS MATERIALIZED (
    SELECT p.session_id, p.wake_number, w.wake_round_start
      FROM snapwatch.provisional_snapshots p
      JOIN session_wake_snapshots w USING (session_id, wake_number)
     WHERE p.session_id IN (SELECT session_id FROM sess)
), state AS (
    SELECT w.session_id, min(w.wake_round_start) AS covered_from,
           max(w.wake_round_end) AS covered_until, max(w.wake_number) AS last_wake_number,
           NULL::timestamp[] AS prov_starts, NULL::integer[] AS prov_wakes
      FROM session_wake_snapshots w
     WHERE w.session_id = ANY (ARRAY(SELECT session_id FROM sess
                                      WHERE session_id NOT IN (SELECT session_id FROM prov)))
     GROUP BY w.session_id
    UNION ALL
    SELECT w.session_id,
           min(w.wake_round_start) FILTER (WHERE p.session_id IS NULL),
           max(w.wake_round_end) FILTER (WHERE p.session_id IS NULL),
           coalesce(max(w.wake_number) FILTER (WHERE p.session_id IS NULL), 0),
           array_agg(p.wake_round_start AT TIME ZONE 'UTC' ORDER BY p.wake_number)
               FILTER (WHERE p.session_id IS NOT NULL),
           array_agg(p.wake_number ORDER BY p.wake_number) FILTER (WHERE p.session_id IS NOT NULL)
      FROM session_wake_snapshots w
      LEFT JOIN prov p USING (session_id, wake_number)
     WHERE w.session_id IN (SELECT session_id FROM prov)
     GROUP BY w.session_id
)
SELECT s.site_id::text, s.session_id::text, s.session_date,
       s.session_start_time AT TIME ZONE 'UTC', s.session_end_time AT TIME ZONE 'UTC',
       s.status, s.expected_wake_count, s.locked_at AT TIME ZONE 'UTC',
       st.covered_from AT TIME ZONE 'UTC', st.covered_until AT TIME ZONE 'UTC',
       st.last_wake_number, st.prov_starts, st.prov_wakes
  FROM sess s
  LEFT JOIN state st USING (session_id)
"""


@dataclass(frozen=True)
class SessionView:
    facts: SessionFacts
    state: SessionState
    closed_at: datetime | None = None
    """Locked before its end (slots ending later are owed nothing)."""

    def window(self) -> SessionWindow:
        return self._window

    @cached_property
    def _window(self) -> SessionWindow:
        return SessionWindow(
            self.facts.start,
            self.facts.end,
            self.state,
            self.closed_at,
            session_id=self.facts.session_id,
        )

    def is_open(self, t: datetime) -> bool:
        return session_is_open(self.facts.status, self.facts.start, self.facts.end, t)


@dataclass
class SiteView:
    facts: SiteFacts
    cadence_choice: Cadence
    device_count: int
    last_snapshot_at: datetime | None
    open_session: SessionView | None = None
    """The open session that gets the slots now: of several, the one the overlap rule
    chooses (:func:`snapwatch.schedule.sessions.precedence`)."""
    other_open_sessions: list[SessionView] = field(default_factory=list)
    """The other sessions open now: they overlap ``open_session`` and get no slots while
    it owns the time."""
    sessions: list[SessionView] = field(default_factory=list)
    """The sessions still owed snapshots (:func:`snapwatch.schedule.sessions.sessions_still_owed`):
    the current ones and the one before, in order of precedence (the winner last)."""
    pauses: list[PauseRecord] = field(default_factory=list)
    """The pauses covering the site (its own and the global ones) since the previous
    session's look-back."""
    reason: Reason | None = None

    @property
    def cadence(self) -> float | None:
        """Hours between snapshots (None: not scheduled, see ``cadence_choice``)."""
        return self.cadence_choice.hours

    def paused_at(self, t: datetime) -> PauseRecord | None:
        """The pause holding the site at ``t``: its own first, else a global one."""
        held = [p for p in self.pauses if p.active_at(t)]
        return next((p for p in held if p.site_id is not None), held[0] if held else None)

    def plan(
        self, now: datetime, sched: SchedulerSettings, plans: Plans | None = None
    ) -> SitePlan | None:
        """What is owed at ``now``: also the last slots of a session that has just ended
        while no new one is open yet. None when the site has no cadence or no devices.
        With ``plans``, a plan already made there for the same inputs is reused."""
        if self.cadence is None or self.device_count < 1 or not self.sessions:
            return None
        return (plan_site if plans is None else plans.plan)(
            sessions=[s.window() for s in self.sessions],
            cadence_hours=self.cadence,
            now=now,
            settle_seconds=sched.settle_seconds,
            catch_up=sched.catch_up,
            max_slots=sched.catch_up_max_slots,
            late_grace_seconds=sched.late_grace_seconds,
            paused=[(p.paused_at, p.until) for p in self.pauses],
        )

    def force(self, now: datetime) -> tuple[SessionView, PlannedSlot | str]:
        """The open session's current slot cut at ``now`` (or why not). The site must be
        eligible (an open session and a cadence)."""
        session = self.open_session
        if session is None or self.cadence is None:
            raise ValueError("only an eligible site can be forced")
        slot = plan_force(
            sessions=[s.window() for s in self.sessions],
            index=self.sessions.index(session),
            cadence_hours=self.cadence,
            now=now,
        )
        return session, slot

    def overlapping(self, session: SessionView) -> list[SessionView]:
        """The site's other sessions open at some instant while ``session`` was."""
        windows = [s.window() for s in self.sessions]
        return [self.sessions[i] for i in overlapping(windows, self.sessions.index(session))]


@dataclass(frozen=True)
class SiteRef:
    site_id: UUID
    name: str


class SiteNotFound(SnapwatchError):
    """A site selector that names no site, or more than one."""


async def resolve_site(conn: AsyncConnection[Any], text: str) -> SiteRef:
    """The one site ``text`` names: its id, its site_code, or its name in any case.

    Raises :class:`SiteNotFound` (one line, with close matches) when it names none or
    several."""
    wanted = text.strip()
    rows = await dict_rows(conn, SELECTOR_SQL, {"text": wanted})
    for key in ("by_id", "by_code", "by_name"):
        hits = [r for r in rows if r[key]]
        if len(hits) == 1:
            return SiteRef(hits[0]["site_id"], hits[0]["name"])
        if len(hits) > 1:
            named = ", ".join(f"{r['name']!r} ({r['site_id']})" for r in hits[:4])
            more = ", ..." if len(hits) > 4 else ""
            raise SiteNotFound(f"{len(hits)} sites match {text!r}: {named}{more}; give the site id")
    raise SiteNotFound(f"no site matches {text!r}{_close_matches(wanted, rows)}")


def _close_matches(text: str, rows: list[dict[str, Any]]) -> str:
    names = {r["name"].lower(): r["name"] for r in rows}
    lowered = text.lower()
    found = [names[n] for n in difflib.get_close_matches(lowered, list(names), n=3, cutoff=0.5)]
    found += [name for low, name in names.items() if lowered and lowered in low]
    unique = list(dict.fromkeys(found))[:3]
    if not unique:
        return " (give a site id, site_code or name)"
    return " (did you mean " + ", ".join(repr(n) for n in unique) + "?)"


async def read_site_pauses(conn: AsyncConnection[Any], now: datetime) -> list[PauseRecord]:
    """The pauses :func:`load_sites` judges sites by at ``now`` (every scope): those that
    held since the previous session's look-back."""
    return await read_pauses(conn, now - PREVIOUS_SESSION_LOOKBACK, now)


@dataclass(frozen=True)
class SiteInputs:
    """One read of what sites are judged by, as read: the rows of :data:`SITES_SQL` (the
    columns of :class:`SiteRow`), those of :data:`SESSIONS_SQL` of each site (under the
    site id's text) and the pauses (every scope). Rows are compared with the read
    before's and made into views only when they changed."""

    rows: list[tuple[Any, ...]]
    session_rows: Mapping[str, list[SessionKey]]
    pauses: list[PauseRecord]

    def sessions_of(self, site_key: str) -> list[SessionKey]:
        """The sessions read for the site whose id's text is ``site_key``, as read."""
        return self.session_rows.get(site_key, NO_SESSIONS)

    def session_views(self, site_key: str) -> list[SessionView]:
        """The views of those sessions (each kept from read to read while it reads the
        same)."""
        made = _SESSION_VIEWS.get
        return [made(r[1], r, _session_view_of) for r in self.sessions_of(site_key)]

    def pauses_of(self, site_key: str) -> tuple[PauseRecord, ...]:
        """The pauses covering the site whose id's text is ``site_key`` (its own and the
        global ones)."""
        if not self.pauses:
            return ()
        site_id = UUID(site_key)
        return tuple(p for p in self.pauses if p.covers(site_id))


NO_SESSIONS: list[SessionKey] = []


async def read_site_inputs(
    conn: AsyncConnection[Any],
    now: datetime,
    site: UUID | None = None,
    *,
    pauses: list[PauseRecord] | None = None,
    zones: bool = True,
) -> SiteInputs:
    """What :func:`load_sites` judges every site (or the one given) by at ``now``
    (``pauses``, ``zones``: as there)."""
    since = now - PREVIOUS_SESSION_LOOKBACK
    rows = await _site_rows(conn, site, zones)
    params = {
        "site": site,
        "now": now,
        "since": since,
        "started_since": since - PREVIOUS_SESSION_LOOKBACK,
    }
    # Never prepared: a prepared statement's generic plan, made for any site filter and
    # any instant, joins the fleet's snapshot rows session by session (several times
    # slower than the plan made for the values given).
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SESSIONS_SQL, params, binary=True, prepare=False)
        session_rows = await cur.fetchall()
    per_site: dict[str, list[SessionKey]] = defaultdict(list)
    for row in session_rows:
        per_site[row[0]].append(row)
    _SESSION_VIEWS.turn()
    _ATTACHED.turn()
    if pauses is None:
        pauses = await read_site_pauses(conn, now)
    return SiteInputs(rows, per_site, pauses)


async def load_sites(
    conn: AsyncConnection[Any],
    now: datetime,
    site: UUID | None = None,
    *,
    pauses: list[PauseRecord] | None = None,
    zones: bool = True,
) -> list[SiteView]:
    """All sites (or the one given), with eligibility at ``now`` and their sessions
    (``pauses``: :func:`read_site_pauses` at ``now``, read here when not given).

    ``zones=False`` leaves ``facts.zones`` None (not read, not decoded): for the reads
    that judge sites and never build a snapshot, where a fleet's zones cost more than
    everything else about its sites."""
    inputs = await read_site_inputs(conn, now, site, pauses=pauses, zones=zones)
    return [
        site_view_at(r, inputs.session_views(r[0]), inputs.pauses_of(r[0]), now)
        for r in inputs.rows
    ]


def site_view_at(
    row: Sequence[Any],
    sessions: list[SessionView],
    pauses: Sequence[PauseRecord],
    now: datetime,
) -> SiteView:
    """The site of ``row`` (a :data:`SITES_SQL` row) at ``now`` with the sessions read
    for it: its sessions still owed, the open one, the pauses covering it and its
    eligibility."""
    view = _site_view(SiteRow._make(row))
    _attach_sessions(view, sessions, now)
    if pauses:
        view.pauses = list(pauses)
    view.reason = eligibility(
        view.cadence_choice,
        view.device_count,
        view.open_session is not None,
        view.paused_at(now) is not None,
    )
    return view


async def read_site_views(
    conn: AsyncConnection[Any], site: UUID | None = None, *, zones: bool = True
) -> list[SiteView]:
    """Every site (or the one given) with its facts, cadence and device count; no sessions
    (``zones=False``: as :func:`load_sites` says)."""
    return [_site_view(SiteRow._make(r)) for r in await _site_rows(conn, site, zones)]


async def _site_rows(
    conn: AsyncConnection[Any], site: UUID | None, zones: bool
) -> list[tuple[Any, ...]]:
    """The rows of :data:`SITES_SQL` as plain tuples (no row is made an object first: a
    fleet is thousands of rows a read)."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SITES_SQL, {"site": site, "zones": zones})
        return await cur.fetchall()


# A fleet has a handful of distinct cadence columns: each pair is chosen once (the columns
# are read as float8 and integer; typed, so that 1 and True or 1.0 stay apart).
_cadence = lru_cache(maxsize=256, typed=True)(choose_cadence)


class SiteRow(NamedTuple):
    """A :data:`SITES_SQL` row: its ids as text and its instant as a UTC wall-clock time
    (naive), as :data:`SESSIONS_SQL` reads them (a fleet's rows are compared with the
    read before's, and made into views only when they changed)."""

    site_id: str
    site_name: str
    site_code: int | None
    site_type: str | None
    length: float | None
    width: float | None
    height: float | None
    timezone: str | None
    zones: Any
    cadence_hours_raw: float | None
    snapshot_cadence_per_day: int | None
    last_snapshot_at: datetime | None
    program_id: str
    program_name: str
    program_start_date: date
    program_end_date: date
    company_id: str | None
    company_name: str | None
    device_count: int


def _site_view(r: SiteRow) -> SiteView:
    facts = SiteFacts(
        site_id=UUID(r.site_id),
        site_name=r.site_name,
        site_code=r.site_code,
        site_type=r.site_type,
        length=r.length,
        width=r.width,
        height=r.height,
        timezone=r.timezone,
        zones=r.zones,
        program_id=UUID(r.program_id),
        program_name=r.program_name,
        program_start_date=r.program_start_date,
        program_end_date=r.program_end_date,
        company_id=None if r.company_id is None else UUID(r.company_id),
        company_name=r.company_name,
    )
    return SiteView(
        facts=facts,
        cadence_choice=_cadence(r.cadence_hours_raw, r.snapshot_cadence_per_day),
        device_count=int(r.device_count),
        last_snapshot_at=_aware(r.last_snapshot_at),
    )


class SessionRow(NamedTuple):
    """A :data:`SESSIONS_SQL` row."""

    site_id: UUID
    session_id: UUID
    session_date: date
    session_start_time: datetime
    session_end_time: datetime
    status: str
    expected_wake_count: int
    locked_at: datetime | None


class SnapshotState(NamedTuple):
    """What a session's snapshots cover so far: the last columns of a :data:`SESSIONS_SQL`
    row (the provisional rows' arrays are None when it has none)."""

    covered_from: datetime | None
    covered_until: datetime | None
    last_wake_number: int
    prov_starts: tuple[datetime, ...] | None
    prov_wakes: tuple[int, ...] | None


SessionKey = tuple[Any, ...]
"""A :data:`SESSIONS_SQL` row as read: the columns of :class:`SessionRow` (its ids as
text: the session's id is the key its view is kept under, and a uuid's text hashes
several times faster than a :class:`~uuid.UUID`), then those of :class:`SnapshotState`
(all None: the session has no snapshots). Its arrays are lists; its instants are UTC
wall-clock times (naive). Rows are compared, never hashed."""


def _session_view_of(key: SessionKey) -> SessionView:
    (
        site,
        session,
        day,
        start,
        end,
        status,
        wakes,
        locked,
        covered_from,
        covered_until,
        last_wake,
        prov_starts,
        prov_wakes,
    ) = key
    state = (
        None
        if last_wake is None
        else SnapshotState(
            _aware(covered_from),
            _aware(covered_until),
            last_wake,
            None if prov_starts is None else tuple(t.replace(tzinfo=UTC) for t in prov_starts),
            None if prov_wakes is None else tuple(prov_wakes),
        )
    )
    row = SessionRow(
        UUID(site),
        UUID(session),
        day,
        start.replace(tzinfo=UTC),
        end.replace(tzinfo=UTC),
        status,
        wakes,
        _aware(locked),
    )
    return _session_view(row, state)


def _aware(utc: datetime | None) -> datetime | None:
    """A UTC wall-clock time read (naive) as the instant it is."""
    return None if utc is None else utc.replace(tzinfo=UTC)


def _attach_sessions(view: SiteView, read: list[SessionView], now: datetime) -> None:
    """The sessions still owed, in order of precedence; the open one that gets the slots
    and the others open beside it."""
    if not read:
        return
    # The same views at an instant in the same phase of each (session_phase: all the rules
    # ask of the instant) give the same answer. Each view is kept alive by the answer kept
    # for it, so no other view has its id while that answer is kept.
    key = (
        tuple(map(id, read)),
        tuple(session_phase(s.facts.start, s.facts.end, now) for s in read),
    )
    _, owed, chosen, others = _ATTACHED.get(key, lambda _: _attached(read, now))
    view.sessions = list(owed)
    view.open_session = chosen
    view.other_open_sessions = list(others)


Attached = tuple[
    tuple[SessionView, ...], tuple[SessionView, ...], SessionView | None, tuple[SessionView, ...]
]
"""The views read (kept alive), the sessions still owed, the open session chosen and the
others open beside it."""


def _attached(read: list[SessionView], now: datetime) -> Attached:
    ranked = sorted(read, key=lambda s: precedence(s.window()))
    owed = [ranked[i] for i in sessions_still_owed([s.window() for s in ranked], now)]
    windows = [s.window() for s in owed]
    open_now = [i for i, s in enumerate(owed) if s.is_open(now)]
    chosen = chosen_session(windows, open_now)
    if chosen is None:
        return tuple(read), tuple(owed), None, ()
    others = tuple(owed[i] for i in open_now if i != chosen)
    return tuple(read), tuple(owed), owed[chosen], others


# Which of a site's sessions are owed and open, worked out again only when its sessions or
# their phase at the instant changed.
_ATTACHED: RowMemo[tuple[tuple[int, ...], tuple[tuple[bool, bool], ...]], Attached] = RowMemo()


def session_view(r: Mapping[str, Any], state: SnapshotState | None) -> SessionView:
    """A ``site_device_sessions`` row read by column name (the columns of
    :class:`SessionRow`) and the state of its snapshots (None: as if it had none)."""
    return _session_view(SessionRow(*(r[name] for name in SessionRow._fields)), state)


def _session_view(r: SessionRow, state: SnapshotState | None) -> SessionView:
    """Instants are kept in UTC, the planner's, so that it converts none of them again."""
    facts = SessionFacts(
        session_id=r.session_id,
        session_date=r.session_date,
        start=as_utc(r.session_start_time, "session_start"),
        end=as_utc(r.session_end_time, "session_end"),
        status=r.status,
        expected_wake_count=int(r.expected_wake_count),
    )
    # A locked session owes the slots that ended before it was locked; without a lock time
    # it is taken as locked at its end.
    locked = r.locked_at
    closed = as_utc(locked, "locked_at") if r.status == "locked" and locked is not None else None
    return SessionView(
        facts=facts,
        state=_session_state(state),
        closed_at=closed if closed is not None and closed < facts.end else None,
    )


# A session's view is made again only when its row or its snapshots' state changed (kept
# under its id's text).
_SESSION_VIEWS: RowMemoById[str, SessionKey, SessionView] = RowMemoById()


def _session_state(state: SnapshotState | None) -> SessionState:
    if state is None:
        return NO_SNAPSHOTS
    covered_from, covered_until = state.covered_from, state.covered_until
    starts, wakes = state.prov_starts or (), state.prov_wakes or ()
    return SessionState(
        covered_from=None if covered_from is None else as_utc(covered_from, "covered_from"),
        covered_until=None if covered_until is None else as_utc(covered_until, "covered_until"),
        last_wake_number=int(state.last_wake_number),
        provisional={
            as_utc(start, "wake_round_start"): wake
            for start, wake in zip(starts, wakes, strict=True)
        }
        if starts
        else NO_PROVISIONAL,
    )


NO_PROVISIONAL: Mapping[datetime, int] = MappingProxyType({})
NO_SNAPSHOTS = SessionState(None, None, last_wake_number=0, provisional=NO_PROVISIONAL)
