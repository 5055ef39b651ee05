"""kill -9 at random points during a storm: every due message delivered, none twice, no clock missed."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from datetime import datetime, timedelta

import asyncpg
import pytest

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.engine.auditor import Auditor
from tests.conftest import ROOT
from tests.engine.helpers import delivered_keys, make_workers
from tests.engine.storm import Storm, apply_step, drained, engine_facts, make_storm

STEP_S, STEPS = 180.0, 80  # 4 h of simulated time: warnings, breaches and ladders of the 5 h/2 h clocks
MIN_KILLS = 55
BUDGET_S = 240.0


class Child:
    """The worker subprocess, restarted after every kill."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.engine.crash_worker", self.dsn, f"c{self.starts}.",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        assert line.strip() == b"ready", line

    async def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        await asyncio.wait_for(self.proc.wait(), 10)


def times(storm: Storm, t0: datetime) -> list[datetime]:
    """The simulated instants both runs process: each step, then one past the senders' lease."""
    steps = [storm.time(t0, s) for s in range(STEPS)]
    return [*steps, steps[-1] + timedelta(seconds=61)]


async def reference(pool: asyncpg.Pool, clock: FakeClock, responders: Responders, storm: Storm) -> None:
    engine, sender = make_workers(pool, clock, responders, name="ref.", batch=25)[0][0]
    ids: list[int] = []
    for step, now in enumerate(times(storm, clock.now())):
        clock.set(now)
        await apply_step(pool, responders, storm, step, now, ids)
        await engine.tick(now)
        while await sender.send_due(now):
            pass


async def wait_drained(pool: asyncpg.Pool, now: datetime, *, outbox: bool = False) -> None:
    deadline = time.monotonic() + 60
    while True:
        async with pool.acquire() as conn:
            done = await drained(conn, now)
            if done and outbox:
                done = not await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
                )
        if done:
            return
        assert time.monotonic() < deadline, f"work due at {now} was not done"
        await asyncio.sleep(0.01)


@pytest.mark.timeout(BUDGET_S + 180)
async def test_kill_dash_nine_during_a_storm(
    pool: asyncpg.Pool, second_pool: asyncpg.Pool, db_url: str, clock: FakeClock, responders: Responders
) -> None:
    rng = random.Random(11)
    storm = make_storm(responders, seed=5, incidents=80, steps=STEPS, step_s=STEP_S)
    t0 = clock.now()
    await pool.execute("CREATE TABLE sim_clock (now timestamptz NOT NULL)")
    await pool.execute("INSERT INTO sim_clock VALUES ($1)", t0)
    child = Child(db_url)
    await child.start()
    kills, ids, started = 0, [], time.monotonic()

    async def kill_soon(delay: float) -> None:
        nonlocal kills
        await asyncio.sleep(delay)
        await child.kill()
        kills += 1
        await child.start()

    instants = times(storm, t0)
    for step, now in enumerate(instants):
        await apply_step(pool, responders, storm, step, now, ids)
        await pool.execute("UPDATE sim_clock SET now = $1", now)
        # Kill while the child is busy with this step: claiming, advancing, sending or finishing.
        killing = asyncio.create_task(kill_soon(rng.uniform(0.0, 0.15))) if kills < MIN_KILLS else None
        if killing is not None:
            await killing
        await wait_drained(pool, now, outbox=step == len(instants) - 1)
        assert time.monotonic() - started < BUDGET_S, f"too slow: {kills} kills by step {step}"
    await child.kill()
    elapsed = time.monotonic() - started

    # The same storm without kills, in-process, on a fresh database, at the same simulated instants.
    clock.set(t0)
    await reference(second_pool, clock, responders, storm)

    crashed, ref = await engine_facts(pool), await engine_facts(second_pool)
    assert kills >= 50
    assert crashed["outbox"] == ref["outbox"], "a due message was lost or invented"
    assert crashed["clocks"] == ref["clocks"], "a clock was missed or processed differently"
    assert crashed["timeline"] == ref["timeline"]
    undelivered = await pool.fetchval("SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'merged')")
    assert undelivered == 0
    captured = {
        r["idem_key"]: r["deliveries"] for r in await pool.fetch("SELECT * FROM captured_notifications")
    }
    # Every message reached its destination (sent itself, or merged into a captured leader).
    every_row = {r["idem_key"] for r in await pool.fetch("SELECT idem_key FROM outbox")}
    assert await delivered_keys(pool) == every_row, "every message reached its destination"
    assert set(captured) <= every_row
    resent = sum(1 for n in captured.values() if n > 1)
    attempts = await pool.fetchval("SELECT count(*) FROM outbox_attempts")
    breaches = await pool.fetchval("SELECT count(*) FROM clocks WHERE breached_at IS NOT NULL")
    async with pool.acquire() as conn:
        findings = await Auditor(pool, clock).findings(conn, instants[-1])
    assert [f for f in findings if f.kind.startswith("clock") or f.kind == "escalation_overdue"] == []
    print(
        f"\nkill -9: {kills} kills in {elapsed:.1f}s; {len(ids)} incidents, "
        f"{len(crashed['outbox'])} messages, "
        f"{len(crashed['clocks'])} clocks ({breaches} breached), {attempts} attempts; "
        f"re-sends absorbed by the idempotency key: {resent}"
    )
    # A kill between the receiver's acceptance and our commit is the one window exactly-once cannot close:
    # the re-send carries the same idempotency key, so the receiver stores it once. Re-sends happen only for
    # rows whose earlier attempt was cut off by a kill (its attempt row never got an outcome).
    cut_off = {
        r["idem_key"]
        for r in await pool.fetch(
            """SELECT DISTINCT o.idem_key FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id
               WHERE a.outcome = 'sending'"""
        )
    }
    assert {k for k, n in captured.items() if n > 1} <= cut_off
