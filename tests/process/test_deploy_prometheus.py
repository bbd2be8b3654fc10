"""deploy/prometheus and deploy/grafana without a daemon: promtool checks the rules and
runs their unit tests (deploy/prometheus/snapwatch-rules.test.yml), parses every query of
the dashboard, and every alert carries what an on-call person needs. Which metrics the
expressions read is checked against a running daemon in test_deploy_metrics.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from support.deploy_files import (
    DASHBOARD,
    PROMTOOL,
    PROMTOOL_MISSING,
    RULES,
    RULES_TESTS,
    alert_rules,
    as_promql,
    dashboard,
    dashboard_queries,
    metric_names,
    readme_anchors,
)

needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason=PROMTOOL_MISSING)


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


@needs_promtool
def test_promtool_checks_the_rules() -> None:
    done = promtool("check", "rules", RULES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in done.stdout


@needs_promtool
def test_the_rules_unit_tests_pass_and_cover_every_alert() -> None:
    done = promtool("test", "rules", RULES_TESTS)
    assert done.returncode == 0, done.stdout + done.stderr
    cases = yaml.safe_load(RULES_TESTS.read_text())["tests"]
    checks = [check for case in cases for check in case["alert_rule_test"]]
    for rule in alert_rules():
        own = [c for c in checks if c["alertname"] == rule["alert"]]
        assert any(c["exp_alerts"] for c in own), f"{rule['alert']} is never seen firing"
        assert any(not c["exp_alerts"] for c in own), f"{rule['alert']} is never seen quiet"


@needs_promtool
def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    """Parsed by promtool as recording rules, with Grafana's variables filled in."""
    queries = dashboard_queries()
    rules = [{"record": f"dashboard:query{n}", "expr": as_promql(q)} for n, q in enumerate(queries)]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = promtool("check", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(queries)} rules found" in done.stdout


def test_every_alert_has_a_delay_a_severity_and_a_runbook_in_the_readme() -> None:
    anchors = readme_anchors()
    rules = alert_rules()
    assert len(rules) == 8
    for rule in rules:
        name = rule["alert"]
        assert rule.get("for"), name
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        notes = rule["annotations"]
        assert notes["summary"] and notes["description"], name
        readme, anchor = notes["runbook"].split("#")
        assert readme == "README.md" and anchor in anchors, (name, notes["runbook"])


def test_the_dashboard_takes_its_data_source_as_a_variable() -> None:
    board = dashboard()
    assert [i["name"] for i in board["__inputs"]] == ["DS_PROMETHEUS"]
    [source] = [v for v in board["templating"]["list"] if v["type"] == "datasource"]
    assert source["name"] == "datasource" and source["query"] == "prometheus"
    for panel in board["panels"]:
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel
    ids = [p["id"] for p in board["panels"]]
    assert len(set(ids)) == len(ids), f"{DASHBOARD}: panel ids repeat"


def test_metric_names_are_read_from_expressions() -> None:
    expr = (
        "histogram_quantile(0.9, sum by (le) (rate(snapwatch_tick_duration_seconds_bucket[5m])))"
        ' / on() group_left max(up{job="snapwatch"}) + snapwatch_instance_up'
        " - count(update_total)"
    )
    assert metric_names(expr) == {
        "snapwatch_tick_duration_seconds_bucket",
        "up",
        "snapwatch_instance_up",
    }
    assert metric_names("label_values(snapwatch_instance_up, job)") == {"snapwatch_instance_up"}
    assert as_promql("label_values(snapwatch_instance_up, job)") == "snapwatch_instance_up"
