"""The user's real home, as it was before the test session gave itself its own.

Imported by tests/conftest.py before any fixture runs, so ``REAL_HOME`` is the home of
the person running the tests, not the session's throwaway one."""

from __future__ import annotations

import os
from pathlib import Path

REAL_HOME = Path(os.environ.get("HOME") or Path.home())

# Where the app would log for the real user (platformdirs.user_state_path on Linux).
REAL_STATE_HOME = Path(os.environ.get("XDG_STATE_HOME") or REAL_HOME / ".local" / "state")
REAL_LOG_FILE = REAL_STATE_HOME / "snapwatch" / "snapwatch.log"

HOME_VARIABLES = {
    "HOME": "home",
    "XDG_CONFIG_HOME": "config",
    "XDG_DATA_HOME": "data",
    "XDG_STATE_HOME": "state",
    "XDG_CACHE_HOME": "cache",
}
