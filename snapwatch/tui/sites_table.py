"""The sites table moved to :mod:`snapwatch.tui.panes.sites`; this name still imports it."""

from snapwatch.tui.panes.sites import SitesTable

__all__ = ["SitesTable"]
