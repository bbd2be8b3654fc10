"""The core never imports Textual; the house stays lint- and type-clean."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import snapwatch

ROOT = Path(__file__).resolve().parents[2]


def core_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(snapwatch.__path__, prefix="snapwatch.")
        if not info.name.startswith("snapwatch.tui") and info.name != "snapwatch.__main__"
    ]
    return ["snapwatch", *sorted(names)]


def test_importing_the_core_does_not_import_textual() -> None:
    modules = core_modules()
    assert "snapwatch.cli" in modules and "snapwatch.infra.db" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "ui = ('textual', 'textual_plotext')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ui)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"core pulled in: {result.stdout.strip()}"


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "snapwatch", "tests"],
        ["ruff", "format", "--check", "snapwatch", "tests"],
        ["mypy"],
    ],
    ids=["ruff-lint", "ruff-format", "mypy"],
)
def test_code_is_lint_format_and_type_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
