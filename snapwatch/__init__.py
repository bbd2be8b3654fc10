"""snapwatch: site snapshots on a cadence, and a live view of them."""

__version__ = "0.1.0"
