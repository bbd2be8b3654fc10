"""Set-based reads of everything the documents of one tick need, as of each round.

Whatever the number of sites and rounds, a batch of rounds is read by the same six
queries (and a seventh only when some device has a score outside 0..1): whether placement
history is readable, the roster of every round with its devices' facts as of the round
end, telemetry, scores, images and alerts. The rounds are sent as three arrays (site,
start, end); PostgreSQL joins each round to the devices that counted for it and walks an
index on (device_id, captured_at DESC) per (round, device) pair, so the cost grows with
the number of due devices, not with the length of the stored history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import tuple_row

from snapwatch.snapshot.inputs import (
    CapturedImage,
    DeviceFacts,
    DeviceObservations,
    RoundAlert,
    ScoredImage,
    TelemetryRow,
)

# A device counts when it is active and not inactive or decommissioned (a NULL
# provisioning_status counts). A predicate on ``devices d``, not a view: a view would stop
# the platform from dropping or retyping the columns it names. The cast reads enums too.
# The platform keeps no history of is_active or provisioning_status: this is today's
# state, for past rounds too.
COUNTING_DEVICE = """(d.is_active IS TRUE
       AND (d.provisioning_status IS NULL
            OR d.provisioning_status::text NOT IN ('inactive', 'decommissioned')))"""

# Where a device was placed during a round ``r`` (site r.site_id, [r.s, r.e)), on top of
# COUNTING_DEVICE. With placement history (the platform's device_site_assignments): a
# device that has assignment rows counts for the sites it was assigned to at some instant
# of the round; a device without any counts where its devices row places it today.
# ``{assigned}``: an assignment ``a`` to the round's site in force at some instant of it.
ASSIGNED_IN_ROUND = """a.site_id = r.site_id AND a.assigned_at < r.e
                  AND (a.unassigned_at IS NULL OR a.unassigned_at > r.s)"""
PLACED_BY_HISTORY = """(EXISTS (SELECT FROM public.device_site_assignments a
                WHERE a.device_id = d.device_id AND {assigned})
        OR (d.site_id = r.site_id
            AND NOT EXISTS (SELECT FROM public.device_site_assignments a
                             WHERE a.device_id = d.device_id)))"""
# Without it (no such table, or the role may not read it): today's placement.
PLACED_TODAY = "d.site_id = r.site_id"

# Whether the role can read placement history. Row-level security that hides its rows
# from the role is not seen here: every device then reads as one without history.
PLACEMENT_HISTORY_SQL = """
SELECT coalesce(has_table_privilege(to_regclass('public.device_site_assignments'),
                                    'SELECT'), false) AS readable
