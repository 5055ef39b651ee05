"""Paths and helpers shared by the deployment tests."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
RULE_FILES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
# A metric name (not a recorded name: those contain colons), e.g. yuqing_polls_total.
METRIC = re.compile(r"(?<![\w:])(yuqing_[a-zA-Z0-9_]+)(?![\w:])")
RECORDED = re.compile(r"(?<![\w:])([a-zA-Z_]+:yuqing_[a-zA-Z0-9_]+:[a-zA-Z0-9_]+)")


def need(tool: str) -> str:
    """The tool's path; a missing tool fails (the Makefile's system-deps installs it), never skips."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} is not installed: run `make system-deps` (deploy/scripts/install-system-deps.sh)"
        )
    return path


def load_dashboard(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in dashboard.get("panels", []):
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(panel title, datasource uid, query text) for every target and templating query."""
    out: list[tuple[str, str, str]] = []
    for p in panels(dashboard):
        for t in p.get("targets", []):
            uid = (t.get("datasource") or p.get("datasource") or {}).get("uid", "")
            text = t.get("expr") or t.get("rawSql") or ""
            out.append((p.get("title", ""), uid, text))
    for var in dashboard.get("templating", {}).get("list", []):
        q = var.get("query")
        text = q.get("query", "") if isinstance(q, dict) else str(q or "")
        out.append((f"variable {var['name']}", (var.get("datasource") or {}).get("uid", ""), text))
    return out


def rule_exprs() -> list[tuple[str, str]]:
    """(rule name, expr) for every alerting and recording rule."""
    out: list[tuple[str, str]] = []
    for f in RULE_FILES:
        for group in yaml.safe_load(f.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                out.append((rule.get("alert") or rule["record"], rule["expr"]))
    return out


def recorded_names() -> set[str]:
    names: set[str] = set()
    for f in RULE_FILES:
        for group in yaml.safe_load(f.read_text(encoding="utf-8"))["groups"]:
            names.update(r["record"] for r in group["rules"] if "record" in r)
    return names
