"""Platform text is inert in every command's output (pitfall 34): real processes on a
fleet whose names and codes hold escape sequences, an 8-bit CSI, markup and brackets
write no control byte to stdout or stderr, show the names with visible escapes, and
their ``--json`` stays exact JSON that gives the names back as stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from support.hostile_fleet import (
    BOLD,
    BRACKETS,
    CODES,
    COMPANIES,
    HOST,
    INSTANCE_ERROR,
    PROGRAMS,
    SITES,
    UNPLACED,
    seed_hostile,
    shown,
)

DRYING = SITES["Drying Floor"]
MAIN = SITES["Harborview Main Warehouse"]
CONTROL_BYTES = (b"\x1b", b"\x07", b"\x9b")


@pytest.fixture(scope="module")
def hostile(module_migrated_dsn: str) -> str:
    seed_hostile(module_migrated_dsn)
    return module_migrated_dsn


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    return {
        **clean,
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
    }


def snapwatch(dsn: str, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run a command; its exit code, stdout and stderr, after checking that neither
    carries a control byte."""
    done = subprocess.run(
        [sys.executable, "-m", "snapwatch", *args, "--dsn", dsn],
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
    )
    for stream in (done.stdout, done.stderr):
        for byte in CONTROL_BYTES:
            assert byte not in stream, (args, byte, stream)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def test_status_shows_every_name_escaped_and_its_json_gives_them_back(
    hostile: str, env: dict[str, str]
) -> None:
    code, out, err = snapwatch(hostile, env, "status")
    assert code == 0, err
    lines = out.splitlines()
    for name in SITES.values():
        assert any(line.startswith(shown(name) + " ") for line in lines), (name, out)
    for program in PROGRAMS.values():
        assert f"[{shown(program)}]" in lines
    assert f" {shown(HOST)[:12]}" in out and f"    last tick failed: {INSTANCE_ERROR}" in lines

    code, out, err = snapwatch(hostile, env, "status", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(SITES.values()) <= {s["site_name"] for s in doc["sites"]}
    assert HOST in {i["host"] for i in doc["instances"]}


def test_inspect_summary_devices_diff_and_json(hostile: str, env: dict[str, str]) -> None:
    code, out, err = snapwatch(hostile, env, "inspect", "--site", BRACKETS)
    assert code == 0, err
    lines = out.splitlines()
    assert any(line.startswith(f"site        {BRACKETS} (code ") for line in lines)
    assert f"program     Winter {BOLD}, day " in out
    assert f"company     {shown(COMPANIES['Harborview Cold Storage (demo)'])}" in lines
    assert {shown(code) for code in CODES} <= {line.split("  ")[0] for line in lines}
    assert f"unplaced: {shown(UNPLACED)}" in lines  # under the map

    code, out, err = snapwatch(hostile, env, "inspect", "--site", BRACKETS, "--diff", "--all")
    assert code == 0, err
    assert out.startswith(f"site {BRACKETS}, session ")
    assert {shown(code) for code in CODES} <= {line.split("  ")[0] for line in out.splitlines()}

    json_diff = ("inspect", "--site", BRACKETS, "--diff", "--all", "--json")
    code, out, err = snapwatch(hostile, env, *json_diff)
    assert code == 0, err
    diff = json.loads(out)
    assert diff["site_name"] == BRACKETS
    assert set(CODES) <= {d["device_code"] for d in diff["devices"]}

    code, out, err = snapwatch(hostile, env, "inspect", "--site", DRYING, "--json")
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    assert document["site_metadata"]["site_name"] == DRYING
    assert document["program_context"]["program_name"] == PROGRAMS["Grain Storage Trial"]
    assert "\\u009b" in out and "\\u001b" in out  # escaped in the JSON text, exact when read


def test_run_once_force_pause_and_errors_show_names_escaped(
    hostile: str, env: dict[str, str]
) -> None:
    code, out, err = snapwatch(hostile, env, "run-once")
    assert code in (0, 1), err
    lines = out.splitlines()
    for name in SITES.values():
        assert any(line[9:].startswith(shown(name) + " ") for line in lines), (name, out)

    code, out, err = snapwatch(hostile, env, "run-once", "--json", "--site", DRYING)
    assert code in (0, 1), err
    assert [s["site_name"] for s in json.loads(out)["sites"]] == [DRYING]

    code, out, err = snapwatch(hostile, env, "force", "--site", MAIN)  # no open session
    assert code == 1 and out == ""
    assert err.startswith(f"snapwatch: error: cannot force {MAIN!r}: ") and err.count("\n") == 1

    code, out, err = snapwatch(hostile, env, "force", "--all")
    assert code in (0, 1), err
    lines = out.splitlines()
    for name in SITES.values():
        assert any(line[9:].startswith(shown(name) + " ") for line in lines), (name, out)

    code, out, err = snapwatch(hostile, env, "pause", "--site", DRYING, "--reason", BOLD)
    assert code == 0, err
    assert out.startswith(f"paused {DRYING!r} until resumed, by ")
    assert out.rstrip().endswith(f': "{BOLD}"')

    code, out, err = snapwatch(hostile, env, "status", "--site", f"Nowhere{DRYING}")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("snapwatch: error: ")
    assert shown(f"Nowhere{DRYING}") in err
