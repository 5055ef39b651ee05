"""Fixtures for ingestion tests: sources built from YAML, real loopback HTTP servers, pollers."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import yaml
from aiohttp import web

from monitor.clock import FakeClock
from monitor.config.sources import Source, load_sources
from monitor.metrics import Metrics
from monitor.sources.fetch import Fetcher
from monitor.sources.poller import Poller, PollerSettings

SALT = "test-salt-0123456789abcdef"
Serve = Callable[[web.Application], Awaitable[str]]


def build_sources(tmp_path: Path, entries: list[dict[str, Any]], **defaults: Any) -> list[Source]:
    """Sources exactly as `yuqing run` would load them from sources.yaml."""
    path = tmp_path / f"sources-{random.randrange(1 << 30)}.yaml"
    path.write_text(yaml.safe_dump({"defaults": defaults, "sources": entries}, allow_unicode=True), "utf-8")
    return load_sources(path)


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start an aiohttp application on 127.0.0.1 (a free port); returns its base URL."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    yield start
    for runner in reversed(runners):
        await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


MakePoller = Callable[..., Poller]


@pytest.fixture
def make_poller(
    pool: asyncpg.Pool, http: aiohttp.ClientSession, clock: FakeClock, metrics: Metrics
) -> MakePoller:
    """A poller on the test database; each call is another worker unless `worker_id` repeats."""

    def make(
        sources: list[Source],
        *,
        worker_id: str = "worker-1",
        env: Mapping[str, str] | None = None,
        region_codes: Mapping[str, str] | None = None,
        **settings: Any,
    ) -> Poller:
        return Poller(
            pool=pool,
            fetcher=Fetcher(http, clock),
            clock=clock,
            metrics=metrics,
            sources=sources,
            settings=PollerSettings(worker_id=worker_id, **settings),
            env=dict(env or {}),
            region_codes=dict(region_codes or {}),
            rng=random.Random(7),
        )

    return make


def rss(items: list[tuple[str, str, str]], *, title: str = "云江日报") -> bytes:
    """A small RSS 2.0 document: (guid, title, description) per item."""
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://news.example/{g}</link>"
        f"<pubDate>Mon, 01 Jun 2026 07:30:00 +0800</pubDate><description>{d}</description></item>"
        for g, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"{body}</channel></rss>"
    ).encode()


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
