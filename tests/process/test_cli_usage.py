"""Usage errors on the command line: one line on stderr, exit 2, and a hint for a typo."""

from __future__ import annotations

import os
from importlib.metadata import version

import pytest
from support.cli import cli

from snapwatch.commands.completion import completion_script

pytestmark = [pytest.mark.process]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["stauts"],
            "unknown command 'stauts'; did you mean status? (snapwatch --help lists them)",
        ),
        (["backfil", "--all"], "unknown command 'backfil'; did you mean backfill?"),
        (["zzz"], "unknown command 'zzz' (snapwatch --help lists them)"),
        (["status", "--bogus"], "unrecognized arguments: --bogus"),
        (["inspect", "--wake", "x"], "argument --wake: invalid int value: 'x'"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(args: list[str], line: str) -> None:
    done = cli(*args)
    assert (done.returncode, done.stdout) == (2, "")
    [said] = done.stderr.splitlines()
    assert said.startswith("snapwatch: error: ") and line in said


def test_help_still_shows_the_whole_usage() -> None:
    done = cli("--help")
    assert done.returncode == 0 and "audit" in done.stdout and "backfill" in done.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--metrics-port", "9000", "status"], "--metrics-port applies to --daemon only"),
        (["--tick-seconds", "3"], "--tick-seconds applies to --daemon only, not to the app"),
        (["--clock-name", "x", "run-once"], "--clock-name applies to --daemon only"),
        (["--daemon", "status"], "--daemon takes no command (got `status`)"),
        (["--no-scheduler", "status"], "--no-scheduler applies to the app and the demo"),
        (["demo", "--dsn", "postgresql://u@h/db"], "the demo always runs on the embedded server"),
        (["--dsn", "postgresql://u@h/db", "completion", "bash"], "`snapwatch completion` takes no"),
    ],
)
def test_a_flag_the_command_would_ignore_is_refused(args: list[str], line: str) -> None:
    done = cli(*args)
    assert (done.returncode, done.stdout) == (2, "")
    [said] = done.stderr.splitlines()
    assert said.startswith("snapwatch: error: ") and line in said


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--daemon", "--version"],
        ["--version", "status"],
        ["--dsn", "x", "--version"],
    ],
)
def test_version_prints_the_installed_version_and_exits_at_once(args: list[str]) -> None:
    done = cli(*args)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"snapwatch {version('snapwatch')}\n",
        "",
    )


def test_version_after_a_command_is_a_usage_error() -> None:
    done = cli("status", "--version")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "snapwatch: error: unrecognized arguments: --version\n"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_prints_the_script_without_reading_settings(shell: str) -> None:
    # A settings file that does not exist fails every other command; the script needs none.
    done = cli("completion", shell, env={**os.environ, "SNAPWATCH_CONFIG": "/nonexistent.toml"})
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == completion_script(shell).rstrip("\n") + "\n"
