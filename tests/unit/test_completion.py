"""`snapwatch completion bash|zsh`: the scripts generated from the parser, checked by the
shells themselves (bash completes through its own `complete` machinery)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from snapwatch.commands.completion import completion_script
from snapwatch.commands.parser import build_parser

# Sources the script, finds the function `complete -p snapwatch` registered and calls it
# the way bash does on Tab: COMP_WORDS and COMP_CWORD set, then the words as arguments.
DRIVER = r"""
source "$1"; shift
spec=$(complete -p snapwatch) || exit 9
fn=${spec#*-F }; fn=${fn%% *}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$fn" snapwatch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("completion") / "snapwatch.bash"
    path.write_text(completion_script("bash"))
    return path


def complete(script: Path, *words: str, cwd: Path | None = None) -> list[str]:
    """What bash offers for ``words`` (the last one being completed)."""
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", DRIVER, "driver", str(script), *words],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        timeout=30,
    )
    return sorted(filter(None, done.stdout.splitlines()))


def commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def test_bash_accepts_the_script(bash_script: Path) -> None:
    done = subprocess.run(
        ["bash", "-n", str(bash_script)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (("snapwatch", "sta"), ["status"]),
        (("snapwatch", "status", "--j"), ["--json"]),
        (("snapwatch", "backfill", "--r"), ["--rate", "--read-only", "--replace", "--restore"]),
        (("snapwatch", "--log-format", ""), ["json", "text"]),
        (("snapwatch", "completion", ""), ["bash", "zsh"]),
        (("snapwatch", "--dae"), ["--daemon"]),
        (("snapwatch", "--vers"), ["--version"]),
    ],
)
def test_bash_completes_commands_flags_and_choices(
    bash_script: Path, words: tuple[str, ...], offered: list[str]
) -> None:
    assert complete(bash_script, *words) == offered


def test_bash_offers_every_command_of_the_parser(bash_script: Path) -> None:
    assert complete(bash_script, "snapwatch", "") == commands()
    assert "completion" in commands()


def test_bash_completes_paths_after_config_and_data_dir(bash_script: Path, tmp_path: Path) -> None:
    (tmp_path / "snapwatch.toml").write_text("")
    (tmp_path / "data").mkdir()
    assert complete(bash_script, "snapwatch", "--config", "sn", cwd=tmp_path) == ["snapwatch.toml"]
    assert complete(bash_script, "snapwatch", "status", "--data-dir", "", cwd=tmp_path) == ["data"]


def test_zsh_script_is_a_completion_function_zsh_accepts(tmp_path: Path) -> None:
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed: its script is not checked here")
    script = completion_script("zsh")
    assert script.startswith("#compdef snapwatch\n")  # what zsh's compinit looks for in _snapwatch
    path = tmp_path / "_snapwatch"
    path.write_text(script)
    done = subprocess.run([zsh, "-n", str(path)], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")


def test_zsh_menu_shows_each_command_by_its_one_line_help() -> None:
    script = completion_script("zsh")
    assert "status:'sites, due times, schedulers, pauses and pg_cron'" in script
    assert "completion:'print the shell completion script'" in script
