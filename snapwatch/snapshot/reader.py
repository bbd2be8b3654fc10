"""Set-based reads of everything the documents of one tick need.

Whatever the number of sites and rounds, a tick runs the same five queries. The rounds
are sent as three arrays (site, start, end); PostgreSQL joins each round to the site's
counting devices and walks an index on (device_id, captured_at DESC) per (device, round)
pair, so the cost grows with the number of due devices, not with the length of the
stored history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from snapwatch.sitestate import with_counting_devices
from snapwatch.snapshot.inputs import (
    DeviceFacts,
    DeviceObservations,
    RoundAlert,
    RoundImage,
    ScoredImage,
    TelemetryRow,
)

DEVICES_SQL = with_counting_devices("""
SELECT d.site_id, d.device_id, d.device_code, d.device_name, d.device_mac,
       d.x_position::float8 AS x, d.y_position::float8 AS y, d.zone_id, d.zone_label,
       d.is_active, d.provisioning_status, d.battery_voltage::float8 AS battery_voltage,
       d.battery_health_percent, d.last_seen_at
  FROM devices d
 WHERE d.site_id = ANY(%(sites)s::uuid[]) AND {counting_device}
""")

# Each query pairs every round (r.i numbers them from 1) with the counting devices of its
# site. The newest payload with any telemetry captured before the round end:
TELEMETRY_SQL = with_counting_devices("""
SELECT r.i, d.device_id, t.*
  FROM unnest(%(sites)s::uuid[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
       WITH ORDINALITY AS r(site_id, s, e, i)
  JOIN devices d ON d.site_id = r.site_id AND {counting_device}
 CROSS JOIN LATERAL (
        SELECT p.payload_id, p.captured_at, p.temperature::float8,
               p.humidity::float8, p.pressure::float8, p.gas_resistance::float8,
               p.battery_voltage::float8, p.wifi_rssi, p.image_id
          FROM device_wake_payloads p
         WHERE p.device_id = d.device_id AND p.captured_at < r.e
           AND (p.temperature IS NOT NULL OR p.humidity IS NOT NULL
                OR p.pressure IS NOT NULL OR p.gas_resistance IS NOT NULL
                OR p.battery_voltage IS NOT NULL OR p.wifi_rssi IS NOT NULL)
         ORDER BY p.captured_at DESC
         LIMIT 1) t
""")

# The two newest scores in 0..1 before the round end (valid = true), and the newest score
# of any value when it is outside 0..1: passed over, and reported as rejected.
SCORES_SQL = with_counting_devices("""
SELECT r.i, d.device_id, m.*
  FROM unnest(%(sites)s::uuid[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
       WITH ORDINALITY AS r(site_id, s, e, i)
  JOIN devices d ON d.site_id = r.site_id AND {counting_device}
 CROSS JOIN LATERAL (
        (SELECT g.image_id, g.captured_at, g.mgi_score::float8, true AS valid
           FROM device_images g
          WHERE g.device_id = d.device_id AND g.captured_at < r.e
            AND g.mgi_score IS NOT NULL AND g.mgi_score BETWEEN 0 AND 1
          ORDER BY g.captured_at DESC
          LIMIT 2)
        UNION ALL
        (SELECT x.image_id, x.captured_at, x.mgi_score, false
           FROM (SELECT g.image_id, g.captured_at, g.mgi_score::float8 AS mgi_score
                   FROM device_images g
                  WHERE g.device_id = d.device_id AND g.captured_at < r.e
                    AND g.mgi_score IS NOT NULL
                  ORDER BY g.captured_at DESC
                  LIMIT 1) x
          WHERE NOT (x.mgi_score BETWEEN 0 AND 1))) m
""")

# Images captured inside the round, scored or not, in range or not.
IMAGES_SQL = with_counting_devices("""
SELECT r.i, d.device_id, g.*
  FROM unnest(%(sites)s::uuid[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
       WITH ORDINALITY AS r(site_id, s, e, i)
  JOIN devices d ON d.site_id = r.site_id AND {counting_device}
 CROSS JOIN LATERAL (
        SELECT x.image_id, x.image_url, x.mgi_score::float8, x.captured_at,
               x.observation_type, x.wake_payload_id
          FROM device_images x
         WHERE x.device_id = d.device_id AND x.captured_at >= r.s AND x.captured_at < r.e
         ORDER BY x.captured_at) g
""")

# Alerts triggered inside the round, whichever device (or none) they name.
ALERTS_SQL = """
SELECT r.i, a.*
  FROM unnest(%(sites)s::uuid[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
       WITH ORDINALITY AS r(site_id, s, e, i)
  CROSS JOIN LATERAL (
        SELECT x.alert_id, x.device_id, x.alert_type, x.severity, x.message, x.triggered_at
          FROM device_alerts x
         WHERE x.site_id = r.site_id AND x.triggered_at >= r.s AND x.triggered_at < r.e
         ORDER BY x.triggered_at) a
"""


@dataclass(frozen=True)
class RoundKey:
    site_id: UUID
    start: datetime
    end: datetime


@dataclass
class RoundData:
    """Observations of one round, per device, plus alerts that belong to no device."""

    observations: dict[UUID, DeviceObservations] = field(default_factory=dict)
    site_alerts: tuple[RoundAlert, ...] = ()


@dataclass
class _Acc:
    telemetry: TelemetryRow | None = None
    mgi: list[ScoredImage] = field(default_factory=list)
    rejected: list[ScoredImage] = field(default_factory=list)
    images: list[RoundImage] = field(default_factory=list)
    alerts: list[RoundAlert] = field(default_factory=list)


async def read_devices(
    conn: AsyncConnection[dict[str, Any]], site_ids: list[UUID]
) -> dict[UUID, tuple[DeviceFacts, ...]]:
    """The counting devices of each site."""
    out: dict[UUID, list[DeviceFacts]] = defaultdict(list)
    for r in await (await conn.execute(DEVICES_SQL, {"sites": site_ids})).fetchall():
        site_id = r.pop("site_id")
        out[site_id].append(DeviceFacts(**r))
    return {k: tuple(v) for k, v in out.items()}


async def read_rounds(
    conn: AsyncConnection[dict[str, Any]],
    rounds: list[RoundKey],
    devices: dict[UUID, tuple[DeviceFacts, ...]],
) -> dict[RoundKey, RoundData]:
    """Observations for every round, in one query per kind of observation."""
    if not rounds:
        return {}
    args = {
        "sites": [k.site_id for k in rounds],
        "starts": [k.start for k in rounds],
        "ends": [k.end for k in rounds],
    }
    accs: dict[tuple[int, UUID], _Acc] = defaultdict(_Acc)
    for i, device_id, *rest in await _rows(conn, TELEMETRY_SQL, args):
        accs[i, device_id].telemetry = TelemetryRow(*rest)
    for i, device_id, image_id, at, score, valid in await _rows(conn, SCORES_SQL, args):
        acc = accs[i, device_id]
        (acc.mgi if valid else acc.rejected).append(ScoredImage(image_id, at, score))
    for i, device_id, *rest in await _rows(conn, IMAGES_SQL, args):
        accs[i, device_id].images.append(RoundImage(*rest))
    alerts: dict[int, list[RoundAlert]] = defaultdict(list)
    for i, *rest in await _rows(conn, ALERTS_SQL, args):
        alerts[i].append(RoundAlert(*rest))
    return {
        key: _round_data(accs, i, devices.get(key.site_id, ()), alerts[i])
        for i, key in enumerate(rounds, start=1)
    }


def _round_data(
    accs: dict[tuple[int, UUID], _Acc],
    i: int,
    devices: tuple[DeviceFacts, ...],
    alerts: list[RoundAlert],
) -> RoundData:
    known = {d.device_id for d in devices}
    site_alerts: list[RoundAlert] = []
    for alert in alerts:
        if alert.device_id in known:
            accs[i, alert.device_id].alerts.append(alert)
        else:
            site_alerts.append(alert)
    data = RoundData(site_alerts=tuple(site_alerts))
    for dev in devices:
        acc = accs.get((i, dev.device_id)) or _Acc()
        data.observations[dev.device_id] = DeviceObservations(
            telemetry=acc.telemetry,
            mgi=tuple(sorted(acc.mgi, key=lambda m: m.captured_at, reverse=True)),
            rejected_mgi=tuple(acc.rejected),
            images=tuple(acc.images),
            alerts=tuple(acc.alerts),
        )
    return data


async def _rows(
    conn: AsyncConnection[dict[str, Any]], query: str, args: dict[str, Any]
) -> list[tuple[Any, ...]]:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(query, args)
        return await cur.fetchall()
