"""Ingestion throughput against a local feed server: posts/s to stored rows, 304 polls/min, worker memory.

Prints one JSON document. Each figure has its naive baseline measured in the same run:
  * bytes → rows: our parse + batched insert vs feedparser defaults + one INSERT per post;
  * end to end: the poller (fetch, parse, store, health) over many feeds at once;
  * 304 polling: conditional GETs answered 304 vs unconditional GETs re-downloading and re-parsing.
The feed server runs in its own process so it does not share the worker's event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import feedparser
import yaml

from bench.common import fresh_database, machine, rss_mb, serve_feeds, server_process, warm_feeds
from monitor.clock import FakeClock
from monitor.config.sources import Source, load_sources
from monitor.db.pool import create_pool
from monitor.metrics import Metrics
from monitor.sources.fetch import Fetcher
from monitor.sources.kinds import ParseContext
from monitor.sources.kinds.feed import FeedKind
from monitor.sources.poller import Poller, PollerSettings
from monitor.sources.registry import sync_sources
from monitor.sources.store import store_posts

START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
PLACES = ["滨江区", "江北区", "云山县", "青石县", "高新区", "桃溪镇", "临港镇", "北湖街道"]
EVENTS = [
    "道路积水",
    "停水检修",
    "化工园区异味",
    "学校食堂投诉",
    "工地夜间施工噪音",
    "小区电梯故障",
    "公交线路调整",
]


def feed_body(feed: int, items: int) -> bytes:
    """A news feed with `items` unique items (about 400 bytes each, Chinese text, light HTML)."""
    rng = random.Random(feed)
    parts = []
    for i in range(items):
        place, event = rng.choice(PLACES), rng.choice(EVENTS)
        days = rng.randint(1, 30)
        text = (
            f"&lt;p&gt;{place}居民反映{event}问题，已持续{days}天。相关部门表示正在核实处置，"
            f"第{feed}-{i}号通报。&lt;/p&gt;&lt;p&gt;记者将持续关注。&lt;/p&gt;"
        )
        parts.append(
            f"<item><guid>https://news.example/{feed}/{i}</guid><title>{place}{event}（{feed}-{i}）</title>"
            f"<link>https://news.example/{feed}/{i}</link><pubDate>Sun, 31 May 2026 {i % 24:02d}:00:00 +0800"
            f"</pubDate><description>{text}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>云江新闻</title>'
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def make_sources(workdir: Path, base: str, count: int, name: str) -> list[Source]:
    entries = [
        {"id": f"{name}-{i}", "kind": "feed", "url": f"{base}/f/{i}", "interval": "5m"} for i in range(count)
    ]
    path = workdir / f"{name}.yaml"
    document = {"defaults": {"per_host_concurrency": 32, "timeout": "30s"}, "sources": entries}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_sources(path)


async def reset(pool: asyncpg.Pool) -> None:
    await pool.execute("TRUNCATE posts, sources, ops_alerts, hotline_orders RESTART IDENTITY CASCADE")


async def bytes_to_rows(pool: asyncpg.Pool, sources: list[Source], bodies: list[bytes]) -> float:
    """Ours: FeedKind.parse then one batched insert per feed."""
    kind = FeedKind()
    headers = {"Content-Type": "application/rss+xml"}
    started = time.perf_counter()
    stored = 0
    async with pool.acquire() as conn:
        for source, body in zip(sources, bodies, strict=True):
            result = kind.parse(ParseContext(source, START), body, headers)
            stored += len(await store_posts(conn, result.posts, now=START))
    return stored / (time.perf_counter() - started)


async def naive_bytes_to_rows(pool: asyncpg.Pool, sources: list[Source], bodies: list[bytes]) -> float:
    """Baseline: feedparser with its defaults (sanitising, resolving) and one INSERT per post."""
    started = time.perf_counter()
    stored = 0
    async with pool.acquire() as conn:
        for source, body in zip(sources, bodies, strict=True):
            parsed = feedparser.parse(io.BytesIO(body))
            for e in parsed.entries:
                status = await conn.execute(
                    """INSERT INTO posts (source_id, source_kind, external_id, url, published_at, fetched_at,
                                          title, text, fingerprint)
                       VALUES ($1, 'feed', $2, $3, $4, $4, $5, $6, md5($6))
                       ON CONFLICT (source_id, external_id) DO NOTHING""",
                    source.id, e.id, e.link, START, e.title, e.summary,
                )  # fmt: skip
                stored += status.endswith(" 1")
    return stored / (time.perf_counter() - started)


def poller(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    clock: FakeClock,
    sources: list[Source],
    on_stored: Callable[[], None] | None = None,
) -> Poller:
    settings = PollerSettings(worker_id="bench", batch_size=len(sources), max_concurrency=32)
    return Poller(
        pool=pool,
        fetcher=Fetcher(http, clock),
        clock=clock,
        metrics=Metrics(),
        sources=sources,
        settings=settings,
        env={},
        region_codes={},
        rng=random.Random(1),
        on_stored=on_stored,
    )


async def drain(p: Poller) -> int:
    polled = 0
    while n := await p.run_once():
        polled += n
    return polled


async def naive_poll(pool: asyncpg.Pool, http: aiohttp.ClientSession, sources: list[Source]) -> None:
    """Baseline poll: unconditional GET, full parse, one INSERT per post, one source at a time."""
    for source in sources:
        assert source.url is not None
        async with http.get(source.url) as response:
            body = await response.read()
        parsed = feedparser.parse(io.BytesIO(body))
        async with pool.acquire() as conn:
            for e in parsed.entries:
                await conn.execute(
                    """INSERT INTO posts (source_id, source_kind, external_id, published_at, fetched_at,
                                          title, text, fingerprint)
                       VALUES ($1, 'feed', $2, $3, $3, $4, $5, md5($5))
                       ON CONFLICT (source_id, external_id) DO NOTHING""",
                    source.id, e.id, START, e.title, e.summary,
                )  # fmt: skip


async def run(quick: bool) -> dict[str, Any]:
    feeds, items = (10, 100) if quick else (40, 200)
    polled_sources = 300 if quick else 1500
    naive_sources = 60 if quick else 200
    out: dict[str, Any] = {"name": "ingest", "quick": quick}
    with server_process(serve_feeds, feed_body, items) as port, tempfile.TemporaryDirectory() as tmp:
        async with fresh_database("yuqing-ingest-bench-") as uri:
            pool = await create_pool(uri, max_size=8)
            base = f"http://127.0.0.1:{port}"
            await warm_feeds(base, max(feeds, polled_sources, naive_sources))
            out["memory_mb_at_start"] = rss_mb()
            try:
                work = Path(tmp)
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
                    out |= await measure(pool, http, work, base, feeds, items, polled_sources, naive_sources)
                    out["growth_10x"] = await growth(pool, http, work, base, feeds, items, polled_sources)
            finally:
                await pool.close()
    out["memory_mb"] = rss_mb()
    out["targets"] = {"posts_per_s": 2000, "sources_per_min_304": 1000}
    out["meets_targets"] = {
        "posts_per_s": out["bytes_to_rows"]["posts_per_s"] >= 2000,
        "sources_per_min_304": out["polling_304"]["sources_per_min"] >= 1000,
    }
    out["machine"] = machine()
    return out


async def through_poller(
    pool: asyncpg.Pool, http: aiohttp.ClientSession, sources: list[Source]
) -> tuple[int, float]:
    """Posts stored and posts/s through the poller (fetch, parse, store, health), on a clean database."""
    await reset(pool)
    clock = FakeClock(START)
    p = poller(pool, http, clock, sources)
    await p.sync()
    started = time.perf_counter()
    await drain(p)
    elapsed = time.perf_counter() - started
    stored: int = await pool.fetchval("SELECT count(*) FROM posts")
    return stored, stored / elapsed


async def polls_304(
    pool: asyncpg.Pool, http: aiohttp.ClientSession, workdir: Path, base: str, count: int
) -> tuple[list[Source], int, float]:
    """`count` sources polled once (ETags stored, not timed), then re-polled answering 304: sources/min."""
    await reset(pool)
    many = make_sources(workdir, base, count, f"p{count}")
    clock = FakeClock(START)
    p = poller(pool, http, clock, many)
    await p.sync()
    await drain(p)
    clock.advance(minutes=7)
    started = time.perf_counter()
    polled = await drain(p)
    elapsed = time.perf_counter() - started
    not_modified = await pool.fetchval("SELECT count(*) FROM sources WHERE state = 'not_modified'")
    assert not_modified == count, f"only {not_modified} of {count} answered 304"
    return many, polled, polled / elapsed * 60


async def growth(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    workdir: Path,
    base: str,
    feeds: int,
    items: int,
    polled_sources: int,
) -> dict[str, Any]:
    """The same figures at a tenth of the work and at the full work: how they grow with 10× posts/sources."""
    posts: dict[str, list[Any]] = {"posts": [], "posts_per_s": [], "rss_mb_after": []}
    for n in (max(feeds // 10, 1), feeds):
        stored, rate = await through_poller(pool, http, make_sources(workdir, base, n, f"g{n}"))
        posts["posts"].append(stored)
        posts["posts_per_s"].append(round(rate))
        posts["rss_mb_after"].append(rss_mb()["current"])
    polls: dict[str, list[Any]] = {"sources": [], "sources_per_min": [], "rss_mb_after": []}
    for n in (polled_sources // 10, polled_sources):
        _, polled, per_min = await polls_304(pool, http, workdir, base, n)
        polls["sources"].append(polled)
        polls["sources_per_min"].append(round(per_min))
        polls["rss_mb_after"].append(rss_mb()["current"])
    return {
        "posts_through_poller": posts,
        "polling_304": polls,
        "note": f"feeds of {items} items; RSS of this one process (it only grows), after each size",
    }


async def measure(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    workdir: Path,
    base: str,
    feeds: int,
    items: int,
    polled_sources: int,
    naive_sources: int,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # 1. bytes → rows, ours vs naive, on the same downloaded bodies
    sources = make_sources(workdir, base, feeds, "tp")
    bodies = []
    for source in sources:
        assert source.url is not None
        async with http.get(source.url, headers={"Cache-Control": "no-cache"}) as response:
            bodies.append(await response.read())
    async with pool.acquire() as conn:
        await sync_sources(conn, sources, now=START)
    # warm both paths up (imports, prepared statements, caches), then time them on a clean table
    await bytes_to_rows(pool, sources[:2], bodies[:2])
    await pool.execute("TRUNCATE posts RESTART IDENTITY CASCADE")
    await naive_bytes_to_rows(pool, sources[:2], bodies[:2])
    await pool.execute("TRUNCATE posts RESTART IDENTITY CASCADE")
    ours = await bytes_to_rows(pool, sources, bodies)
    await pool.execute("TRUNCATE posts RESTART IDENTITY CASCADE")
    naive = await naive_bytes_to_rows(pool, sources, bodies)
    out["bytes_to_rows"] = {
        "posts": feeds * items,
        "posts_per_s": round(ours),
        "baseline_posts_per_s": round(naive),
        "speedup": round(ours / naive, 2),
    }
    # 2. end to end through the poller: fetch, parse, store, health, many feeds at once
    stored, rate = await through_poller(pool, http, sources)
    out["end_to_end"] = {"feeds": feeds, "posts": stored, "posts_per_s": round(rate)}
    out["memory_mb_after_ingest"] = rss_mb()
    # 3. polling sources that answer 304, ours vs unconditional re-download
    many, polled, per_min = await polls_304(pool, http, workdir, base, polled_sources)
    naive_set = many[:naive_sources]
    await naive_poll(pool, http, naive_set)  # warm: rows exist, as they would on a re-poll
    started_naive = time.perf_counter()
    await naive_poll(pool, http, naive_set)
    naive_elapsed = time.perf_counter() - started_naive
    out["polling_304"] = {
        "sources": polled,
        "sources_per_min": round(per_min),
        "baseline_sources_per_min": round(naive_sources / naive_elapsed * 60),
        "baseline": "unconditional GET, full parse, one INSERT per post, one source at a time",
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench")
    parser.add_argument("--quick", action="store_true", help="smaller workload")
    args = parser.parse_args()
    result = asyncio.run(run(args.quick))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
