"""The snapshot reader maps columns to NamedTuple fields by name, not by position."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from psycopg import AsyncConnection
from support.placement import create_placement_history

from snapwatch.snapshot.inputs import DeviceFacts, TelemetryRow
from snapwatch.snapshot.reader import ROSTER_SQL, TELEMETRY_SQL, Query, read_by_name

AT = datetime(2026, 6, 10, 12, tzinfo=UTC)


def literal_select(values: dict[str, tuple[Any, str]]) -> str:
    return "SELECT " + ", ".join(
        f"{'NULL' if v is None else repr(str(v))}::{cast} AS {name}"
        for name, (v, cast) in values.items()
    )


async def test_a_reordered_select_still_maps_each_column_to_its_field(
    conn: AsyncConnection[dict[str, Any]],
) -> None:
    device, zone = uuid4(), uuid4()
    columns: dict[str, tuple[Any, str]] = {
        "device_id": (device, "uuid"),
        "device_code": ("DEV-1", "text"),
        "device_name": ("north wall", "text"),
        "device_mac": ("aa:bb", "text"),
        "x": (1.5, "float8"),
        "y": (2.5, "float8"),
        "zone_id": (zone, "uuid"),
        "zone_label": ("Zone A", "text"),
        "is_active": (True, "bool"),
        "provisioning_status": ("active", "text"),
        "battery_voltage": (3.7, "float8"),
        "battery_health_percent": (88, "int4"),
        "last_seen_at": (AT.isoformat(), "timestamptz"),
    }
    expected = DeviceFacts(
        device, "DEV-1", "north wall", "aa:bb", 1.5, 2.5, zone, "Zone A", True, "active",
        3.7, 88, AT,
    )  # fmt: skip
    in_order = {"i": (7, "int8"), **columns}
    reordered = dict(reversed(list(in_order.items())))  # i last, x after y, ...
    reordered["extra"] = ("ignored", "text")
    for select in (literal_select(in_order), literal_select(reordered)):
        rows, round_of, fields = await read_by_name(conn, select, {}, ("i",), DeviceFacts)
        [row] = rows
        assert round_of(row) == 7
        assert DeviceFacts._make(fields(row)) == expected


async def test_telemetry_keys_and_fields_by_name(conn: AsyncConnection[dict[str, Any]]) -> None:
    device, payload = uuid4(), uuid4()
    select = literal_select(
        {
            "humidity": (60.0, "float8"),
            "temperature": (70.0, "float8"),
            "device_id": (device, "uuid"),
            "image_id": (None, "uuid"),
            "wifi_rssi": (-60, "int4"),
            "battery_voltage": (None, "float8"),
            "gas_resistance": (None, "float8"),
            "pressure": (1013.0, "float8"),
            "captured_at": (AT.isoformat(), "timestamptz"),
            "payload_id": (payload, "uuid"),
            "i": (3, "int8"),
        }
    )
    rows, pair_of, fields = await read_by_name(conn, select, {}, ("i", "device_id"), TelemetryRow)
    [row] = rows
    assert pair_of(row) == (3, device)
    telemetry = TelemetryRow._make(fields(row))
    assert telemetry == TelemetryRow(payload, AT, 70.0, 60.0, 1013.0, None, None, -60, None)
    assert (telemetry.temperature, telemetry.humidity) == (70.0, 60.0)  # not swapped


async def test_a_missing_or_doubled_column_is_an_error_naming_it(
    conn: AsyncConnection[dict[str, Any]],
) -> None:
    select = "SELECT 1 AS i, gen_random_uuid() AS device_id, gen_random_uuid() AS payload_id"
    with pytest.raises(LookupError, match="captured_at"):
        await read_by_name(conn, select, {}, ("i", "device_id"), TelemetryRow)
    doubled = "SELECT 1 AS i, 2 AS i"
    with pytest.raises(LookupError, match="'i'"):
        await read_by_name(conn, doubled, {}, ("i",), TelemetryRow)


@pytest.mark.parametrize("history", [False, True], ids=["today", "history"])
@pytest.mark.parametrize(
    ("query", "keys", "record"),
    [(ROSTER_SQL, ("i",), DeviceFacts), (TELEMETRY_SQL, ("i", "device_id"), TelemetryRow)],
    ids=["roster", "telemetry"],
)
async def test_the_reader_queries_name_every_field(
    conn: AsyncConnection[dict[str, Any]],
    migrated_dsn: str,
    query: Query,
    keys: tuple[str, ...],
    record: type[tuple[Any, ...]],
    history: bool,
) -> None:
    if history:
        create_placement_history(migrated_dsn)
    none: list[UUID] = []
    args = {"sites": none, "starts": [], "ends": []}
    rows, _, _ = await read_by_name(conn, query.text(history), args, keys, record)  # raises if not
    assert rows == []
