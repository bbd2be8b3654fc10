"""Shared test helpers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from snapwatch.infra.clock import SystemClock
from support.overview_rows import Rows

H = timedelta(hours=1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_fleet(dsn: str, sites: int = 3) -> None:
    """Sites with hourly cadence and a session that opened three hours ago."""
    now = SystemClock().now()
    start = now.replace(minute=0, second=0, microsecond=0) - 3 * H
    rows = Rows(dsn)
    try:
        company = rows.company("Harbour Foods")
        program = rows.program(company, "Cold chain")
        for n in range(sites):
            site = rows.site(program, f"Room {n + 1}", snapshot_cadence_hours=1)
            rows.session(site, start, start + 24 * H, "in_progress")
            rows.device(site)
    finally:
        rows.close()


class Daemon:
    """A real ``python -m snapwatch --daemon`` process and the JSON lines it logs."""

    def __init__(self, dsn: str, home: Path, *extra: str) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
        env |= {"XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}
        command = [
            sys.executable, "-m", "snapwatch", "--daemon", "--dsn", dsn,
            "--tick-seconds", "0.5", "--log-format", "json",
            "--metrics-port", str(self.port), *extra,
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines)]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["event"] == event]

    def wait_for(self, what: str, predicate: Callable[[], Any], timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = predicate()
            if got:
                return got
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {what} (exit {self.proc.poll()}):\n" + "\n".join(self.lines))

    def wait_event(self, event: str, **where: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            hits = [e for e in self.named(event) if all(w(e) for w in where.values())]
            return hits[-1] if hits else None

        return dict(self.wait_for(f"{event} event", found))

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as err:
            return int(err.code), err.read().decode()
        except OSError:
            return 0, ""

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 5) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=2)
        return code, time.monotonic() - started

    def wait_exit(self, timeout: float = 20) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=2)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def instance_rows(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT mode, stopped_at, last_success_at, clock FROM snapwatch.scheduler_instances"
        ).fetchall()


def snapshot_count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone()
    assert row is not None
    return int(row[0])
