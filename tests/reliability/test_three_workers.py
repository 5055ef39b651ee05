"""Three `yuqing run` processes on one database: the soak's invariants hold, and the work is shared.

No process is told what to do: they compete for sources (leases), posts (SKIP LOCKED), the grouping lock,
due clocks and chains, and outbox rows (leases). Each worker's own /metrics says what it did, and the
outbox records which sender delivered each message, so the spread is observed, not assumed.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.config.responders import Responders
from monitor.engine.jobs import sender_id
from tests.reliability.invariants import problems
from tests.reliability.scenario import T0, assert_catches_tampering, delivery_latency, soak
from tests.reliability.soak import Worker

SPEED = 200.0
END = T0 + timedelta(hours=2, minutes=30)


async def counters(worker: Worker) -> Counter[str]:
    """The worker's counters from its /metrics, summed over labels."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.get(f"{worker.base}/metrics") as resp,
    ):
        text = await resp.text()
    totals: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_total"):
                totals[sample.name] += sample.value
    return totals


@pytest.mark.timeout(420)
async def test_three_workers_share_the_work_with_no_duplicates(
    tmp_path: Path, db_url: str, pool: asyncpg.Pool, responders: Responders, shared_data: Path
) -> None:
    started = time.monotonic()
    async with soak(
        tmp_path, db_url, pool, responders, shared_data,
        workers=3, posts=3000, orders=400, urgent=250, speed=SPEED, seed=5,
    ) as run:  # fmt: skip
        # three workers with their analysis processes on two cores: about 180 s on a quiet machine
        facts = await run.settle(run.time.now(), END, limit=270)
        done = {w.name: await counters(w) for w in run.workers}
        assert all(w.alive() for w in run.workers)
        latency = await delivery_latency(pool)
        senders = Counter(
            r["leased_by"] for r in await pool.fetch("SELECT leased_by FROM outbox WHERE status = 'sent'")
        )
    elapsed = time.monotonic() - started

    found = problems(facts)
    assert found == [], "\n".join(found)
    assert len(facts.posts) == 3400
    assert facts.incidents >= 150
    analysed = {name: int(c["yuqing_posts_analysed_total"]) for name, c in done.items()}
    polls = {name: int(c["yuqing_polls_total"]) for name, c in done.items()}
    sent = {name: senders[sender_id(name)] for name in done}
    print(
        f"\nthree workers in {elapsed:.0f}s: {len(facts.posts)} posts, {facts.incidents} incidents, "
        f"{len(facts.outbox)} messages (delivery latency {latency}); analysed {analysed}; polls {polls}; "
        f"sent {sent}"
    )
    # Every worker took part, and no single one did nearly everything of a kind.
    assert sum(analysed.values()) >= 3400, "every post was analysed by some worker"
    for what, per_worker in (("analysed", analysed), ("polls", polls), ("sent", sent)):
        total = sum(per_worker.values())
        assert all(n > 0 for n in per_worker.values()), f"a worker did no {what}: {per_worker}"
        assert max(per_worker.values()) < 0.9 * total, f"one worker did almost all {what}: {per_worker}"
    assert_catches_tampering(facts)
