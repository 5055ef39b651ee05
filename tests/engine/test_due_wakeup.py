"""An idle engine wakes when its next clock or chain falls due, not up to an interval later."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from monitor.clock import AcceleratedClock, FakeClock, real_seconds_until
from monitor.config.responders import Responders
from monitor.engine.tick import Engine
from monitor.worker import MIN_IDLE_S, Job, idle_delay, run_jobs
from tests.engine.helpers import open_incident

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def test_real_seconds_until_a_simulated_instant() -> None:
    assert real_seconds_until(T0 + timedelta(minutes=10), T0, 1.0) == 600.0
    assert real_seconds_until(T0 + timedelta(minutes=10), T0, 200.0) == 3.0
    assert real_seconds_until(T0 - timedelta(minutes=10), T0, 200.0) == 0.0  # already due
    assert real_seconds_until(T0 + timedelta(minutes=10), T0, 0.0) is None  # a stopped clock never gets there


@pytest.mark.parametrize(
    ("due_in", "expected"),
    [(None, 0.5), (10.0, 0.5), (0.2, 0.2), (0.0, MIN_IDLE_S), (0.001, MIN_IDLE_S)],
)
def test_idle_delay_is_the_interval_or_the_next_due_time_whichever_is_sooner(
    due_in: float | None, expected: float
) -> None:
    assert idle_delay(0.5, due_in) == expected


async def next_due_in_db(pool: asyncpg.Pool) -> datetime:
    """The earliest pending instant, read row by row (not through the engine's own query)."""
    clocks = [r["next_fire_at"] for r in await pool.fetch("SELECT next_fire_at FROM clocks")]
    chains = [r["next_action_at"] for r in await pool.fetch("SELECT next_action_at FROM escalations")]
    return min(t for t in clocks + chains if t is not None)


async def test_a_pass_learns_when_the_next_clock_or_chain_is_due(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    engine = Engine(pool, clock, None, responders)
    assert engine.idle_wait() is None  # before any pass
    await engine.tick(clock.now())
    assert engine.next_at is None  # nothing open, nothing due

    async with pool.acquire() as conn:
        await open_incident(conn, responders, clock.now(), grade=2, lead="yingji")
    await engine.tick(clock.now())
    due = await next_due_in_db(pool)
    assert engine.next_at == due > clock.now()
    assert engine.idle_wait() is None  # a fake clock moves only when told: the interval applies

    clock.set(due)
    report = await engine.tick(clock.now())
    assert report.total >= 1
    assert engine.next_at == await next_due_in_db(pool) > due  # the next one, after the fired step


async def test_an_idle_engine_job_fires_a_step_when_it_falls_due(
    pool: asyncpg.Pool, responders: Responders
) -> None:
    """At 1,800× the first step of a 重大 incident falls due within a real second or two; with a 30 s idle
    interval, only the engine's own due time can wake it in time."""
    async with pool.acquire() as conn:
        await open_incident(conn, responders, T0, grade=2, lead="yingji")
    first = await next_due_in_db(pool)
    speed = 1800.0
    wait_s = (first - T0).total_seconds() / speed
    assert 0.2 < wait_s < 3.0, f"the scenario needs a step due soon, not in {wait_s:.1f} s"

    clock = AcceleratedClock(T0, speed)
    engine = Engine(pool, clock, None, responders)
    stop = asyncio.Event()
    job = Job("engine", engine.run_once, interval=30.0, idle_wait=engine.idle_wait)
    started = time.monotonic()
    task = asyncio.create_task(run_jobs([job], clock, stop))
    try:
        while not await pool.fetchval("SELECT count(*) FROM outbox WHERE created_at >= $1", first):
            assert time.monotonic() - started < wait_s + 5.0, "the due step was not acted on in time"
            await asyncio.sleep(0.02)
        fired_after = time.monotonic() - started
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert fired_after >= wait_s * 0.9  # not early either: it fired because it fell due
