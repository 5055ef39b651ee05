"""Fixtures for ingestion tests: sources built from YAML, real loopback HTTP servers, pollers."""

from __future__ import annotations

import random
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
