"""deploy/systemd/snapwatch.service: systemd-analyze verifies it, it carries the
hardening and restart policy the README promises, and the README's excerpt is the file's.

``systemd-analyze verify`` refuses a unit whose ExecStart= program does not exist, and the
unit names where a deployment installs snapwatch (/opt/snapwatch/venv), so the verified
copy runs an executable this machine has instead; every other line is the shipped one."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support.deploy_files import README, UNIT

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
EXEC_START = "ExecStart=/opt/snapwatch/venv/bin/snapwatch "


def settings() -> dict[str, str]:
    lines = UNIT.read_text().splitlines()
    pairs = (line.partition("=") for line in lines if "=" in line and not line.startswith("#"))
    return {key: value for key, _, value in pairs}


@pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="needs systemd-analyze (Debian package systemd)"
)
def test_systemd_analyze_verifies_the_unit_without_a_warning(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    present = shutil.which("true")
    assert present is not None
    text = UNIT.read_text()
    assert text.count(EXEC_START) == 1
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace(EXEC_START, f"ExecStart={present} "))
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # An unknown key or a bad value is only a warning to systemd (exit 0): none is allowed.
    assert done.returncode == 0 and not done.stdout and not done.stderr, done.stderr


def test_the_unit_is_hardened_and_restarts_on_everything_but_configuration() -> None:
    unit = settings()
    assert unit["ExecStart"].split()[1:4] == ["--daemon", "--log-format", "json"]
    assert unit["EnvironmentFile"] == "/etc/snapwatch/env"
    assert "postgresql" not in "".join(unit.values())  # the DSN lives in the environment file
    assert unit["DynamicUser"] == "yes" and unit["StateDirectory"] == "snapwatch"
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert unit[key] == "yes", key
    assert unit["ProtectSystem"] == "strict"
    assert unit["Restart"] == "on-failure" and unit["RestartPreventExitStatus"] == "2"
    assert unit["KillSignal"] == "SIGTERM" and int(unit["TimeoutStopSec"]) >= 5


def test_the_readme_excerpt_is_the_shipped_unit() -> None:
    readme = README.read_text()
    [excerpt] = re.findall(
        r"```ini\n# deploy/systemd/snapwatch.service \(excerpt\)\n(.*?)```", readme, re.S
    )
    shipped = UNIT.read_text().splitlines()
    lines = [line for line in excerpt.splitlines() if line and line != "..."]
    assert len(lines) >= 10
    for line in lines:
        assert line in shipped, line
