"""Every series the shipped alert rules and dashboard read is one a running daemon
exports: a real ``snapwatch --daemon`` against the test database is scraped once it has
ticked and read its sites' states."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.daemon import Daemon, build_fleet
from support.deploy_files import alert_rules, dashboard_queries, metric_names

pytestmark = pytest.mark.slow  # a real daemon

# Recorded by Prometheus for every target it scrapes, not exported by the target.
SCRAPE_SERIES = {"up"}


def exported(exposition: str) -> set[str]:
    """The series names in a Prometheus text exposition."""
    return {
        line.split("{")[0].split(" ")[0]
        for line in exposition.splitlines()
        if line and not line.startswith("#")
    }


def test_the_rules_and_the_dashboard_read_only_series_the_daemon_exports(
    migrated_dsn: str, tmp_path: Path
) -> None:
    build_fleet(migrated_dsn)
    daemon = Daemon(migrated_dsn, tmp_path)
    try:
        daemon.wait_event("tick", wrote=lambda e: e["snapshots"] > 0)
        body = daemon.wait_for(
            "sites by state",
            lambda: (b := daemon.get("/metrics")[1]) and "snapwatch_sites{" in b and b,
        )
    finally:
        daemon.kill()
    names = exported(body) | SCRAPE_SERIES
    assert "snapwatch_tick_duration_seconds_bucket" in names and "snapwatch_ticks_total" in names
    rules = {rule["alert"]: metric_names(rule["expr"]) for rule in alert_rules()}
    queries = {query: metric_names(query) for query in dashboard_queries()}
    for source, used in [*rules.items(), *queries.items()]:
        assert used, f"no metric in {source}"
        assert used <= names, (
            f"{source} reads {sorted(used - names)}, which the daemon does not export"
        )
