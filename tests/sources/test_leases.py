"""Leases: two workers never poll one source at once; a dead worker's lease lapses and is taken over."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import asyncpg
from aiohttp import web

from monitor.clock import FakeClock
from monitor.sources.health import Health
from monitor.sources.leases import PollRecord, claim_due, finish_poll
from tests.sources.conftest import MakePoller, Serve, Zoo, build_sources, rows, rss


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
