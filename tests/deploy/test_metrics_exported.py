"""Every metric name in the dashboards and rules is exported by the running service's /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from monitor.app import build_jobs, build_web, run_service, services_for
from monitor.clock import FakeClock
from monitor.settings import Settings
from tests.deploy.conftest import DASHBOARDS, METRIC, ROOT, dashboard_queries, load_dashboard, rule_exprs
from tests.ports import free_port
from tests.reports.seed import NOW, seed

SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported_names(text: str) -> tuple[set[str], set[str]]:
    """(names a query may use, names that have at least one sample), from the exposition text."""
    usable: set[str] = set()
    sampled: set[str] = set()
    for family in text_string_to_metric_families(text):
        usable.update(family.name + s for s in SUFFIXES.get(family.type, ("",)))
        sampled.update(s.name for s in family.samples)
    return usable, sampled


def used_names() -> dict[str, str]:
    """Metric name → where it is used (first place), over dashboards and rules."""
    used: dict[str, str] = {}
    for path in DASHBOARDS:
        for title, uid, text in dashboard_queries(load_dashboard(path)):
            if uid == "yuqing-prometheus":
                for name in METRIC.findall(text):
                    used.setdefault(name, f"{path.name} / {title}")
    for rule, expr in rule_exprs():
        for name in METRIC.findall(expr):
            used.setdefault(name, f"rule {rule}")
    return used


def _settings(db_url: str, role: str, port: int) -> Settings:
    return Settings.from_env(
        env={"DATABASE_URL": db_url},
        sources_path=ROOT / "sources.yaml",
        responders_path=ROOT / "responders",
        listen=("127.0.0.1", port),
        role=role,
    )


@asynccontextmanager
async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_every_metric_in_dashboards_and_rules_is_exported(pool: asyncpg.Pool, db_url: str) -> None:
    async with pool.acquire() as conn:
        await seed(conn)
    clock = FakeClock(NOW)
    async with services_for(_settings(db_url, "all", 0), clock, pool=pool) as services:
        jobs = {job.name: job for job in build_jobs(services)}
        await jobs["observability"].run_once()
        async with _serve(build_web(services)) as base, aiohttp.ClientSession() as http:
            async with http.get(f"{base}/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain")
                text = await resp.text()
    usable, sampled = exported_names(text)
    used = used_names()
    assert len(used) >= 25, sorted(used)
    missing = {name: where for name, where in used.items() if name not in usable}
    assert not missing, f"used but not exported: {missing}"
    # the DB-derived gauges carry real values from this database
    for name in (
        "yuqing_incidents_open",
        "yuqing_clocks_overdue",
        "yuqing_outbox_depth",
        "yuqing_source_last_success_age_seconds",
        "yuqing_source_stale_after_seconds",
        "yuqing_time_to_statement_seconds_bucket",
        "yuqing_clock_breaches_total",
    ):
        assert name in sampled, name
    assert "yuqing_outbox_depth 2.0" in text
    assert 'le="18000.0"' in text and 'le="86400.0"' in text and 'le="172800.0"' in text
    # no per-incident labels
    assert "incident" not in {
        label for line in text.splitlines() if line.startswith("yuqing_") for label in _labels(line)
    }


def _labels(line: str) -> set[str]:
    if "{" not in line:
        return set()
    inner = line[line.index("{") + 1 : line.rindex("}")]
    return {part.split("=", 1)[0] for part in inner.split('",') if "=" in part}


async def test_a_worker_serves_health_and_metrics_for_prometheus(db_url: str, tmp_path: Path) -> None:
    """`yuqing run --role worker` serves /healthz and /metrics (its engine metrics live there), no console."""
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(_settings(db_url, "worker", port), FakeClock(NOW), stop))
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):  # bounded wait for the listener (not for work)
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        assert resp.status == 200
                        break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the worker never listened")
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                assert resp.status == 200
                assert "yuqing_auditor_heartbeat_timestamp_seconds" in await resp.text()
            async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                assert resp.status == 200
            async with http.get(f"http://127.0.0.1:{port}/api/v1/incidents") as resp:
                assert resp.status == 404
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
