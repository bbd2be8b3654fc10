"""snapwatch's command line in a process of its own."""

from __future__ import annotations

import subprocess
import sys


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m snapwatch *args``, its output captured as text. It inherits the test
    session's environment (its own home, no SNAPWATCH_*) unless ``env`` is given."""
    return subprocess.run(
        [sys.executable, "-m", "snapwatch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
