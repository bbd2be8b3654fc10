"""The embedded PostgreSQL: reuse, recovery after SIGKILL, stop with the last user."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from snapwatch.infra.embedded import PGDATA_NAME, PID_LIST, repair_pid_list

HOLDER = Path(__file__).parents[1] / "support" / "embedded_holder.py"
pytestmark = pytest.mark.slow


class Holder:
    """A real snapwatch process holding the embedded server in ``data_dir``."""

    def __init__(
        self, data_dir: Path, prefix: list[str] | None = None, env: dict[str, str] | None = None
    ):
        self.proc = subprocess.Popen(
            [*(prefix or []), sys.executable, str(HOLDER), str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(self.proc.stderr.read() if self.proc.stderr else "no output")
        self.postmaster = int(line)

    def exit(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def wait_gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


def pid_list(data_dir: Path) -> list[int]:
    import json

    return [int(p) for p in json.loads((data_dir / PGDATA_NAME / PID_LIST).read_text())]


def test_second_process_reuses_the_running_server_and_last_one_stops_it(tmp_path: Path) -> None:
    first = Holder(tmp_path)
    second = Holder(tmp_path)
    assert second.postmaster == first.postmaster
    second.exit()
    assert psutil.pid_exists(first.postmaster), "server stopped while still in use"
    first.exit()
    assert wait_gone(first.postmaster), "server left running after the last user exited"


def test_after_sigkill_next_process_attaches_repairs_and_stops_on_exit(tmp_path: Path) -> None:
    killed = Holder(tmp_path)
    killed.kill()
    assert psutil.pid_exists(killed.postmaster), "the server outlives a killed user"
    assert killed.proc.pid in pid_list(tmp_path)  # the stale bookkeeping we must repair
    survivor = Holder(tmp_path)
    assert survivor.postmaster == killed.postmaster  # attached, not restarted
    assert pid_list(tmp_path) == [survivor.proc.pid]
    survivor.exit()
    assert wait_gone(killed.postmaster)


def test_repair_keeps_live_pids_and_drops_dead_ones(tmp_path: Path) -> None:
    pgdata = tmp_path / PGDATA_NAME
    pgdata.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (pgdata / PID_LIST).write_text(f"[{os.getpid()}, {dead.pid}]")
    assert repair_pid_list(pgdata) == [dead.pid]
    assert pid_list(tmp_path) == [os.getpid()]


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop privileges")
def test_embedded_server_runs_for_a_normal_user(tmp_path: Path) -> None:
    """As root the suite itself exercises the root path; here a non-root user starts one."""
    if os.geteuid() != 0:
        holder = Holder(tmp_path)
        assert psutil.Process(holder.postmaster).username() == pwd.getpwuid(os.geteuid()).pw_name
        holder.exit()
        assert wait_gone(holder.postmaster)
        return
    user = pwd.getpwnam("nobody")
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, user.pw_uid, user.pw_gid)
    tmp_path.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    prefix = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    holder = Holder(home / "data", prefix=prefix, env=env)
    assert psutil.Process(holder.postmaster).username() == "nobody"
    holder.exit()
    assert wait_gone(holder.postmaster)