"""

FLOAT8 = sql.SQL(
    "CASE WHEN abs({v}) > 1.7976931348623157e308 THEN sign({v}) * 'Infinity'::float8"
    " WHEN abs({v}) < 2.2250738585072014e-308 THEN 0::float8 ELSE {v}::float8 END AS {name}"
)


def float8(column: str, name: str) -> sql.Composed:
    """The number ``column`` (``alias.column``) as float8, named ``name``, whatever its
    size: ±Infinity beyond float8's range (the document reports it as not finite), 0
    closer to 0 than its normal range, NaN as NaN. A plain cast raises on such a number,
    and one of them would fail the read of every site read with it."""
    return FLOAT8.format(v=sql.Identifier(*column.split(".")), name=sql.Identifier(name))


# The rounds of a read, sent as three arrays (site, start, end) and numbered from 1 (r.i)
# in the order sent: ``{rounds}`` in a query.
ROUNDS = """unnest(%(sites)s::uuid[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
       WITH ORDINALITY AS r(site_id, s, e, i)"""

# Every round (r) paired with each device (d) that counted for it: ``{roster}`` in a
# query. With placement history, the candidates are the devices placed at the site today
# and those assigned to it during the round (indexes on devices (site_id) and
# device_site_assignments (site_id)), and the predicate decides; without it, today's
# devices of the site.
ROSTER_TODAY = """{rounds}
  JOIN devices d ON {placed} AND {counting_device}"""
ROSTER_BY_HISTORY = """{rounds}
 CROSS JOIN LATERAL (
        SELECT x.device_id FROM devices x WHERE x.site_id = r.site_id
         UNION
        SELECT a.device_id FROM public.device_site_assignments a WHERE {assigned}) c
  JOIN devices d ON d.device_id = c.device_id AND {placed} AND {counting_device}"""


@dataclass(frozen=True)
class Query:
    """A query's text in its two variants: the roster from placement history, and from
    today's devices rows (the query names no table that may be missing)."""

    history: str
    today: str

    def text(self, history: bool) -> str:
        return self.history if history else self.today


def query(template: str, **numbers: str) -> Query:
    """``template`` with the rounds paired with their devices (:data:`ROSTER_TODAY` or
    :data:`ROSTER_BY_HISTORY`) in place of ``{roster}``, the rounds (:data:`ROUNDS`) in
    place of ``{rounds}``, and in place of each ``{name}`` the column ``numbers[name]``
    read by :func:`float8`; both variants, built once."""
    floats = {name: float8(column, name) for name, column in numbers.items()}

    def text(roster: str, placed: str) -> str:
        assigned = sql.SQL(ASSIGNED_IN_ROUND)
        fragment = (
            sql.SQL(roster)
            .format(
                rounds=sql.SQL(ROUNDS),
                placed=sql.SQL(placed).format(assigned=assigned),
                counting_device=sql.SQL(COUNTING_DEVICE),
                assigned=assigned,
            )
            .as_string()
        )
        return (
            sql.SQL(template)
            .format(roster=sql.SQL(fragment), rounds=sql.SQL(ROUNDS), **floats)
            .as_string()
        )

    return Query(
        history=text(ROSTER_BY_HISTORY, PLACED_BY_HISTORY), today=text(ROSTER_TODAY, PLACED_TODAY)
    )


# The devices that counted for each round, with their facts as of the round end: when it
# was last seen (its newest wake payload before the round end) and its battery (the
# newest payload before the round end that has one). One walk of the payload index per
# (round, device): the newest payload gives both, usually; when it has no battery
# reading, the walk goes on down the same index to the newest one that has (for a device
# that never reports one, its whole history before the round end). Identity, position,
# zone, state and battery health have no history: from the devices row.
ROSTER_SQL = query(
    """
SELECT r.i, d.device_id, d.device_code, d.device_name, d.device_mac, {x}, {y},
       d.zone_id, d.zone_label, d.is_active, d.provisioning_status, {battery_voltage},
       d.battery_health_percent, w.last_seen_at
  FROM {roster}
  LEFT JOIN LATERAL (
        SELECT p.captured_at AS last_seen_at,
               coalesce(p.battery_voltage,
                        (SELECT q.battery_voltage
                           FROM device_wake_payloads q
                          WHERE q.device_id = d.device_id AND q.captured_at < r.e
                            AND q.battery_voltage IS NOT NULL
                          ORDER BY q.captured_at DESC
                          LIMIT 1)) AS battery_voltage
          FROM device_wake_payloads p
         WHERE p.device_id = d.device_id AND p.captured_at < r.e
         ORDER BY p.captured_at DESC
         LIMIT 1) w ON TRUE
""",
    x="d.x_position",
    y="d.y_position",
    battery_voltage="w.battery_voltage",
)

# Each query pairs every round (r.i numbers them from 1) with the devices that counted for
# it. The newest payload with any telemetry captured before the round end:
TELEMETRY_SQL = query(
    """
SELECT r.i, d.device_id, t.*
  FROM {roster}
 CROSS JOIN LATERAL (
        SELECT p.payload_id, p.captured_at, {temperature}, {humidity}, {pressure},
               {gas_resistance}, {battery_voltage}, p.wifi_rssi, p.image_id
          FROM device_wake_payloads p
         WHERE p.device_id = d.device_id AND p.captured_at < r.e
           AND (p.temperature IS NOT NULL OR p.humidity IS NOT NULL
                OR p.pressure IS NOT NULL OR p.gas_resistance IS NOT NULL
                OR p.battery_voltage IS NOT NULL OR p.wifi_rssi IS NOT NULL)
         ORDER BY p.captured_at DESC
         LIMIT 1) t
""",
    temperature="p.temperature",
    humidity="p.humidity",
    pressure="p.pressure",
    gas_resistance="p.gas_resistance",
    battery_voltage="p.battery_voltage",
)

# The two newest scores before the round end, of any value, with whether each is in 0..1.
# Usually both are, and they are the two newest valid scores; when one is not (another
# scorer's 0-100 data), the newest is reported as rejected if it is out of range, and the
# two newest valid ones are read by VALID_SCORES_SQL for those devices only. One index
# walk per device instead of two.
SCORES_SQL = query(
    """
SELECT r.i, d.device_id, m.*
  FROM {roster}
 CROSS JOIN LATERAL (
        SELECT g.image_id, g.captured_at, {mgi_score},
               g.mgi_score BETWEEN 0 AND 1 AS valid
          FROM device_images g
         WHERE g.device_id = d.device_id AND g.captured_at < r.e
           AND g.mgi_score IS NOT NULL
         ORDER BY g.captured_at DESC
         LIMIT 2) m
""",
    mgi_score="g.mgi_score",
)

# The two newest scores in 0..1 before the round end, for the (round, device) pairs
# whose newest scores were not all valid.
VALID_SCORES_SQL = """
SELECT x.i, x.device_id, m.*
  FROM unnest(%(rounds)s::int8[], %(devices)s::uuid[], %(ends)s::timestamptz[])
       AS x(i, device_id, e)
 CROSS JOIN LATERAL (
        SELECT g.image_id, g.captured_at, g.mgi_score::float8
          FROM device_images g
         WHERE g.device_id = x.device_id AND g.captured_at < x.e
           AND g.mgi_score IS NOT NULL AND g.mgi_score BETWEEN 0 AND 1
         ORDER BY g.captured_at DESC
         LIMIT 2) m
"""

# Images captured inside the round, scored or not, in range or not.
IMAGES_SQL = query(
    """
SELECT r.i, d.device_id, g.*
  FROM {roster}
 CROSS JOIN LATERAL (
        SELECT x.image_id, x.image_url, {mgi_score}, x.captured_at,
               x.observation_type, x.wake_payload_id
          FROM device_images x
         WHERE x.device_id = d.device_id AND x.captured_at >= r.s AND x.captured_at < r.e
         ORDER BY x.captured_at) g
""",
    mgi_score="x.mgi_score",
)

# Alerts triggered inside the round, whichever device (or none) they name.
ALERTS_SQL = query(
    """
SELECT r.i, a.*
  FROM {rounds}
  CROSS JOIN LATERAL (
        SELECT x.alert_id, x.device_id, x.alert_type, x.severity, x.message, x.triggered_at
          FROM device_alerts x
         WHERE x.site_id = r.site_id AND x.triggered_at >= r.s AND x.triggered_at < r.e
         ORDER BY x.triggered_at) a
"""
)


@dataclass(frozen=True)
class RoundKey:
    site_id: UUID
    start: datetime
    end: datetime


@dataclass
class RoundData:
    """One round as of its end: the devices that counted for it (with their facts as of
    the round end), their observations, and the alerts that belong to none of them."""

    devices: tuple[DeviceFacts, ...] = ()
    observations: dict[UUID, DeviceObservations] = field(default_factory=dict)
    site_alerts: tuple[RoundAlert, ...] = ()
    roster_from_today: bool = False
    """No placement history could be read: ``devices`` are those placed at the site today
    (a reconstructed document says so in ``data_quality``)."""


Pair = tuple[int, UUID]
"""(round number, device id): the key of every observation read for a round."""
PAIR = ("i", "device_id")


async def read_rounds(
    conn: AsyncConnection[dict[str, Any]], rounds: list[RoundKey]
) -> dict[RoundKey, RoundData]:
    """Every round's devices and observations, as of its end, in one query per kind."""
    if not rounds:
        return {}
    history = await _placement_history(conn)
    ends = [k.end for k in rounds]
    args = {"sites": [k.site_id for k in rounds], "starts": [k.start for k in rounds], "ends": ends}
    roster: dict[int, list[DeviceFacts]] = defaultdict(list)
    rows, round_of, fields = await read_by_name(
        conn, ROSTER_SQL.text(history), args, ("i",), DeviceFacts
    )
    for row in rows:
        roster[round_of(row)].append(DeviceFacts._make(fields(row)))
    telemetry: dict[Pair, TelemetryRow] = {}
    rows, pair_of, fields = await read_by_name(
        conn, TELEMETRY_SQL.text(history), args, PAIR, TelemetryRow
    )
    for row in rows:
        telemetry[pair_of(row)] = TelemetryRow._make(fields(row))
    newest: dict[Pair, list[tuple[ScoredImage, bool]]] = defaultdict(list)
    for i, device_id, image_id, at, score, valid in await _rows(
        conn, SCORES_SQL.text(history), args
    ):
        newest[i, device_id].append((ScoredImage(image_id, at, score), valid))
    mgi, rejected = await _valid_scores(conn, newest, ends)
    images: dict[Pair, list[CapturedImage]] = defaultdict(list)
    rows, pair_of, fields = await read_by_name(
        conn, IMAGES_SQL.text(history), args, PAIR, CapturedImage
    )
    for row in rows:
        images[pair_of(row)].append(CapturedImage._make(fields(row)))
    alerts: dict[int, list[RoundAlert]] = defaultdict(list)
    rows, round_of, fields = await read_by_name(
        conn, ALERTS_SQL.text(history), args, ("i",), RoundAlert
    )
    for row in rows:
        alerts[round_of(row)].append(RoundAlert._make(fields(row)))
    out: dict[RoundKey, RoundData] = {}
    for i, key in enumerate(rounds, start=1):
        devices = tuple(roster.get(i, ()))
        by_device, site_alerts = _split_alerts(alerts.get(i, ()), devices)
        data = RoundData(devices=devices, site_alerts=site_alerts, roster_from_today=not history)
        for dev in devices:
            pair = (i, dev.device_id)
            data.observations[dev.device_id] = DeviceObservations(
                telemetry=telemetry.get(pair),
                mgi=mgi.get(pair, ()),
                rejected_mgi=rejected.get(pair, ()),
                images=tuple(images.get(pair, ())),
                alerts=by_device.get(dev.device_id, ()),
            )
        out[key] = data
    return out


async def _placement_history(conn: AsyncConnection[dict[str, Any]]) -> bool:
    """Whether the platform's placement history is there and the role may read it."""
    [(readable,)] = await _rows(conn, PLACEMENT_HISTORY_SQL, {})
    return bool(readable)


async def _valid_scores(
    conn: AsyncConnection[dict[str, Any]],
    newest: dict[Pair, list[tuple[ScoredImage, bool]]],
    ends: list[datetime],
) -> tuple[dict[Pair, tuple[ScoredImage, ...]], dict[Pair, tuple[ScoredImage, ...]]]:
    """Each device's two newest valid scores (newest first) and its rejected newest one,
    from its two newest scores of any value; the valid ones are read again where those
    were not all valid."""
    mgi: dict[Pair, tuple[ScoredImage, ...]] = {}
    rejected: dict[Pair, tuple[ScoredImage, ...]] = {}
    again: list[Pair] = []
    for pair, scores in newest.items():
        if len(scores) > 1 and scores[0][0].captured_at < scores[1][0].captured_at:
            scores.reverse()
        if all(valid for _, valid in scores):
            mgi[pair] = tuple(score for score, _ in scores)
            continue
        if not scores[0][1]:
            rejected[pair] = (scores[0][0],)
        again.append(pair)
    if again:
        args = {
            "rounds": [i for i, _ in again],
            "devices": [device_id for _, device_id in again],
            "ends": [ends[i - 1] for i, _ in again],
        }
        found: dict[Pair, list[ScoredImage]] = defaultdict(list)
        for i, device_id, image_id, at, score in await _rows(conn, VALID_SCORES_SQL, args):
            found[i, device_id].append(ScoredImage(image_id, at, score))
        for pair, scores_ in found.items():
            mgi[pair] = tuple(sorted(scores_, key=lambda m: m.captured_at, reverse=True))
    return mgi, rejected


def _split_alerts(
    alerts: Sequence[RoundAlert], devices: tuple[DeviceFacts, ...]
) -> tuple[dict[UUID, tuple[RoundAlert, ...]], tuple[RoundAlert, ...]]:
    """The round's alerts by counting device, and those of no counting device."""
    if not alerts:
        return {}, ()
    known = {d.device_id for d in devices}
    by_device: dict[UUID, list[RoundAlert]] = defaultdict(list)
    site_alerts: list[RoundAlert] = []
    for alert in alerts:
        if alert.device_id in known:
            by_device[alert.device_id].append(alert)
        else:
            site_alerts.append(alert)
    return {k: tuple(v) for k, v in by_device.items()}, tuple(site_alerts)


async def _rows(
    conn: AsyncConnection[dict[str, Any]], query: str, args: dict[str, Any]
) -> list[tuple[Any, ...]]:
    async with conn.cursor(row_factory=tuple_row, binary=True) as cur:
        await cur.execute(query, args)
        return await cur.fetchall()


async def read_by_name(
    conn: AsyncConnection[dict[str, Any]],
    query: str,
    args: dict[str, Any],
    keys: tuple[str, ...],
    record: type[tuple[Any, ...]],
) -> tuple[list[tuple[Any, ...]], itemgetter[Any], itemgetter[Any]]:
    """The rows of ``query``, a getter of the columns named ``keys`` (one value for one
    name, a tuple for more) and a getter of the columns named like the fields of the
    NamedTuple ``record``, in its order: ``record._make(fields(row))``. Columns are
    matched by name once per query, not by position per row, so a reordered or widened
    SELECT still maps each column to its field; a missing or ambiguous name is an error."""
    async with conn.cursor(row_factory=tuple_row, binary=True) as cur:
        await cur.execute(query, args)
        rows = await cur.fetchall()
        names = [column.name for column in cur.description or ()]
    fields: tuple[str, ...] = getattr(record, "_fields")  # noqa: B009 (a NamedTuple)
    wrong = [name for name in (*keys, *fields) if names.count(name) != 1]
    if wrong:
        raise LookupError(f"{record.__name__}: columns {wrong} missing or ambiguous in {names}")
    index = {name: names.index(name) for name in (*keys, *fields)}
    return rows, itemgetter(*(index[k] for k in keys)), itemgetter(*(index[f] for f in fields))
