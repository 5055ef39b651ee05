"""kill -9 of a whole `yuqing run` process, again and again, while it ingests a burst and escalates.

One worker process (feeds, 12345 intake, analysis, grouping, engine, sender: the real `run_service`) is
SIGKILLed at random points — during start-up, the first polls' burst of posts, analysis, grouping,
escalation and sending — and restarted each time. Afterwards the database must show every served post
stored once, every order that must open an incident on exactly one incident, every due message delivered
once per (incident, step, destination) and every clock fired as due (see `invariants.problems`).
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from monitor.config.responders import Responders
from tests.reliability.invariants import problems
from tests.reliability.scenario import T0, assert_catches_tampering, delivery_latency, disturb_until, soak

SPEED = 200.0  # simulated seconds per real second: the 2 h 12345 limit passes in 36 s
KILL_UNTIL = T0 + timedelta(hours=2, minutes=20)
END = T0 + timedelta(hours=2, minutes=40)  # past the 紧急 orders' 2 h limits and their first breach rungs


@pytest.mark.timeout(300)
async def test_kill_dash_nine_soak(
    tmp_path: Path, db_url: str, pool: asyncpg.Pool, responders: Responders, shared_data: Path
) -> None:
    rng = random.Random(8)
    started = time.monotonic()
    async with soak(
        tmp_path, db_url, pool, responders, shared_data,
        posts=3000, orders=500, urgent=300, speed=SPEED, seed=3,
    ) as run:  # fmt: skip
        worker = run.workers[0]

        async def kill_and_restart(n: int) -> None:
            # Every fourth kill lands during start-up (configuration, pool, first pass); the others once
            # the worker is serving, somewhere in its first 2.5 s of work.
            if n % 4 != 3:
                await worker.ready()
            await asyncio.sleep(rng.uniform(0.0, 2.5) if n % 4 != 3 else rng.uniform(0.2, 1.5))
            await worker.kill()
            await worker.start()

        ready_s = time.monotonic() - started
        kills, last_kill = await disturb_until(run, KILL_UNTIL, kill_and_restart, limit=150)
        killing_s = time.monotonic() - started - ready_s
        await worker.ready()
        facts = await run.settle(last_kill, END)
        retried_pushes = run.pusher.result() if run.pusher else 0
        latency = await delivery_latency(pool)
    elapsed = time.monotonic() - started

    found = problems(facts)
    assert found == [], "\n".join(found)
    assert kills >= 8, f"only {kills} kills"
    assert len(facts.posts) == 3500
    assert facts.incidents >= 200, f"only {facts.incidents} incidents"
    resent = sum(1 for n in facts.deliveries.values() if n > 1)
    breached = sum(c.breached for c in facts.clocks)
    print(
        f"\nkill -9 soak: {kills} kills in {elapsed:.0f}s (start {ready_s:.0f}s, kills {killing_s:.0f}s); "
        f"{len(facts.posts)} posts, {facts.incidents} incidents ({len(facts.must_open)} orders had to open "
        f"one), {len(facts.outbox)} messages ({latency}), {len(facts.clocks)} clocks ({breached} breached); "
        f"{retried_pushes} 12345 pushes retried; re-sends absorbed by the idempotency key: {resent}"
    )
    assert_catches_tampering(facts)
