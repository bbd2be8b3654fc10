"""Messages from the app's workers to its widgets (workers never touch widgets)."""

from __future__ import annotations

from datetime import datetime

from textual.message import Message

from snapwatch.readmodels.sites import SiteOverview


class SitesLoaded(Message):
    """A fresh sites overview, read as of ``at``."""

    def __init__(self, sites: list[SiteOverview], at: datetime) -> None:
        super().__init__()
        self.sites = sites
        self.at = at


class SitesFailed(Message):
    """Reading the overview failed; ``error`` is one line, already redacted."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
