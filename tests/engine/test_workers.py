"""Three workers on one database: the same messages as one worker, none twice, no clock missed."""

from __future__ import annotations

import asyncio

import asyncpg

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.db.pool import create_pool
from monitor.engine.auditor import Auditor
from tests.engine.helpers import delivered_keys, make_workers
from tests.engine.storm import apply_step, engine_facts, make_storm

STEP_S, STEPS = 180.0, 120  # 6 h of simulated time, then 1.5 h to drain


async def run(
    pool: asyncpg.Pool, pools: list[asyncpg.Pool], clock: FakeClock, responders: Responders
) -> None:
    storm = make_storm(responders, seed=7, incidents=50, steps=STEPS, step_s=STEP_S)
    t0 = clock.now()
    workers = [make_workers(p, clock, responders, name=f"w{i}.", batch=10)[0][0] for i, p in enumerate(pools)]
    ids: list[int] = []
    for step in range(STEPS + 30):
        now = storm.time(t0, step)
        clock.set(now)
        await apply_step(pool, responders, storm, step, now, ids)
        await asyncio.gather(*(engine.tick(now) for engine, _ in workers))
        while sum(await asyncio.gather(*(sender.send_due(now) for _, sender in workers))):
            pass


async def test_three_workers_match_one_worker_with_no_duplicates(
    pool: asyncpg.Pool, second_pool: asyncpg.Pool, db_url: str, clock: FakeClock, responders: Responders
) -> None:
    start = clock.now()
    extra = [await create_pool(db_url, max_size=3) for _ in range(2)]
    try:
        await run(pool, [pool, *extra], clock, responders)
    finally:
        for p in extra:
            await p.close()
    end = clock.now()
    clock.set(start)
    await run(second_pool, [second_pool], clock, responders)

    many, one = await engine_facts(pool), await engine_facts(second_pool)
    assert many == one
    assert len(many["outbox"]) > 300
    statuses = {r["status"] for r in await pool.fetch("SELECT DISTINCT status FROM outbox")}
    assert statuses <= {"sent", "merged"}
    dup = await pool.fetchval("SELECT count(*) FROM captured_notifications WHERE deliveries > 1")
    assert dup == 0, "a message was sent twice"
    every_row = {r["idem_key"] for r in await pool.fetch("SELECT idem_key FROM outbox")}
    assert await delivered_keys(pool) == every_row, "every message reached its destination"
    # the work really was shared
    senders = await pool.fetchval("SELECT count(DISTINCT leased_by) FROM outbox")
    assert senders >= 2
    async with pool.acquire() as conn:
        findings = await Auditor(pool, clock).findings(conn, end)
    assert [f for f in findings if f.kind.startswith("clock")] == []
