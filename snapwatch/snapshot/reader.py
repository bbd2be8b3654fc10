"""Set-based reads of everything the documents of one tick need.

Whatever the number of sites and rounds, a tick runs the same six queries. Each one walks
an index on (device_id, captured_at DESC) per (device, round) pair, so its cost grows with
the number of due devices, not with the length of the stored history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.snapshot.inputs import (
    DeviceFacts,
    DeviceObservations,
    RoundAlert,
    RoundImage,
    ScoredImage,
    TelemetryRow,
)

DEVICES_SQL = """
SELECT d.site_id, d.device_id, d.device_code, d.device_name, d.device_mac,
       d.x_position::float8 AS x, d.y_position::float8 AS y, d.zone_id, d.zone_label,
       d.is_active, d.provisioning_status, d.battery_voltage::float8 AS battery_voltage,
       d.battery_health_percent, d.last_seen_at
  FROM devices d
 WHERE d.site_id = ANY(%(sites)s::uuid[]) AND d.is_active IS TRUE
   AND (d.provisioning_status IS NULL
        OR d.provisioning_status NOT IN ('inactive', 'decommissioned'))
"""

# Per (device, round): the newest payload with any telemetry captured before the round end.
TELEMETRY_SQL = """
SELECT r.i, t.*
  FROM unnest(%(devices)s::uuid[], %(ends)s::timestamptz[]) WITH ORDINALITY AS r(device_id, e, i)
  CROSS JOIN LATERAL (
        SELECT p.payload_id, p.captured_at, p.temperature::float8 AS temperature,
               p.humidity::float8 AS humidity, p.pressure::float8 AS pressure,
               p.gas_resistance::float8 AS gas_resistance,
               p.battery_voltage::float8 AS battery_voltage, p.wifi_rssi, p.image_id
          FROM device_wake_payloads p
         WHERE p.device_id = r.device_id AND p.captured_at < r.e
           AND (p.temperature IS NOT NULL OR p.humidity IS NOT NULL
                OR p.pressure IS NOT NULL OR p.gas_resistance IS NOT NULL
                OR p.battery_voltage IS NOT NULL OR p.wifi_rssi IS NOT NULL)
         ORDER BY p.captured_at DESC
         LIMIT 1) t
"""

# Per (device, round): the two newest scores in 0..1 captured before the round end.
MGI_SQL = """
SELECT r.i, m.*
  FROM unnest(%(devices)s::uuid[], %(ends)s::timestamptz[]) WITH ORDINALITY AS r(device_id, e, i)
  CROSS JOIN LATERAL (
        SELECT g.image_id, g.captured_at, g.mgi_score::float8 AS mgi_score
          FROM device_images g
         WHERE g.device_id = r.device_id AND g.captured_at < r.e
           AND g.mgi_score IS NOT NULL AND g.mgi_score BETWEEN 0 AND 1
         ORDER BY g.captured_at DESC
         LIMIT 2) m
"""

# Per (device, round): the newest score of any value before the round end. When it is
# outside 0..1 it was passed over by the query above and is reported as rejected.
LATEST_SCORE_SQL = """
SELECT r.i, m.*
  FROM unnest(%(devices)s::uuid[], %(ends)s::timestamptz[]) WITH ORDINALITY AS r(device_id, e, i)
  CROSS JOIN LATERAL (
        SELECT g.image_id, g.captured_at, g.mgi_score::float8 AS mgi_score
          FROM device_images g
         WHERE g.device_id = r.device_id AND g.captured_at < r.e AND g.mgi_score IS NOT NULL
         ORDER BY g.captured_at DESC
         LIMIT 1) m
 WHERE NOT (m.mgi_score BETWEEN 0 AND 1)
"""

# Per (device, round): images captured inside the round, scored or not, in range or not.
IMAGES_SQL = """
SELECT r.i, g.*
  FROM unnest(%(devices)s::uuid[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
       WITH ORDINALITY AS r(device_id, s, e, i)
  CROSS JOIN LATERAL (
        SELECT x.image_id, x.image_url, x.mgi_score::float8 AS mgi_score, x.captured_at,
               x.observation_type, x.wake_payload_id
          FROM device_images x
         WHERE x.device_id = r.device_id AND x.captured_at >= r.s AND x.captured_at < r.e
         ORDER BY x.captured_at) g
"""

# Per (site, round): alerts triggered inside the round.
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
    pairs = [(key, d.device_id) for key in rounds for d in devices.get(key.site_id, ())]
    accs = [_Acc() for _ in pairs]
    dev_ids = [d for _, d in pairs]
    starts = [k.start for k, _ in pairs]
    ends = [k.end for k, _ in pairs]
    if pairs:
        args = {"devices": dev_ids, "ends": ends}
        for r in await (await conn.execute(TELEMETRY_SQL, args)).fetchall():
            i = r.pop("i")
            accs[i - 1].telemetry = TelemetryRow(**r)
        for r in await (await conn.execute(MGI_SQL, args)).fetchall():
            accs[r.pop("i") - 1].mgi.append(ScoredImage(**r))
        for r in await (await conn.execute(LATEST_SCORE_SQL, args)).fetchall():
            accs[r.pop("i") - 1].rejected.append(ScoredImage(**r))
        args = {"devices": dev_ids, "starts": starts, "ends": ends}
        for r in await (await conn.execute(IMAGES_SQL, args)).fetchall():
            accs[r.pop("i") - 1].images.append(RoundImage(**r))
    alerts = await _read_alerts(conn, rounds)
    out: dict[RoundKey, RoundData] = {key: RoundData() for key in rounds}
    index = {(key, dev): i for i, (key, dev) in enumerate(pairs)}
    for key in rounds:
        data = out[key]
        site_alerts: list[RoundAlert] = []
        for alert in alerts.get(key, []):
            pos = index.get((key, alert.device_id)) if alert.device_id else None
            if pos is None:
                site_alerts.append(alert)
            else:
                accs[pos].alerts.append(alert)
        data.site_alerts = tuple(site_alerts)
        for dev in devices.get(key.site_id, ()):
            acc = accs[index[(key, dev.device_id)]]
            data.observations[dev.device_id] = DeviceObservations(
                telemetry=acc.telemetry,
                mgi=tuple(sorted(acc.mgi, key=lambda m: m.captured_at, reverse=True)),
                rejected_mgi=tuple(acc.rejected),
                images=tuple(acc.images),
                alerts=tuple(acc.alerts),
            )
    return out


async def _read_alerts(
    conn: AsyncConnection[dict[str, Any]], rounds: list[RoundKey]
) -> dict[RoundKey, list[RoundAlert]]:
    if not rounds:
        return {}
    args = {
        "sites": [k.site_id for k in rounds],
        "starts": [k.start for k in rounds],
        "ends": [k.end for k in rounds],
    }
    out: dict[RoundKey, list[RoundAlert]] = defaultdict(list)
    for r in await (await conn.execute(ALERTS_SQL, args)).fetchall():
        out[rounds[r.pop("i") - 1]].append(RoundAlert(**r))
    return out
