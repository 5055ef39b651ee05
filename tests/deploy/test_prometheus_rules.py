"""Prometheus configuration, alerting and recording rules, checked and unit-tested by the real promtool."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from tests.deploy.conftest import DASHBOARDS, DEPLOY, RULE_FILES, dashboard_queries, load_dashboard, need


def _run(*args: str, cwd: Path = DEPLOY) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_rules_pass_promtool_check() -> None:
    result = _run(need("promtool"), "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_FILES)


def test_rules_pass_their_promtool_unit_tests() -> None:
    tests = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
    assert len(tests) >= 2
    result = _run(need("promtool"), "test", "rules", *map(str, tests))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout


def test_every_alert_is_unit_tested() -> None:
    alerts = {
        r["alert"]
        for f in RULE_FILES
        for g in yaml.safe_load(f.read_text())["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    assert {
        "YuqingEngineLagHigh",
        "YuqingAuditorHeartbeatMissing",
        "YuqingOutboxGrowing",
        "YuqingSourceStale",
        "YuqingDeliveryFailureRate",
    } <= alerts
    tested = set()
    for f in (DEPLOY / "prometheus" / "tests").glob("*.yml"):
        for case in yaml.safe_load(f.read_text())["tests"]:
            for t in case.get("alert_rule_test", []):
                if t.get("exp_alerts"):
                    tested.add(t["alertname"])
    assert alerts <= tested, f"alerts without a firing test: {alerts - tested}"


def test_prometheus_config_is_valid() -> None:
    result = _run(need("promtool"), "check", "config", "prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_config_is_valid() -> None:
    result = _run(need("amtool"), "check-config", "alertmanager/alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dashboard_promql_expression_parses(tmp_path: Path) -> None:
    """promtool parses each dashboard expression, with Grafana's variables replaced by sample values."""
    rules = []
    for path in DASHBOARDS:
        for title, uid, text in dashboard_queries(load_dashboard(path)):
            if uid != "yuqing-prometheus" or text.startswith("label_values("):
                continue
            expr = text.replace("$__range", "1h").replace("$__rate_interval", "1m")
            expr = re.sub(r"\$\{?department\}?", ".*", expr)
            assert "$" not in expr, f"{path.name} / {title}: unknown variable in {text}"
            rules.append({"record": f"dashboard:check_{len(rules)}:expr", "expr": expr})
    assert len(rules) > 20
    f = tmp_path / "dashboards.rules.yml"
    f.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, allow_unicode=True))
    result = _run(need("promtool"), "check", "rules", str(f))
    assert result.returncode == 0, result.stdout + result.stderr
