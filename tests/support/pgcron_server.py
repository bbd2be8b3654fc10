"""A throwaway PostgreSQL 15 cluster with pg_cron, for the tests of ``snapwatch.schedule.pgcron``.

The suite's embedded PostgreSQL 18 has no pg_cron, so these tests start their own cluster
from the Debian packages ``postgresql-15`` and ``postgresql-15-cron`` (``.ci/run``
installs them): ``initdb`` in a temporary directory, pg_cron preloaded with background
workers (no libpq connections back to the server, so no passwords), listening only on a
Unix socket in the same directory (no TCP port to race for with other test runs), then
``CREATE EXTENSION pg_cron``. PostgreSQL
refuses to run as root, so as root the cluster runs as the ``postgres`` system user.

Binaries: ``$SNAPWATCH_TEST_PG_CRON_BIN`` or ``/usr/lib/postgresql/15/bin``; pg_cron is
looked for as ``../lib/pg_cron.so`` beside that directory.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

BIN_ENV = "SNAPWATCH_TEST_PG_CRON_BIN"
DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")
SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
PORT = 5432
"""Only names the socket file: the socket directory is the cluster's own."""
CRON_DATABASE = "postgres"
HINT = "apt-get install postgresql-15 postgresql-15-cron, or set SNAPWATCH_TEST_PG_CRON_BIN"


class PgCronUnavailable(Exception):
    """Why no pg_cron cluster could be started (the tests skip with this message)."""


@dataclass
class PgCronServer:
    bin_dir: Path
    root: Path
    run_as: str | None
    version: str = ""

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def dsn(self, dbname: str = CRON_DATABASE, user: str = SUPERUSER) -> str:
        return f"host={self.root} port={PORT} dbname={dbname} user={user} connect_timeout=10"

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            _run(self, "pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _run(server: PgCronServer, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(server.bin_dir / tool), *args]
    if server.run_as is not None:
        command = ["runuser", "-u", server.run_as, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def start_pgcron_server() -> PgCronServer:
    """Start the cluster, or raise :class:`PgCronUnavailable` saying exactly why not."""
    bin_dir = Path(os.environ.get(BIN_ENV) or DEFAULT_BIN)
    missing = [t for t in ("initdb", "pg_ctl", "postgres") if not (bin_dir / t).is_file()]
    if missing:
        raise PgCronUnavailable(f"no {', '.join(missing)} in {bin_dir} ({HINT})")
    library = bin_dir.parent / "lib" / "pg_cron.so"
    if not library.is_file():
        raise PgCronUnavailable(f"{library} is missing ({HINT})")
    run_as: str | None = None
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise PgCronUnavailable("running as root and runuser is not available")
        try:
            owner = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise PgCronUnavailable(
                f"running as root and there is no system user {SYSTEM_USER!r} to run PostgreSQL as"
            ) from None
        run_as = SYSTEM_USER
    root = Path(tempfile.mkdtemp(prefix="snapwatch-pgcron-"))
    server = PgCronServer(bin_dir=bin_dir, root=root, run_as=run_as)
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        _init_and_start(server)
    except BaseException:
        server.stop()
        raise
    return server


def _init_and_start(server: PgCronServer) -> None:
    done = _run(
        server,
        "initdb",
        "-D",
        str(server.pgdata),
        "-U",
        SUPERUSER,
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-locale",
        "--no-sync",
    )
    if done.returncode != 0:
        raise PgCronUnavailable(f"initdb failed: {_one_line(done.stderr or done.stdout)}")
    settings = {
        "shared_preload_libraries": "'pg_cron'",
        "cron.database_name": f"'{CRON_DATABASE}'",
        "cron.use_background_workers": "on",
        "max_worker_processes": "20",
        "listen_addresses": "''",
        "port": str(PORT),
        "unix_socket_directories": f"'{server.root}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "shared_buffers": "16MB",
        "log_min_messages": "warning",
    }
    with (server.pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# snapwatch pg_cron tests\n")
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
    done = _run(
        server,
        "pg_ctl",
        "-D",
        str(server.pgdata),
        "-l",
        str(server.log_file),
        "-w",
        "-t",
        "60",
        "start",
    )
    if done.returncode != 0:
        why = server.log_tail() or _one_line(done.stderr or done.stdout)
        raise PgCronUnavailable(f"the PostgreSQL 15 cluster did not start: {why}")
    try:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_cron")
            row = conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'"
            ).fetchone()
            server.version = row[0] if row else ""
    except psycopg.Error as exc:
        raise PgCronUnavailable(f"CREATE EXTENSION pg_cron failed: {_one_line(str(exc))}") from exc
