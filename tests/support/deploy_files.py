"""The shipped operations files under deploy/: the Prometheus rules, the Grafana
dashboard, the systemd unit, and the metric names their expressions use."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "snapwatch-rules.yml"
RULES_TESTS = DEPLOY / "prometheus" / "snapwatch-rules.test.yml"
DASHBOARD = DEPLOY / "grafana" / "snapwatch-dashboard.json"
UNIT = DEPLOY / "systemd" / "snapwatch.service"
README = DEPLOY.parent / "README.md"

PROMTOOL = shutil.which("promtool")
PROMTOOL_MISSING = "needs promtool (Debian package prometheus; .ci/run installs it)"

# snapwatch's own series (with the _bucket/_sum/_count/_total/_created suffixes as they
# appear in the exposition) and the `up` Prometheus records for every scrape.
_METRIC = re.compile(r"\b(?:snapwatch_\w+|up\b(?=\s*[{\[]))")
# Grafana's variables, replaced by what they stand for when Prometheus runs the query.
_GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$job": "snapwatch"}


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_queries() -> list[str]:
    """Every PromQL query of the dashboard: the panels' targets and the variables'."""
    return list(_queries(dashboard()))


def _queries(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _queries(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" or (key == "query" and isinstance(value, str) and "(" in value):
                yield value
            else:
                yield from _queries(value)


def metric_names(expr: str) -> set[str]:
    """The series an expression reads (``label_values(m, job)`` reads ``m``)."""
    return set(_METRIC.findall(expr))


def as_promql(query: str) -> str:
    """A dashboard query as Prometheus gets it (Grafana's variables replaced)."""
    for variable, value in _GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    return re.sub(r"^label_values\((\w+), *\w+\)$", r"\1", query)


def readme_anchors() -> set[str]:
    """The anchors GitHub gives the README's headings."""
    anchors, fenced = set(), False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif line.startswith("#") and not fenced:
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors
