"""The core never imports Textual or Rich; the layers hold; the house stays lint- and
type-clean."""

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


UI = ("textual", "textual_plotext", "rich")


def ui_modules_after(code: str) -> list[str]:
    """The Textual and Rich modules a fresh interpreter holds after running ``code``."""
    probe = (
        f"{code}\n"
        "import sys\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {UI!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return [name for name in result.stdout.strip().split(",") if name]


def test_importing_the_core_does_not_import_textual_or_rich() -> None:
    modules = core_modules()
    assert "snapwatch.cli" in modules and "snapwatch.infra.db" in modules
    code = f"import importlib\nfor name in {modules!r}: importlib.import_module(name)"
    assert ui_modules_after(code) == []


# Each headless entry point, imported alone in its own interpreter, as the command line
# reaches it: the daemon, `run-once`, `status` and `inspect --json` never load the app.
HEADLESS = {
    "daemon": "import snapwatch.service.daemon",
    "run-once": "import snapwatch.commands.run_once",
    "status": "import snapwatch.commands.status",
    "inspect": "import snapwatch.commands.inspect, snapwatch.commands.inspect_json",
    "cli": "import snapwatch.cli",
}
# ... and dispatched by the command line to a server that is not there (each ends at
# "database unreachable", after importing everything its command needs; the daemon, read
# only, refuses to start once loaded).
NOWHERE = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"
for argv in (
    ["status"],
    ["run-once", "--all"],
    ["inspect", "--site", "x", "--json"],
    ["--read-only", "--daemon"],
):
    HEADLESS["cli " + " ".join(argv)] = (
        f"import snapwatch.cli\nsnapwatch.cli.main(['--dsn', {NOWHERE!r}, *{argv!r}])"
    )


@pytest.mark.parametrize("code", list(HEADLESS.values()), ids=list(HEADLESS))
def test_headless_entry_points_load_neither_textual_nor_rich(code: str) -> None:
    assert ui_modules_after(code) == []


def test_the_layers_hold() -> None:
    """The import contracts in pyproject.toml ([tool.importlinter])."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
