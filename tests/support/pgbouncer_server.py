"""A real PgBouncer in front of the test server (Debian package ``pgbouncer``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from snapwatch.infra.embedded import EmbeddedServer

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)


@contextmanager
def running_pgbouncer(
    server: EmbeddedServer, *, pool_mode: str = "transaction", settings: str = ""
) -> Iterator[int]:
    """A PgBouncer in ``pool_mode`` in front of ``server``, with its default settings but
    for ``settings`` (more ``[pgbouncer]`` lines); yields its port on 127.0.0.1."""
    assert PGBOUNCER is not None, "PgBouncer is not installed"
    uri = urlparse(server.uri("postgres"))
    socket_dir = parse_qs(uri.query)["host"][0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    # Its own directory under /tmp: it must be readable by the user PgBouncer runs as.
    work = Path(tempfile.mkdtemp(prefix="snapwatch-pgbouncer-"))
    work.chmod(0o755)
    ini = work / "pgbouncer.ini"
    ini.write_text(
        f"[databases]\n* = host={socket_dir} user={uri.username}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = any\npool_mode = {pool_mode}\n{settings}"
    )
    ini.chmod(0o644)
    # PgBouncer refuses to run as root: then it runs as the server's own user.
    owner = Path(socket_dir).owner()
    user = ["-u", owner] if os.geteuid() == 0 and owner != "root" else []
    proc = subprocess.Popen([PGBOUNCER, *user, str(ini)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.terminate()
                    _, said = proc.communicate(timeout=10)
                    raise RuntimeError(f"PgBouncer did not start: {said!r}") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def through(port: int, dsn: str) -> str:
    """``dsn``'s database, reached through the PgBouncer on ``port``."""
    database = urlparse(dsn).path.lstrip("/")
    return f"postgresql://postgres@127.0.0.1:{port}/{database}"
