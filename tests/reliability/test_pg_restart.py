"""PostgreSQL stops under a running worker, stays down, and comes back: the worker rides it out.

This test runs its own embedded PostgreSQL server (the session's server stays untouched) and stops it
twice — during the first polls' burst of posts, and during escalation — for a few seconds each time.
The `yuqing run` process must not exit, must say clearly that it is retrying, and must catch up:
afterwards the same invariants as the kill -9 soak hold (nothing lost, nothing twice, no clock missed).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.responders import Responders
from monitor.db.embedded import start_embedded
from monitor.db.pool import create_pool
from tests.reliability.invariants import problems
from tests.reliability.scenario import T0, assert_catches_tampering, delivery_latency, soak

SPEED = 200.0
OUTAGES = (T0 + timedelta(minutes=3), T0 + timedelta(hours=1, minutes=30))
DOWN_S = 4.0
END = T0 + timedelta(hours=2, minutes=30)


def during(line: str, windows: list[tuple[float, float]]) -> bool:
    """Whether a log line (local `asctime` first) falls within an outage."""
    at = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return any(down - 1 <= at <= up + 1 for down, up in windows)


@pytest.mark.timeout(300)
async def test_worker_survives_postgres_restarts(
    tmp_path: Path, responders: Responders, shared_data: Path
) -> None:
    started = time.monotonic()
    server = start_embedded(tmp_path / "pgdata")
    uri = server.uri
    pool = await create_pool(uri, max_size=4)
    try:
        async with soak(
            tmp_path, uri, pool, responders, shared_data,
            posts=2000, orders=300, urgent=200, speed=SPEED, seed=4,
        ) as run:  # fmt: skip
            worker = run.workers[0]
            stored_before, windows = [], []
            for outage in OUTAGES:
                await run.until(outage, 150)  # catching up after an outage holds simulated time
                stored_before.append(await run.pool.fetchval("SELECT count(*) FROM posts"))
                await run.pool.close()
                down = time.time()
                server.stop()
                await asyncio.sleep(DOWN_S)
                assert worker.alive(), f"the worker exited while PostgreSQL was down\n{worker.tail()}"
                server = start_embedded(tmp_path / "pgdata")
                assert server.uri == uri
                run.pool = await create_pool(uri, max_size=4)
                await worker.ready(60)
                windows.append((down, time.time()))
            last = run.time.now()
            facts = await run.settle(last, END)
            assert worker.alive() and worker.starts == 1, "the worker had to be restarted"
            log = worker.log_text()
            latency = await delivery_latency(run.pool)
    finally:
        await run.pool.close()
        server.stop()
    elapsed = time.monotonic() - started

    found = problems(facts)
    assert found == [], "\n".join(found)
    assert stored_before[0] < 2000, "the first outage should hit the ingest burst"
    assert len(facts.posts) == 2300
    assert facts.incidents >= 150
    backoff = [line for line in log.splitlines() if "database unavailable" in line]
    assert backoff, "the worker did not log that it was waiting for the database"
    # A lost connection is expected operations: a warning, not a job error. asyncpg may still raise an
    # InternalClientError from a COMMIT the server cut off as it stopped; that is allowed during an outage.
    job_errors = [line for line in log.splitlines() if "ERROR monitor.worker" in line]
    assert [e for e in job_errors if not during(e, windows)] == [], "job errors outside the outages"
    assert "Failed to restore the pool connection floor" not in log
    print(
        f"\nPostgreSQL restarts: {len(OUTAGES)} outages of {DOWN_S:.0f}s in {elapsed:.0f}s; posts stored "
        f"before each: {stored_before}; {len(facts.posts)} posts, {facts.incidents} incidents, "
        f"{len(facts.outbox)} messages ({latency}), {len(facts.clocks)} clocks; "
        f"{len(backoff)} backoff log lines, {len(job_errors)} job errors during the outages"
    )
    assert_catches_tampering(facts)
