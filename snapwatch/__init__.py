"""snapwatch: site snapshots on a cadence, and a live view of them."""

from importlib.metadata import PackageNotFoundError, version

try:
    # One version, pyproject.toml's, as the installed distribution's metadata has it.
    __version__ = version("snapwatch")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
