"""The levels under the run list: one run's per-site outcomes (failures first) and one
site's recent failures across runs. ``enter`` on an outcome opens its site's failures;
``enter`` on a failure opens the run it happened in."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text

from snapwatch.readmodels.runs import RunSite, RunSites, SiteFailure, SiteFailures, run_sites
from snapwatch.readmodels.runs import site_failures as read_failures
from snapwatch.tui.columns import ColumnSpec
from snapwatch.tui.plain import plain
from snapwatch.tui.screens.runs.base import OpenTable, RunsBase, RunsContext
from snapwatch.tui.screens.runs.text import (
    FAILURE_SPECS,
    SITE_SPECS,
    failure_lines,
    failure_row,
    joined,
    run_header,
    site_lines,
    site_row,
    site_text,
)

OUTCOMES_SHOWN = 1000
"""Per-site rows of one run read at most (failures first, so none is left out)."""
FAILURES_SHOWN = 50


class SitesTable(OpenTable):
    SPECS: ClassVar[tuple[ColumnSpec, ...]] = SITE_SPECS

    def __init__(self) -> None:
        super().__init__(id="run-sites")


class FailuresTable(OpenTable):
    SPECS: ClassVar[tuple[ColumnSpec, ...]] = FAILURE_SPECS

    def __init__(self) -> None:
        super().__init__(id="site-failures")


class RunSitesScreen(RunsBase):
    """What one run did with each site."""

    NOTES = (
        "outcomes: failed, then conflict (another writer held the slot), written (one row"
        " per snapshot), skipped (with its reason)",
    )

    def __init__(self, context: RunsContext, found: RunSites) -> None:
        super().__init__(context, SitesTable())
        self.found = found
        self.sites: dict[str, RunSite] = {str(s.key): s for s in found.sites}

    def on_mount(self) -> None:
        super().on_mount()
        self.header.update(joined(run_header(self.found, self.context.mine)))
        self.table.border_title = "sites of this run, failures first"
        self.table.show_rows({key: site_row(site) for key, site in self.sites.items()})
        self.show_detail()

    def detail_of(self, key: str) -> list[Text]:
        site = self.sites.get(key)
        return site_lines(site) if site is not None else []

    def action_open(self) -> None:
        key = self.table.cursor_key
        site = self.sites.get(key) if key is not None else None
        if site is None:
            return
        context, site_id = self.context, site.site_id
        self.open_next(
            lambda conn: read_failures(conn, site_id, FAILURES_SHOWN),
            lambda found: SiteFailuresScreen(context, found),
        )


class SiteFailuresScreen(RunsBase):
    """One site's recent failures, newest first."""

    def __init__(self, context: RunsContext, found: SiteFailures) -> None:
        super().__init__(context, FailuresTable())
        self.found = found
        self.failures: dict[str, SiteFailure] = {str(f.key): f for f in found.failures}

    def on_mount(self) -> None:
        super().on_mount()
        found = self.found
        title = plain(site_text(found.site_name, found.site_id), "bold")
        count = len(found.failures)
        title.append(
            f" · {count} most recent failures, newest first"
            if count
            else " · no failure recorded in the run history"
        )
        self.header.update(title)
        self.table.border_title = "failures of this site"
        mine = self.context.mine
        self.table.show_rows({k: failure_row(f, mine) for k, f in self.failures.items()})
        self.show_detail()

    def detail_of(self, key: str) -> list[Text]:
        failure = self.failures.get(key)
        return failure_lines(failure, self.context.mine) if failure is not None else []

    def action_open(self) -> None:
        key = self.table.cursor_key
        failure = self.failures.get(key) if key is not None else None
        if failure is None:
            return
        context, run_id = self.context, failure.run_id
        self.open_next(
            lambda conn: run_sites(conn, run_id, OUTCOMES_SHOWN),
            lambda found: RunSitesScreen(context, found),
        )
