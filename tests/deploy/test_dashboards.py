"""Grafana provisioning and dashboards: valid JSON, known data sources, and SQL that runs as the reader."""

from __future__ import annotations

import re
from datetime import datetime

import asyncpg
import yaml

from tests.deploy.conftest import (
    DASHBOARDS,
    DEPLOY,
    RECORDED,
    dashboard_queries,
    load_dashboard,
    panels,
    recorded_names,
)
from tests.reports.seed import NOW, T0, seed

PROVISIONING = DEPLOY / "grafana" / "provisioning"


def _datasources() -> dict[str, dict[str, object]]:
    data = yaml.safe_load((PROVISIONING / "datasources" / "yuqing.yml").read_text(encoding="utf-8"))
    return {d["uid"]: d for d in data["datasources"]}


def test_provisioning_declares_prometheus_and_postgres() -> None:
    ds = _datasources()
    assert ds["yuqing-prometheus"]["type"] == "prometheus"
    assert ds["yuqing-postgres"]["type"] == "grafana-postgresql-datasource"
    # the password is an environment reference, never a literal
    pg = ds["yuqing-postgres"]
    assert pg["secureJsonData"] == {"password": "$GRAFANA_PG_PASSWORD"}  # type: ignore[comparison-overlap]
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "yuqing.yml").read_text(encoding="utf-8"))
    path = providers["providers"][0]["options"]["path"]
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{path}:ro" in mounts


def test_three_dashboards_with_unique_uids_and_known_datasources() -> None:
    known = set(_datasources())
    boards = {p.stem: load_dashboard(p) for p in DASHBOARDS}
    assert set(boards) == {"yuqing-timeliness", "yuqing-situation", "yuqing-operations"}
    assert len({b["uid"] for b in boards.values()}) == 3
    for name, board in boards.items():
        assert board["title"].startswith("舆情哨")
        ids = [p["id"] for p in panels(board)]
        assert len(ids) == len(set(ids)), name
        for p in panels(board):
            if p["type"] == "row":
                continue
            assert p["datasource"]["uid"] in known, f"{name} / {p['title']}"
            for t in p["targets"]:
                assert t["datasource"]["uid"] in known, f"{name} / {p['title']}"
        for var in board["templating"]["list"]:
            assert var["datasource"]["uid"] in known


def test_timeliness_dashboard_shows_the_three_statutory_ratios_and_a_postgres_table() -> None:
    board = load_dashboard(DEPLOY / "grafana" / "dashboards" / "yuqing-timeliness.json")
    text = " ".join(q for _, _, q in dashboard_queries(board))
    for rec in ("statement_within_5h", "press_conference_within_24h", "response_within_48h"):
        assert f"department:yuqing_{rec}:ratio_30d" in text
    assert "yuqing_clock_breaches_total" in text
    pg_tables = [p for p in panels(board) if p.get("datasource", {}).get("uid") == "yuqing-postgres"]
    assert any("clock_outcomes" in t["rawSql"] for p in pg_tables for t in p["targets"])


def test_recorded_series_used_by_dashboards_are_defined_by_rules() -> None:
    defined = recorded_names()
    for path in DASHBOARDS:
        for title, _, text in dashboard_queries(load_dashboard(path)):
            for name in RECORDED.findall(text):
                assert name in defined, f"{path.name} / {title}: {name} is not a recording rule"


def _grafana_sql(sql: str) -> str:
    """Expand the Grafana macros the dashboards use, as Grafana's PostgreSQL data source would."""
    start, end = f"'{T0.isoformat()}'", f"'{NOW.isoformat()}'"
    sql = re.sub(r"\$__timeFilter\(([\w.]+)\)", rf"\1 BETWEEN {start} AND {end}", sql)
    sql = sql.replace("$__timeFrom()", start).replace("$__timeTo()", end)
    assert "$" not in sql, sql
    return sql


async def test_every_postgres_panel_query_runs_as_the_grafana_reader(pool: asyncpg.Pool, db_url: str) -> None:
    """Runs each SQL panel with the reporting role only: it can read the views and nothing else."""
    async with pool.acquire() as conn:
        await seed(conn)
        queries = [
            (path.name, title, _grafana_sql(text))
            for path in DASHBOARDS
            for title, uid, text in dashboard_queries(load_dashboard(path))
            if uid == "yuqing-postgres"
        ]
        assert len(queries) >= 5
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE yuqing_reporting")
            rows_seen = 0
            for name, title, sql in queries:
                rows = await conn.fetch(sql)
                rows_seen += len(rows)
                assert rows is not None, f"{name} / {title}"
            assert rows_seen > 0
            for secret in ("posts", "api_tokens", "web_sessions", "incidents", "outbox"):
                try:
                    async with conn.transaction():
                        await conn.fetch(f"SELECT * FROM {secret} LIMIT 1")
                except asyncpg.InsufficientPrivilegeError:
                    continue
                raise AssertionError(f"the reporting role can read {secret}")
    assert isinstance(NOW, datetime)
