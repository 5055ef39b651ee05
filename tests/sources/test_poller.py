"""The polling engine end to end: real loopback servers, real PostgreSQL, the fake clock."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from monitor.app import Services
from monitor.clock import FakeClock
from monitor.config.responders import load_responders
from monitor.metrics import Metrics
from monitor.settings import Settings
from monitor.sources import poller as poller_module
from monitor.sources.job import poll_job, region_codes
from monitor.sources.kinds.feed import FeedKind
from tests.sources.conftest import SALT, MakePoller, Serve, Zoo, build_sources, rows


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
    sample = metrics.registry.get_sample_value
    assert sample("yuqing_polls_total", {"kind": "feed", "outcome": "timeout"}) == 1
    assert sample("yuqing_polls_total", {"kind": "weibo", "outcome": "blocked"}) == 1
    assert sample("yuqing_posts_ingested_total", {"kind": "weibo"}) == 11
    assert sample("yuqing_source_healthy", {"source": "huge", "kind": "feed"}) == 0
    assert sample("yuqing_source_healthy", {"source": "news", "kind": "feed"}) == 1
    assert sample("yuqing_source_consecutive_failures", {"source": "banned"}) == 1

    # Two minutes later only the healthy 1-minute sources are due; the news feed answers 304.
    clock.advance(minutes=2)
    assert await poller.run_once() == 2
    state = await rows(pool)
    assert state["news"]["state"] == "not_modified" and state["news"]["posts_total"] == 3
    assert zoo.conditional_hits["news.xml"] == 1 and zoo.hits["hang.xml"] == 1
    assert await pool.fetchval("SELECT count(*) FROM posts") == 14


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


async def test_stored_posts_wake_analysis_before_a_slow_source_ends_the_pass(
    pool: asyncpg.Pool, serve: Serve, zoo: Zoo, clock: FakeClock, tmp_path: Path
) -> None:
    """Each source's posts wake the analyse stage once committed, not when the pass's slowest source is
    done: a hanging feed in the same pass does not hold back the fast one's posts."""
    base = await serve(zoo.app())
    responders = load_responders(Path(__file__).resolve().parents[2] / "responders")
    sources = build_sources(
        tmp_path,
        [
            {"id": "news", "kind": "feed", "url": f"{base}/news.xml"},
            {"id": "hang", "kind": "feed", "url": f"{base}/hang.xml", "timeout": "3s"},
        ],
    )
    async with aiohttp.ClientSession() as http:
        services = Services(Settings(env={}), clock, pool, responders, sources, Metrics(), http)
        analyse = services.wakeup.register("analyse")
        group = services.wakeup.register("group")
        job = poll_job(services)
        passing = asyncio.create_task(job.run_once())
        try:
            await asyncio.wait_for(analyse.wait(), timeout=2.0)
            assert not passing.done()  # the hanging feed is still being waited for
            assert await pool.fetchval("SELECT count(*) FROM posts WHERE source_id = 'news'") == 3
            assert not group.is_set()  # stored posts feed analysis only
        finally:
            polled = await asyncio.wait_for(passing, timeout=10.0)
    assert polled == 2
    assert (await rows(pool))["hang"]["state"] != "ok"


async def test_feeds_are_parsed_one_at_a_time_off_the_event_loop(
    pool: asyncpg.Pool,
    serve: Serve,
    zoo: Zoo,
    make_poller: MakePoller,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parsing holds the GIL: threads parsing side by side finish no sooner and starve the loop's
    database round trips, so a pass parses one feed at a time (in a worker thread, never on the loop)."""
    base = await serve(zoo.app())
    loop_thread = threading.get_ident()
    running, most, threads = 0, 0, set()
    lock = threading.Lock()
    parse_all = poller_module._parse_all

    def watched(*args: Any) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            threads.add(threading.get_ident())
        try:
            time.sleep(0.02)  # long enough for parses of the other feeds to overlap, were they allowed to
            return parse_all(*args)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(poller_module, "_parse_all", watched)
    feeds = [{"id": f"news-{i}", "kind": "feed", "url": f"{base}/news.xml"} for i in range(6)]
    p = make_poller(build_sources(tmp_path, feeds), max_concurrency=6)
    assert await p.run_once() == 6
    assert most == 1
    assert loop_thread not in threads
    assert await pool.fetchval("SELECT count(*) FROM posts") == 18
