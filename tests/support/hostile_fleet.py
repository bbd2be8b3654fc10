"""The demo fleet (``demo_fleet``) with platform text that would drive a terminal or read
as markup: escape sequences, Textual/Rich markup, links, click actions and plain brackets
in site, program and company names, device codes and zone labels. One tick's snapshots
carry them into the stored documents."""

from __future__ import annotations

import asyncio

import psycopg
from psycopg.types.json import Jsonb

from snapwatch.demo.seed import seed_demo
from snapwatch.infra.config import load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick
from support.demo_fleet import AT

ESCAPES = "\x1b[2J\x1b]0;owned\x07"
"""Clears the screen and retitles the terminal."""
SHOWN_ESCAPES = "\\x1b[2J\\x1b]0;owned\\x07"
"""How :data:`ESCAPES` must be shown: every control character as a visible escape."""
BOLD = "[bold red]x[/]"
LINK = "[link=file:///etc/passwd]y[/link]"
CLICK = "[@click=app.quit]z[/]"
BRACKETS = "Cold Room [North]"

SITES = {
    "Pier 4 Cold Room": BRACKETS,
    "Ripening Room A": f"Ripening {LINK}",
    "Harborview Main Warehouse": f"Main {CLICK}",
    "Drying Floor": f"Drying\x9b{ESCAPES}",  # and an 8-bit CSI
    "Silo Hall Zaandam": f"Silo {BOLD}",
}
PROGRAMS = {
    "Winter Mold Watch": f"Winter {BOLD}",
    "Produce Ripening Pilot": f"Produce{ESCAPES}",
    "Grain Storage Trial": f"Grain {CLICK}",
}
COMPANIES = {
    "Harborview Cold Storage (demo)": f"Harbor{ESCAPES}",
    "Polder Grain Cooperative (demo)": f"Polder {LINK}",
}
CODES = (LINK, f"DEV{ESCAPES}", CLICK, BOLD, "Door [North]")
"""The first device codes of :data:`BRACKETS` (the former Pier 4 Cold Room), in order."""
UNPLACED = CODES[1]
"""The one of them without a position."""
ZONES = {"Door side": f"Door {CLICK}", "Racks": f"Racks{ESCAPES}"}
ALERT = f"MGI {BOLD} {LINK}{ESCAPES}"
"""Every alert's message."""
HOST = f"host{ESCAPES}"
"""A scheduler instance's host; its last error is :data:`INSTANCE_ERROR`."""
INSTANCE_ERROR = f"failed on {CLICK}"


def shown(text: str) -> str:
    """``text`` as it must appear on a screen or in a command's output."""
    return text.replace(ESCAPES, SHOWN_ESCAPES).replace("\x9b", "\\x9b")


def _rename(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table, names in (
            ("sites", SITES),
            ("pilot_programs", PROGRAMS),
            ("companies", COMPANIES),
        ):
            for old, new in names.items():
                cur = conn.execute(f"UPDATE {table} SET name = %s WHERE name = %s", (new, old))
                assert cur.rowcount == 1, (table, old)
        site = conn.execute("SELECT site_id, zones FROM sites WHERE name = %s", (BRACKETS,))
        site_id, zones = site.fetchone() or (None, None)
        for zone in zones:
            zone["label"] = ZONES[zone["label"]]
        conn.execute("UPDATE sites SET zones = %s WHERE site_id = %s", (Jsonb(zones), site_id))
        for old, new in ZONES.items():
            conn.execute("UPDATE devices SET zone_label = %s WHERE zone_label = %s", (new, old))
        devices = conn.execute(
            "SELECT device_id FROM devices WHERE site_id = %s ORDER BY device_code", (site_id,)
        ).fetchall()
        for (device_id,), code in zip(devices, CODES, strict=False):
            conn.execute(
                "UPDATE devices SET device_code = %s WHERE device_id = %s", (code, device_id)
            )
        conn.execute(  # listed beside the map rather than drawn on it
            "UPDATE devices SET x_position = NULL, y_position = NULL WHERE device_code = %s",
            (UNPLACED,),
        )
        conn.execute("UPDATE device_alerts SET message = %s", (ALERT,))
        conn.execute(
            "INSERT INTO snapwatch.scheduler_instances (host, pid, mode, last_error)"
            " VALUES (%s, 4242, 'daemon', %s)",
            (HOST, INSTANCE_ERROR),
        )


async def _seed_rename_tick(dsn: str) -> None:
    settings = load_settings(overrides={"dsn": dsn})[0]
    conn = await connect(Target(dsn=dsn), settings)
    try:
        await seed_demo(conn, seed=settings.demo.seed, now=AT)
        await asyncio.to_thread(_rename, dsn)
        report = await run_tick(conn, settings, AT)
        await record_run(conn, report, None)
    finally:
        await conn.close()


def seed_hostile(dsn: str) -> None:
    """Seed the demo fleet as of ``AT``, rename it hostile, and write what is owed then."""
    asyncio.run(_seed_rename_tick(dsn))
