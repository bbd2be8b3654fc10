"""The daemon's notifications against a receiver on 127.0.0.1: the pings and webhook
messages of a database outage, of a site going late and back, and of a receiver that
keeps failing (retried, dropped with one log line, never delaying a tick)."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr
from support.daemon import Daemon, build_fleet
from support.overview_rows import Rows
from support.own_server import OwnServer
from support.receiver import Received, Receiver

from snapwatch.infra.clock import SystemClock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.migrations import migrate

pytestmark = pytest.mark.slow  # real processes

PING_KEY = "5f7e0c1a-9d1b-4c1e-8b1a-2f0e6d3c4b5a"
HOOK_TOKEN = "T000/B000/s3cr3t-hook-token"
SLOW = 0.6
"""Seconds a slow receiver takes to answer."""
OTHER_INSTANCE_SQL = """
INSERT INTO snapwatch.scheduler_instances (host, pid, mode, version, clock, tick_seconds)
VALUES ('other-host', 4242, 'daemon', '0', 'database', 0.5)
"""


def notify_config(home: Path, receiver: Receiver, **more: Any) -> None:
    """The daemon's config file (XDG_CONFIG_HOME/snapwatch/config.toml) with ``[notify]``
    pointing at ``receiver``; ``more``: ``{"section": "key = value lines"}``."""
    config = home / "config" / "snapwatch"
    config.mkdir(parents=True)
    notify = (
        f'ping_url = "{receiver.url("/ping/" + PING_KEY)}"\n'
        f'webhook_urls = ["{receiver.url("/hook/" + HOOK_TOKEN)}"]\n'
    )
    sections = {"notify": notify + more.pop("notify", "")} | more
    text = "".join(f"[{name}]\n{body}\n" for name, body in sections.items())
    (config / "config.toml").write_text(text)


def ping_kind(received: Received) -> str:
    return received.path.removeprefix("/ping/" + PING_KEY).lstrip("/") or "success"


def ping_kinds(receiver: Receiver) -> list[str]:
    return [ping_kind(r) for r in receiver.under("/ping/")]


def hook_events(receiver: Receiver) -> list[str]:
    return [r.json()["event"] for r in receiver.under("/hook/")]


def collapsed(kinds: list[str]) -> list[str]:
    return [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]


@pytest.fixture
def receiver() -> Any:
    server = Receiver()
    yield server
    server.close()


def test_a_database_outage_pings_fail_then_success_and_each_change_is_one_message(
    own_server: OwnServer, tmp_path: Path, receiver: Receiver
) -> None:
    dsn = own_server.server.uri()
    asyncio.run(migrate(Target(dsn=dsn), Settings.model_construct(dsn=SecretStr(dsn))))
    build_fleet(dsn, sites=2)
    with psycopg.connect(dsn) as conn:
        conn.execute(OTHER_INSTANCE_SQL)  # another scheduler, alive for now
    notify_config(tmp_path, receiver, notify="ping_every_seconds = 1.0\n")
    daemon = Daemon(dsn, tmp_path)
    try:
        daemon.wait_event("tick", wrote=lambda e: e["snapshots"] > 0)
        daemon.wait_for("a success ping", lambda: "success" in ping_kinds(receiver))

        with psycopg.connect(dsn) as conn:  # the other scheduler falls silent
            conn.execute(
                "UPDATE snapwatch.scheduler_instances SET heartbeat_at = now() - interval '1 h'"
                " WHERE host = 'other-host'"
            )
        daemon.wait_for("instance_down", lambda: "instance_down" in hook_events(receiver))

        own_server.stop()
        daemon.wait_event("db_unreachable")
        daemon.wait_for("a fail ping", lambda: "fail" in ping_kinds(receiver))
        daemon.wait_for("database_down", lambda: "database_down" in hook_events(receiver))
        time.sleep(2.5)  # five failed ticks
        own_server.start()
        daemon.wait_event("db_reachable")
        daemon.wait_for("success again", lambda: ping_kinds(receiver)[-1] == "success")

        with psycopg.connect(dsn) as conn:  # ... and heartbeats again
            conn.execute(
                "UPDATE snapwatch.scheduler_instances SET heartbeat_at = now()"
                " WHERE host = 'other-host'"
            )
        daemon.wait_for("instance_up", lambda: "instance_up" in hook_events(receiver))
        time.sleep(2)  # four more ticks in the same state: nothing new
        code, _ = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0
    sequence = [(r.path.split("/")[1], e) for r, e in zip(
        receiver.under("/hook/"), hook_events(receiver), strict=True
    )]  # fmt: skip
    assert sequence == [
        ("hook", "instance_down"),
        ("hook", "database_down"),
        ("hook", "database_up"),
        ("hook", "instance_up"),
    ]
    kinds = ping_kinds(receiver)
    assert collapsed(kinds) == ["start", "success", "fail", "success"]
    assert kinds.count("fail") >= 2  # ticks failed for longer than ping_every_seconds
    pings = receiver.under("/ping/")
    for a, b in itertools.pairwise(pings):  # a ping like the last: at most every second
        if ping_kind(a) == ping_kind(b):
            assert b.arrived - a.arrived > 0.9
    down, up = (r.json() for r in receiver.under("/hook/")[1:3])
    assert down["subject"]["kind"] == "database" and down["previous"] == "up"
    assert up["detail"]["down_seconds"] > 2
    instance = receiver.under("/hook/")[0].json()
    assert instance["subject"]["name"] == "daemon pid 4242 on other-host"
    assert instance["state"] == "down" and instance["previous"] == "ok"
    assert receiver.under("/hook/")[3].json()["state"] == "ok"
    assert all(r.content_type == "application/json" for r in receiver.under("/hook/"))
    fail = next(r for r in pings if r.path.endswith("/fail"))
    assert b"unreachable" in fail.body
    assert not any(PING_KEY in line or "s3cr3t" in line for line in daemon.lines)


def test_a_site_going_late_is_one_message_and_its_recovery_another(
    migrated_dsn: str, tmp_path: Path, receiver: Receiver
) -> None:
    name = "Room <!channel> & @here"
    rows = Rows(migrated_dsn)
    try:
        program = rows.program(rows.company("Harbour Foods"), "Cold chain")
        site = rows.site(program, name, snapshot_cadence_per_day=21600)  # every 4 s
        now = SystemClock().now()
        rows.session(site, now.replace(microsecond=0), now.replace(hour=23), "in_progress")
        rows.device(site)
    finally:
        rows.close()
    notify_config(
        tmp_path,
        receiver,
        scheduler="settle_seconds = 0.0\nlate_grace_seconds = 1.0\n",
        database="lock_timeout_seconds = 0.2\n",
    )
    daemon = Daemon(migrated_dsn, tmp_path)
    try:
        daemon.wait_event("tick", wrote=lambda e: e["snapshots"] > 0)
        with psycopg.connect(migrated_dsn) as holder:  # writes wait, and give up: busy
            holder.execute("LOCK TABLE session_wake_snapshots IN EXCLUSIVE MODE")
            daemon.wait_for("site_late", lambda: "site_late" in hook_events(receiver))
            time.sleep(1.5)  # three more ticks, still late
            holder.rollback()
        daemon.wait_for("site_recovered", lambda: "site_recovered" in hook_events(receiver))
        time.sleep(1.5)
        code, _ = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0
    assert hook_events(receiver) == ["site_late", "site_recovered"]
    late, recovered = (r.json() for r in receiver.under("/hook/"))
    assert late["schema"] == "snapwatch.alert/1"
    assert late["subject"] == {"kind": "site", "id": str(site), "name": name}
    assert late["state"] == "late" and late["previous"] in ("on_time", "due")
    assert late["detail"]["program"] == "Cold chain" and late["detail"]["late_by_seconds"] > 1
    assert late["text"].startswith(
        "snapwatch: site Room &lt;!channel&gt; &amp; @\u200bhere (Cold chain) is late: wake "
    )
    assert recovered["previous"] == "late" and recovered["state"] in ("on_time", "due")


def test_a_failing_receiver_is_retried_then_dropped_with_one_line_and_ticks_never_wait(
    migrated_dsn: str, tmp_path: Path
) -> None:
    receiver = Receiver(lambda path: (500, SLOW))  # slow, and failing
    build_fleet(migrated_dsn, sites=1)
    notify_config(
        tmp_path,
        receiver,
        notify="ping_every_seconds = 3600.0\nretries = 2\nretry_seconds = 1.0\n",
    )
    daemon = Daemon(migrated_dsn, tmp_path)
    try:
        daemon.wait_for("two drops", lambda: len(daemon.named("notify_dropped")) >= 2, 30)
        ticks = daemon.named("tick")
        code, _ = daemon.stop()
    finally:
        daemon.kill()
        receiver.close()
    assert code == 0
    starts = receiver.under(f"/ping/{PING_KEY}/start")
    assert len(starts) == 3  # the request and two retries
    # One sender: the success ping's attempt may come between two of the start's.
    waits = [b.arrived - a.answered for a, b in itertools.pairwise(starts)]
    assert 0.5 - 0.05 <= waits[0] <= 1.0 + SLOW + 0.3  # 1 s, jittered into its upper half
    assert 1.0 - 0.05 <= waits[1] <= 2.0 + SLOW + 0.3  # doubled
    assert len(receiver.under(f"/ping/{PING_KEY}")) == 6  # start and success, 3 each
    dropped = daemon.named("notify_dropped")
    assert [d["what"] for d in dropped] == ["ping start", "ping success"]
    assert all(d["attempts"] == 3 and d["reason"] == "HTTP 500" for d in dropped)
    assert dropped[0]["url"] == f"http://127.0.0.1:{receiver.port}/…"
    assert len(ticks) >= 8  # ticking on every 0.5 s while the receiver kept failing
    assert max(t["duration_seconds"] for t in ticks) < SLOW  # no tick waited for it
    assert not any(PING_KEY in line or "s3cr3t" in line for line in daemon.lines)
