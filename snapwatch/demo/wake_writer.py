"""Writing simulated wakes: their payloads and images, then the roll-ups on their devices."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from snapwatch.demo.rows import Image, Payload
from snapwatch.demo.telemetry import battery_health

_PAYLOAD_TYPES = {
    "payload_id": "uuid",
    "company_id": "uuid",
    "program_id": "uuid",
    "site_id": "uuid",
    "site_device_session_id": "uuid",
    "device_id": "uuid",
    "captured_at": "timestamptz",
    "received_at": "timestamptz",
    "temperature": "numeric",
    "humidity": "numeric",
    "pressure": "numeric",
    "gas_resistance": "numeric",
    "battery_voltage": "numeric",
    "wifi_rssi": "int",
    "image_id": "uuid",
    "payload_status": "text",
    "wake_type": "text",
}
_IMAGE_TYPES = {
    "image_id": "uuid",
    "device_id": "uuid",
    "image_url": "text",
    "captured_at": "timestamptz",
    "status": "text",
    "site_id": "uuid",
    "site_device_session_id": "uuid",
    "wake_payload_id": "uuid",
    "mgi_score": "numeric",
    "scored_at": "timestamptz",
    "observation_type": "text",
}


def _insert(table: str, types: dict[str, str], tail: str) -> str:
    """``INSERT INTO table (columns) SELECT * FROM unnest(one typed array per column)``."""
    arrays = [sql.SQL("{}::{}[]").format(sql.Placeholder(c), sql.SQL(t)) for c, t in types.items()]
    query = sql.SQL("INSERT INTO {} ({}) SELECT * FROM unnest({}) {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, types)),
        sql.SQL(", ").join(arrays),
        sql.SQL(tail),
    )
    return query.as_string()


PAYLOADS_SQL = _insert(
    "device_wake_payloads", _PAYLOAD_TYPES, "ON CONFLICT (payload_id) DO NOTHING RETURNING 1"
)
# An image arrives with its wake, unscored until the scorer got to it: a later step gives
# it its score (never changes one).
IMAGES_SQL = _insert(
    "device_images",
    _IMAGE_TYPES,
    """ON CONFLICT (image_id) DO UPDATE
          SET mgi_score = EXCLUDED.mgi_score, scored_at = EXCLUDED.scored_at
        WHERE device_images.mgi_score IS NULL AND EXCLUDED.mgi_score IS NOT NULL
    RETURNING (xmax = 0) AS inserted, mgi_score IS NOT NULL AS scored""",
)

# The platform's roll-ups on the device rows, from the wakes written: the times move
# forward only, and battery and signal follow the newest wake (not one that arrived late).
DEVICES_SQL = """
UPDATE devices d
   SET last_seen_at = greatest(d.last_seen_at, u.seen),
       last_wake_at = greatest(d.last_wake_at, u.woke),
       battery_voltage = CASE WHEN u.newest THEN coalesce(u.volts, d.battery_voltage)
                              ELSE d.battery_voltage END,
       battery_health_percent = CASE WHEN u.newest
                                     THEN coalesce(u.health, d.battery_health_percent)
                                     ELSE d.battery_health_percent END,
       wifi_rssi = CASE WHEN u.newest THEN coalesce(u.rssi, d.wifi_rssi) ELSE d.wifi_rssi END
  FROM unnest(%(devices)s::uuid[], %(seen)s::timestamptz[], %(woke)s::timestamptz[],
              %(volts)s::numeric[], %(health)s::int[], %(rssi)s::int[])
       AS u0(device_id, seen, woke, volts, health, rssi)
 CROSS JOIN LATERAL (SELECT u0.*, u0.woke >= coalesce(d2.last_wake_at, '-infinity') AS newest
                       FROM devices d2 WHERE d2.device_id = u0.device_id) u
 WHERE d.device_id = u.device_id
"""


async def write_wakes(
    conn: AsyncConnection[Any], payloads: list[Payload], images: list[Image]
) -> tuple[int, int, int]:
    """Insert ``payloads`` and ``images`` (skipping rows that exist, giving an unscored
    image its score) and roll the wakes up onto their devices; returns the wakes written,
    the images written and the images that got their score."""
    new_images = scored = 0
    if images:
        cur = await conn.execute(IMAGES_SQL, _columns(images, _IMAGE_TYPES))
        done = await cur.fetchall()
        new_images = sum(1 for r in done if _get(r, "inserted", 0))
        scored = sum(1 for r in done if _get(r, "scored", 1))
    wakes = 0
    if payloads:
        cur = await conn.execute(PAYLOADS_SQL, _columns(payloads, _PAYLOAD_TYPES))
        wakes = len(await cur.fetchall())
        await conn.execute(DEVICES_SQL, _rollups(payloads))
    return wakes, new_images, scored


def _columns(rows: list[Any], types: dict[str, str]) -> dict[str, list[Any]]:
    return {name: [getattr(r, name) for r in rows] for name in types}


def _rollups(payloads: list[Payload]) -> dict[str, list[Any]]:
    newest: dict[UUID, Payload] = {}
    seen: dict[UUID, datetime] = {}
    for p in sorted(payloads, key=lambda p: p.captured_at):
        newest[p.device_id] = p
        seen[p.device_id] = max(p.received_at, seen.get(p.device_id, p.received_at))
    latest = list(newest.values())
    return {
        "devices": [p.device_id for p in latest],
        "seen": [seen[p.device_id] for p in latest],
        "woke": [p.captured_at for p in latest],
        "volts": [p.battery_voltage for p in latest],
        "health": [
            battery_health(p.battery_voltage) if p.battery_voltage is not None else None
            for p in latest
        ],
        "rssi": [p.wifi_rssi for p in latest],
    }


def _get(row: Any, key: str, index: int) -> Any:
    return row[key] if isinstance(row, dict) else row[index]
