"""What the benchmarks share: printing, the embedded server's databases and building a
fleet into one (kept between runs with ``--reuse`` when built with the same spec)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import psycopg
from fleet import FleetSpec, build_fleet
from psycopg import sql

from snapwatch.infra.config import load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.embedded import EmbeddedServer, start_embedded
from snapwatch.infra.migrations import migrate, plan


def say(text: str = "") -> None:
    print(text, flush=True)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def format_steps(times: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in times.items() if k != "total")


def admin(server: EmbeddedServer) -> psycopg.Connection[Any]:
    return psycopg.connect(server.uri("postgres"), autocommit=True)


def database_comment(server: EmbeddedServer, name: str) -> str | None:
    with admin(server) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return row[0] if row else None


async def build_database(
    server: EmbeddedServer, name: str, spec: FleetSpec, reuse: bool
) -> dict[str, float]:
    """The fleet of ``spec`` in database ``name`` (kept when ``reuse`` and built with the
    same spec); seconds per step (empty when kept)."""
    uri = server.uri(name)
    settings = load_settings(overrides={"dsn": uri})[0]
    if reuse and database_comment(server, name) == spec.label():
        say(f"  {name}: reusing the existing fleet ({spec.label()})")
        return {}
    say(f"  {name}: building {spec.days} d of history ...")
    started = time.perf_counter()
    ident = sql.Identifier(name)
    with admin(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    await migrate(Target(dsn=uri), settings)
    times = {"migrate": time.perf_counter() - started}
    builder = await connect(Target(dsn=uri), settings)
    second = await connect(Target(dsn=uri), settings)
    async with builder, second:
        times.update(await build_fleet(builder, spec, second=second, report=lambda _: None))
        todo = await plan(builder)
        if not todo.is_empty:
            raise SystemExit(f"{name}: schema differs from what migrate makes: {todo}")
    with admin(server) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, sql.Literal(spec.label()))
        )
    times["total"] = time.perf_counter() - started
    say(f"  {name}: built in {times['total']:.1f} s ({format_steps(times)})")
    return times


def on_embedded_server(
    data_dir: Path | None, measure: Callable[[EmbeddedServer], Coroutine[Any, Any, None]]
) -> None:
    """``measure`` on an embedded PostgreSQL in ``data_dir`` (a temporary one when None),
    stopped after; prints the total time."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="snapwatch-bench-") as tmp:
        where = data_dir or Path(tmp)
        say(f"starting embedded PostgreSQL in {where}")
        server = start_embedded(where, database="postgres")
        try:
            asyncio.run(measure(server))
        finally:
            server.release()
    say(f"total run time {time.perf_counter() - started:.0f} s")
