"""The polling engine end to end: real loopback servers, real PostgreSQL, the fake clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from monitor.app import Services
from monitor.clock import FakeClock
from monitor.config.responders import load_responders
from monitor.metrics import Metrics
from monitor.settings import Settings
from monitor.sources.health import Health
from monitor.sources.job import poll_job, region_codes
from monitor.sources.kinds.feed import FeedKind
from monitor.sources.leases import PollRecord, claim_due, finish_poll
from tests.sources.conftest import SALT, MakePoller, Serve, build_sources, rss

WEIBO_TIMELINE = (
    "weibo_api_fixtures/gottaegbert_weiboAPI/getIndex_containerid-1076031669879400__weibo_cards_page2.json"
)
NEWS = rss(
    [("n1", "滨江区暴雨积水", "多条道路积水严重"), ("n2", "桃溪镇停水通知", "明日停水"), ("n3", "三", "三")]
)


class Zoo:
    """One server with good and bad endpoints, counting what it was asked."""

    def __init__(self, shared_data: Path) -> None:
        self.hits: Counter[str] = Counter()
        self.conditional_hits: Counter[str] = Counter()
        self.weibo = (shared_data / "feeds" / WEIBO_TIMELINE).read_bytes()
        self.status: dict[str, int] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{name:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits[name] += 1
        if "If-None-Match" in request.headers:
            self.conditional_hits[name] += 1
        if name in self.status:
            return web.Response(status=self.status[name], text="down", headers={"Retry-After": "7200"})
        if name == "news.xml":
            if request.headers.get("If-None-Match") == '"n-1"':
                return web.Response(status=304, headers={"ETag": '"n-1"'})
            return web.Response(body=NEWS, content_type="application/rss+xml", headers={"ETag": '"n-1"'})
        if name == "api/container/getIndex":
            assert request.query["containerid"] == "1076031669879400"
            return web.Response(body=self.weibo, content_type="application/json")
        if name == "wall/api/container/getIndex":
            return web.json_response({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"})
        if name == "hang.xml":
            await asyncio.Event().wait()
        if name == "huge.xml":
            response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            await response.prepare(request)
            try:
                for _ in range(50):
                    await response.write(b"<!-- padding -->" * 65536)  # 1 MiB, 50 MB in all
            except ConnectionError:
                pass
            return response
        if name == "page.html":
            return web.Response(text="<html><body><h1>欢迎访问</h1></body></html>", content_type="text/html")
        if name == "banned.xml":
            return web.Response(status=432, text="")
        if name == "wechat.xml":
            return web.json_response({"base_resp": {"ret": 200013, "err_msg": "freq control"}})
        if name == "broken.xml":
            return web.Response(body=NEWS, content_type="application/rss+xml")
        if name == "orders.json":
            orders = [
                {"order_no": f"YJ-{i}", "received_at": "2026-06-01 07:00:00", "content": f"第{i}件诉求",
                 "urgency": "一般", "caller_phone": "13812345678"}
                for i in range(int(request.query.get("n", "2")))
            ]  # fmt: skip
            return web.json_response({"data": {"records": orders}})
        return web.Response(status=404)


@pytest.fixture
def zoo(shared_data: Path) -> Zoo:
    return Zoo(shared_data)


async def rows(pool: asyncpg.Pool) -> dict[str, asyncpg.Record]:
    return {r["id"]: r for r in await pool.fetch("SELECT * FROM sources")}


async def test_each_bad_source_fails_alone_while_the_others_ingest(
    pool: asyncpg.Pool,
    serve: Serve,
    zoo: Zoo,
    make_poller: MakePoller,
    clock: FakeClock,
    metrics: Metrics,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = await serve(zoo.app())

    def feed(sid: str, path: str, **more: str) -> dict[str, str]:
        return {"id": sid, "kind": "feed", "url": f"{base}/{path}", **more}

    sources = build_sources(
        tmp_path,
        [
            feed("news", "news.xml", interval="1m"),
            {
                "id": "weibo",
                "kind": "weibo",
                "mode": "user",
                "uid": "1669879400",
                "base_url": base,
                "interval": "1m",
            },
            {"id": "wall", "kind": "weibo", "mode": "user", "uid": "1669879400", "base_url": f"{base}/wall"},
            feed("hang", "hang.xml", timeout="500ms"),
            feed("huge", "huge.xml", max_body="256KiB"),
            feed("html", "page.html"),
            feed("banned", "banned.xml"),
            feed("wechat", "wechat.xml", flavor="wechat"),
            feed("refused", "x.xml") | {"url": "http://127.0.0.1:1/x.xml"},
            feed("broken", "broken.xml"),
            feed("missing", "gone.xml"),
        ],
        interval="10m",
    )
    real_parse = FeedKind.parse

    def buggy_parse(self: FeedKind, ctx: Any, body: bytes, headers: Any) -> Any:
        if ctx.source.id == "broken":
            raise KeyError("a bug in a parser")
        return real_parse(self, ctx, body, headers)

    monkeypatch.setattr(FeedKind, "parse", buggy_parse)
    poller = make_poller(sources)
    assert await poller.run_once() == 11
    state = await rows(pool)
    outcome = {sid: (r["state"], r["last_error_kind"]) for sid, r in state.items()}
    assert outcome == {
        "news": ("ok", None),
        "weibo": ("ok", None),
        "wall": ("blocked", "blocked"),
        "hang": ("failing", "timeout"),
        "huge": ("failing", "too_large"),
        "html": ("failing", "parse_error"),
        "banned": ("blocked", "blocked"),
        "wechat": ("blocked", "blocked"),
        "refused": ("failing", "network"),
        "broken": ("failing", "parse_error"),
        "missing": ("failing", "http_error"),
    }
    assert "HTML" in state["html"]["last_error"] and "432" in state["banned"]["last_error"]
    assert "200013" in state["wechat"]["last_error"] and "ok: -100" in state["wall"]["last_error"]
    assert "a bug in a parser" in state["broken"]["last_error"] and "404" in state["missing"]["last_error"]
    assert state["news"]["etag"] == '"n-1"' and state["news"]["posts_total"] == 3
    assert state["weibo"]["posts_total"] == 11
    assert all(r["lease_until"] is None and r["polls_total"] == 1 for r in state.values())
    per_source = {r["source_id"]: r["n"] for r in await pool.fetch(
        "SELECT source_id, count(*) AS n FROM posts WHERE analysed_at IS NULL GROUP BY source_id"
    )}  # fmt: skip
    assert per_source == {"news": 3, "weibo": 11}
    alerts = {(r["subject"], r["kind"], r["severity"]) for r in await pool.fetch("SELECT * FROM ops_alerts")}
    assert alerts == {
        ("wall", "source_blocked", "critical"),
        ("banned", "source_blocked", "critical"),
        ("wechat", "source_blocked", "critical"),
    }
    assert metrics.polls.labels(kind="feed", outcome="timeout")._value.get() == 1
    assert metrics.posts_ingested.labels(kind="weibo")._value.get() == 11
    assert metrics.source_healthy.labels(source="huge", kind="feed")._value.get() == 0

    # Two minutes later only the healthy 1-minute sources are due; the news feed answers 304.
    clock.advance(minutes=2)
    assert await poller.run_once() == 2
    state = await rows(pool)
    assert state["news"]["state"] == "not_modified" and state["news"]["posts_total"] == 3
    assert zoo.conditional_hits["news.xml"] == 1 and zoo.hits["hang.xml"] == 1
    assert await pool.fetchval("SELECT count(*) FROM posts") == 14


async def test_two_workers_never_poll_the_same_source(
    pool: asyncpg.Pool, serve: Serve, make_poller: MakePoller, tmp_path: Path
) -> None:
    in_flight: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    by_worker: Counter[str] = Counter()

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        hits[name] += 1
        in_flight[name] += 1
        peak[name] = max(peak[name], in_flight[name])
        await asyncio.sleep(0.02)  # latency, so the two workers' passes overlap
        in_flight[name] -= 1
        return web.Response(body=rss([(name, name, name)]), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{name}", handle)
    base = await serve(app)
    sources = build_sources(
        tmp_path,
        [{"id": f"s{i}", "kind": "feed", "url": f"{base}/f{i}"} for i in range(24)],
        per_host_concurrency=8,
    )
    workers = [make_poller(sources, worker_id=w, batch_size=3) for w in ("w1", "w2")]

    async def drain(index: int) -> None:
        while polled := await workers[index].run_once():
            by_worker[f"w{index + 1}"] += polled

    await asyncio.gather(drain(0), drain(1))
    assert sum(by_worker.values()) == 24 and min(by_worker.values()) > 0
    assert set(hits.values()) == {1} and len(hits) == 24
    assert set(peak.values()) == {1}
    assert await pool.fetchval("SELECT count(*) FROM sources WHERE polls_total = 1") == 24


async def test_claims_skip_rows_locked_by_another_worker(
    pool: asyncpg.Pool, make_poller: MakePoller, clock: FakeClock, tmp_path: Path
) -> None:
    sources = build_sources(
        tmp_path, [{"id": f"s{i}", "kind": "feed", "url": f"http://x.example/{i}"} for i in range(6)]
    )
    await make_poller(sources).sync()
    ids = [s.id for s in sources]
    now = clock.now()
    lease = timedelta(minutes=5)
    async with pool.acquire() as one, pool.acquire() as two:
        async with one.transaction():
            first = await claim_due(one, ids, now=now, lease=lease, worker_id="w1", limit=4)
            # while w1's transaction still holds its rows, w2 skips them instead of waiting
            second = await asyncio.wait_for(
                claim_due(two, ids, now=now, lease=lease, worker_id="w2", limit=4), 5
            )
        third = await claim_due(two, ids, now=now, lease=lease, worker_id="w2", limit=4)
    assert len(first) == 4 and len(second) == 2 and third == []
    assert not {c.id for c in first} & {c.id for c in second}


async def test_an_expired_lease_is_taken_over_and_the_late_worker_does_not_overwrite(
    pool: asyncpg.Pool, serve: Serve, zoo: Zoo, make_poller: MakePoller, clock: FakeClock, tmp_path: Path
) -> None:
    base = await serve(zoo.app())
    sources = build_sources(tmp_path, [{"id": "news", "kind": "feed", "url": f"{base}/news.xml"}])
    await make_poller(sources).sync()
    async with pool.acquire() as conn:
        (stale,) = await claim_due(
            conn, ["news"], now=clock.now(), lease=timedelta(minutes=10), worker_id="dead", limit=5
        )
    clock.advance(minutes=5)
    assert await make_poller(sources, worker_id="w2").run_once() == 0  # still leased
    clock.advance(minutes=6)
    assert await make_poller(sources, worker_id="w2").run_once() == 1
    record = PollRecord(Health("failing", 9), None, stale.validators, clock.now(), 0.0, None, 0)
    async with pool.acquire() as conn:
        assert not await finish_poll(conn, "news", record, worker_id="dead", now=clock.now())
    assert (await rows(pool))["news"]["state"] == "ok"


async def test_retry_after_and_backoff_decide_the_next_poll(
    pool: asyncpg.Pool, serve: Serve, zoo: Zoo, make_poller: MakePoller, clock: FakeClock, tmp_path: Path
) -> None:
    zoo.status = {"limited.xml": 429, "down.xml": 503}
    base = await serve(zoo.app())
    sources = build_sources(
        tmp_path,
        [
            {"id": "limited", "kind": "feed", "url": f"{base}/limited.xml", "interval": "1m"},
            {"id": "banned", "kind": "feed", "url": f"{base}/banned.xml", "interval": "1m"},
        ],
    )
    await make_poller(sources).run_once()
    state = await rows(pool)
    now = clock.now()
    assert (state["limited"]["next_poll_at"] - now).total_seconds() >= 7200  # Retry-After: 7200
    assert (state["banned"]["next_poll_at"] - now).total_seconds() >= 0.8 * 3600  # blocked: hours
    assert state["limited"]["last_status"] == 429


async def test_a_failing_source_raises_one_alert_then_resolves_it(
    pool: asyncpg.Pool, serve: Serve, zoo: Zoo, make_poller: MakePoller, clock: FakeClock, tmp_path: Path
) -> None:
    zoo.status = {"news.xml": 500}
    base = await serve(zoo.app())
    sources = build_sources(
        tmp_path,
        [
            {
                "id": "news",
                "kind": "feed",
                "name": "云江日报",
                "url": f"{base}/news.xml",
                "interval": "1m",
                "stale_after": "30m",
            }
        ],
    )
    poller = make_poller(sources)
    for _ in range(4):
        await poller.run_once()
        clock.advance(minutes=20)
        await poller.sweep()
    open_alerts = await pool.fetch("SELECT * FROM ops_alerts WHERE resolved_at IS NULL")
    assert [(a["kind"], a["subject"]) for a in open_alerts] == [("source_failing", "news")]
    assert "云江日报" in open_alerts[0]["message"] and "HTTP 500" in open_alerts[0]["message"]
    assert open_alerts[0]["last_seen_at"] > open_alerts[0]["raised_at"]
    zoo.status = {}
    clock.advance(hours=7)  # past the longest backoff
    assert await poller.run_once() == 1
    alert = await pool.fetchrow("SELECT * FROM ops_alerts")
    assert alert["resolved_at"] == clock.now()
    assert await pool.fetchval("SELECT count(*) FROM ops_alerts") == 1


async def test_a_silent_feed_and_a_silent_push_source_raise_alerts(
    pool: asyncpg.Pool, serve: Serve, zoo: Zoo, make_poller: MakePoller, clock: FakeClock, tmp_path: Path
) -> None:
    base = await serve(zoo.app())
    sources = build_sources(
        tmp_path,
        [
            {"id": "news", "kind": "feed", "url": f"{base}/news.xml", "interval": "30m", "stale_after": "2h"},
            {"id": "push", "kind": "hotline", "push": True, "token_env": "T", "stale_after": "2h"},
        ],
    )
    poller = make_poller(sources)
    await poller.run_once()
    for _ in range(5):
        clock.advance(minutes=40)
        await poller.run_once()
        await poller.sweep()
    state = await rows(pool)
    assert state["news"]["state"] == "stale" and zoo.conditional_hits["news.xml"] >= 4
    kinds = {
        (r["subject"], r["kind"])
        for r in await pool.fetch("SELECT * FROM ops_alerts WHERE resolved_at IS NULL")
    }
    assert kinds == {("news", "source_silent"), ("push", "source_silent")}
    assert state["push"]["polls_total"] == 0  # pushed sources are never polled


async def test_a_missing_secret_is_a_config_error_that_does_not_leak(
    pool: asyncpg.Pool, serve: Serve, zoo: Zoo, make_poller: MakePoller, tmp_path: Path
) -> None:
    base = await serve(zoo.app())
    auth = {"header": "Authorization", "env": "NEWS_TOKEN", "prefix": "Bearer "}
    sources = build_sources(
        tmp_path, [{"id": "news", "kind": "feed", "url": f"{base}/news.xml", "auth": auth}]
    )
    await make_poller(sources, env={"OTHER": "x"}).run_once()
    row = (await rows(pool))["news"]
    assert (row["state"], row["last_error_kind"]) == ("failing", "config")
    assert "NEWS_TOKEN" in row["last_error"] and zoo.hits["news.xml"] == 0


async def test_polling_a_12345_export_stores_orders_once(
    pool: asyncpg.Pool, serve: Serve, zoo: Zoo, make_poller: MakePoller, clock: FakeClock, tmp_path: Path
) -> None:
    base = await serve(zoo.app())
    (export,) = build_sources(
        tmp_path, [{"id": "export", "kind": "hotline", "url": f"{base}/orders.json?n=2", "interval": "1m"}]
    )
    await make_poller([export], env={}).run_once()
    row = (await rows(pool))["export"]
    assert row["last_error_kind"] == "config" and "YUQING_PII_SALT" in row["last_error"]
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 0
    env = {"YUQING_PII_SALT": SALT}
    clock.advance(hours=1)
    await make_poller([export], env=env).run_once()
    (more,) = build_sources(
        tmp_path, [{"id": "export", "kind": "hotline", "url": f"{base}/orders.json?n=3", "interval": "1m"}]
    )
    clock.advance(hours=1)
    await make_poller([more], env=env).run_once()
    orders = await pool.fetch("SELECT * FROM hotline_orders ORDER BY order_no")
    assert [o["order_no"] for o in orders] == ["YJ-0", "YJ-1", "YJ-2"]
    assert all(o["intake"] == "poll" and o["caller_phone_masked"] == "138****5678" for o in orders)
    assert await pool.fetchval("SELECT count(*) FROM posts WHERE source_kind = 'hotline'") == 3
    assert (await rows(pool))["export"]["state"] == "ok"


async def test_the_job_syncs_then_polls(
    pool: asyncpg.Pool, serve: Serve, zoo: Zoo, clock: FakeClock, tmp_path: Path
) -> None:
    base = await serve(zoo.app())
    root = Path(__file__).resolve().parents[2]
    responders = load_responders(root / "responders")
    sources = build_sources(tmp_path, [{"id": "news", "kind": "feed", "url": f"{base}/news.xml"}])
    async with aiohttp.ClientSession() as http:
        services = Services(Settings(env={}), clock, pool, responders, sources, Metrics(), http)
        job = poll_job(services)
        assert job.name == "poll-sources"
        assert await job.run_once() == 1
        assert await job.run_once() == 0
    assert region_codes(responders)["339902001"] == "binjiang-jiangbin"
    assert await pool.fetchval("SELECT posts_total FROM sources") == 3
