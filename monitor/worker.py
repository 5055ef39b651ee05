"""Runs the service's periodic jobs: each is a `run_once()` that returns how much work it did."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from monitor.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A named unit of periodic work. `run_once` returns the number of items it handled."""

    name: str
    run_once: Callable[[], Awaitable[int]]
    interval: float
    # When a pass did work, run again after this short pause instead of the full interval.
    busy_interval: float = 0.0


async def run_job(job: Job, clock: Clock, stop: asyncio.Event) -> None:
    """Run `job` until `stop` is set; a failing pass is logged and retried with backoff, never fatal."""
    failures = 0
    while not stop.is_set():
        try:
            done = await job.run_once()
            failures = 0
            delay = job.busy_interval if done else job.interval
        except asyncio.CancelledError:
            raise
        except Exception:
            failures += 1
            delay = min(job.interval * (2 ** min(failures, 6)), 60.0)
            log.exception("job %s failed (%d in a row); retrying in %.1fs", job.name, failures, delay)
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(delay, 0.0) or 0.001)
        except TimeoutError:
            pass


async def run_jobs(jobs: list[Job], clock: Clock, stop: asyncio.Event) -> None:
    """Run every job concurrently until `stop` is set."""
    async with asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(run_job(job, clock, stop), name=f"job:{job.name}")
