"""The observability job against real PostgreSQL: gauges from the DB, each timeliness fact observed once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.metrics import Metrics
from monitor.observability.job import ObservabilityRefresher
from tests.reports.seed import NOW, seed


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    v = registry.get_sample_value(name, labels)
    return 0.0 if v is None else v


def _refresher(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, worker: str
) -> tuple[ObservabilityRefresher, Metrics]:
    metrics = Metrics()
    return ObservabilityRefresher(pool, clock, metrics, responders.departments, worker), metrics


async def test_gauges_come_from_the_database(pool: asyncpg.Pool, responders: Responders) -> None:
    async with pool.acquire() as conn:
        await seed(conn)
    clock = FakeClock(NOW)
    job, metrics = _refresher(pool, clock, responders, "w1")
    await job.run_once()
    r = metrics.registry
    # incidents 1-4 plus 5 are open except none resolved: every incident of the seed is open
    assert _value(r, "yuqing_incidents_open", grade="II", department="yingji") == 1
    assert _value(r, "yuqing_incidents_open", grade="I", department="yingji") == 1
    assert _value(r, "yuqing_incidents_open", grade="IV", department="zhujian") == 1
    # every department × grade is exported, zeros included, so dashboards never see gaps
    assert r.get_sample_value("yuqing_incidents_open", {"grade": "I", "department": "weijian"}) == 0
    assert _value(r, "yuqing_incidents_open_by_region", grade="III", region="binjiang") == 2
    # incident 3's 48 h clock is overdue; incident 5's (opened at T0+58h, due T0+106h) has 26/48 left
    assert _value(r, "yuqing_clocks_overdue", kind="response") == 1
    assert _value(r, "yuqing_clocks_at_risk", kind="response") == 0
    clock.advance(hours=20)  # 6/48 left → under 20 %
    await job.refresh_gauges()
    assert _value(r, "yuqing_clocks_at_risk", kind="response") == 1
    clock.set(NOW)
    await job.refresh_gauges()
    assert _value(r, "yuqing_outbox_depth") == 2  # pending + sending
    assert _value(r, "yuqing_outbox_oldest_age_seconds") == 600
    assert _value(r, "yuqing_source_healthy", source="weibo-search", kind="weibo") == 1
    assert _value(r, "yuqing_source_healthy", source="news-rss", kind="feed") == 0
    assert _value(r, "yuqing_source_consecutive_failures", source="news-rss") == 4
    assert _value(r, "yuqing_source_last_success_age_seconds", source="weibo-search") == 180
    assert _value(r, "yuqing_source_stale_after_seconds", source="news-rss") == 3600
    assert _value(r, "yuqing_ops_alerts_open", kind="source_stale") == 1
    # a resolved incident leaves the gauge at once
    async with pool.acquire() as conn:
        await conn.execute("UPDATE incidents SET state = 'resolved' WHERE grade = 4")
    await job.refresh_gauges()
    assert _value(r, "yuqing_incidents_open", grade="IV", department="zhujian") == 0
    assert _value(r, "yuqing_clocks_overdue", kind="response") == 0


async def test_each_fact_is_observed_once_across_workers(pool: asyncpg.Pool, responders: Responders) -> None:
    async with pool.acquire() as conn:
        await seed(conn)
    clock = FakeClock(NOW)
    workers = [_refresher(pool, clock, responders, f"w{i}") for i in range(3)]
    for _ in range(3):  # three workers, three passes each, concurrently
        await asyncio.gather(*(job.run_once() for job, _ in workers))
    registries = [m.registry for _, m in workers]

    def total(name: str, **labels: str) -> float:
        return sum(_value(reg, name, **labels) for reg in registries)

    # Statements: incident 1 after 3 h (II), incident 4 after 6 h (I) — one each, across all workers.
    assert total("yuqing_time_to_statement_seconds_count", grade="II", department="yingji") == 1
    assert (
        total("yuqing_time_to_statement_seconds_bucket", grade="II", department="yingji", le="18000.0") == 1
    )
    assert total("yuqing_time_to_statement_seconds_count", grade="I", department="yingji") == 1
    assert total("yuqing_time_to_statement_seconds_bucket", grade="I", department="yingji", le="18000.0") == 0
    assert total("yuqing_time_to_statement_seconds_sum", grade="I", department="yingji") == 6 * 3600
    # Press conferences: 26 h (late) and 15 h (on time)
    assert total("yuqing_time_to_press_conference_seconds_count", grade="II", department="yingji") == 1
    assert (
        total("yuqing_time_to_press_conference_seconds_bucket", grade="II", department="yingji", le="86400.0")
        == 0
    )
    assert (
        total("yuqing_time_to_press_conference_seconds_bucket", grade="I", department="yingji", le="86400.0")
        == 1
    )
    # Response: incident 2 within 48 h; incident 3 never answered (a breach, no observation)
    assert total("yuqing_time_to_response_seconds_count", grade="III", department="zhujian") == 1
    assert (
        total("yuqing_time_to_response_seconds_bucket", grade="III", department="zhujian", le="172800.0") == 1
    )
    # Breaches: statement late (I), press conference late (II), response never answered (IV)
    assert total("yuqing_clock_breaches_total", kind="statement", department="yingji") == 1
    assert total("yuqing_clock_breaches_total", kind="press_conference", department="yingji") == 1
    assert total("yuqing_clock_breaches_total", kind="response", department="zhujian") == 1
    assert total("yuqing_clock_breaches_total", kind="response", department="shengtai") == 0
    # Acknowledgements: four acknowledged incidents, each observed once
    acks = sum(
        total("yuqing_time_to_ack_seconds_count", grade=g, department=d)
        for g in ("I", "II", "III", "IV")
        for d in ("yingji", "zhujian", "shengtai")
    )
    assert acks == 4
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM metrics_observed") == 4 + 5 + 3
        )  # acks, clocks met (on time or late), breaches
    # Later facts are picked up by whichever worker runs next, still once.
    clock.advance(hours=30)  # incident 5's 48 h clock breaches at T0+106h
    await asyncio.gather(*(job.run_once() for job, _ in workers))
    await asyncio.gather(*(job.run_once() for job, _ in workers))
    assert total("yuqing_clock_breaches_total", kind="response", department="shengtai") == 1
    assert clock.now() - NOW == timedelta(hours=30)
