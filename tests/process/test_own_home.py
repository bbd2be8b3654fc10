"""The suite never touches the files of the person running it: the session has a home of
its own (tests/conftest.py ``own_home``), and processes the tests start inherit it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from support.home import HOME_VARIABLES, REAL_HOME, REAL_LOG_FILE

# Runs the terminal app headless on a database with its default log file (no log_path),
# waits until it shows its sites, logs a line, and quits.
APP_RUN = textwrap.dedent(
    """
    import functools, logging, sys
    from textual.app import App
    from snapwatch.cli import main
    from snapwatch.tui.base import BaseApp

    async def quit_when_ready(pilot):
        await pilot.pause(0.5)
        logging.getLogger("snapwatch").warning(sys.argv[2])
        pilot.app.exit(0)

    BaseApp.run = functools.partialmethod(App.run, headless=True, auto_pilot=quit_when_ready)
    sys.exit(main(["--dsn", sys.argv[1], "--no-scheduler"]))
    """
)


def test_the_session_has_a_home_of_its_own(own_home: Path) -> None:
    for variable, name in HOME_VARIABLES.items():
        assert os.environ[variable] == str(own_home / name)
        assert not Path(os.environ[variable]).is_relative_to(REAL_HOME)
    assert not [key for key in os.environ if key.startswith("SNAPWATCH_")]


@pytest.mark.slow
def test_the_app_in_a_process_logs_to_the_session_home_not_the_users(
    migrated_dsn: str, own_home: Path
) -> None:
    marker = f"a line from the own-home test {uuid.uuid4()}"
    done = subprocess.run(
        [sys.executable, "-c", APP_RUN, migrated_dsn, marker],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    own_log = own_home / "state" / "snapwatch" / "snapwatch.log"
    assert marker in own_log.read_text()
    # Other snapwatch processes of this machine may write the real log meanwhile; this
    # run's line must not be there.
    assert marker not in (REAL_LOG_FILE.read_text() if REAL_LOG_FILE.exists() else "")
