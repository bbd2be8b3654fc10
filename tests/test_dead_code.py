"""No dead code in ``snapwatch``: vulture, configured by ``[tool.vulture]`` in pyproject.toml,
finds nothing. A name used only by a framework or by tests goes in vulture_whitelist.py
with the reason; anything else it finds is removed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_vulture_finds_no_dead_code() -> None:
    pytest.importorskip("vulture", reason="vulture is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", "vulture"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"vulture found dead code:\n{done.stdout}{done.stderr}"
