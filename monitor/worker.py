"""Runs the service's periodic jobs: each is a `run_once()` that returns how much work it did."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from monitor.clock import Clock
from monitor.db.pool import is_unavailable
from monitor.outbox.retry import RetryPolicy, backoff

log = logging.getLogger(__name__)
# A job that keeps failing waits at most this long between passes.
MAX_BACKOFF_S = 60.0
# While the database is away every job waits at most this long, so all catch up within seconds of its
# return; a connection attempt is cheap, and the jitter keeps workers and jobs from retrying in step.
MAX_DB_BACKOFF_S = 5.0
# The shortest idle wait a job's own due time can ask for.
MIN_IDLE_S = 0.05
# Which stages each kind of new work feeds: a pass of the key's job that stored rows (or a stored 12345 push,
# "intake") wakes these stages, in this process and, through monitor.wake, in the others. Output nothing
# consumes (a delivered message, an audit) wakes nobody.
FEEDS: dict[str, tuple[str, ...]] = {
    "intake": ("analyse",),
    "poll-sources": ("analyse",),
    "analyse": ("group",),
    "group": ("engine", "sender"),  # incidents opened or upgraded: clocks and first notifications
    "engine": ("sender",),  # escalations and reminders queued
}


def woken_stages(kinds: Iterable[str]) -> set[str]:
    """The stages that new work of these kinds feeds (pure)."""
    return {stage for kind in kinds for stage in FEEDS.get(kind, ())}


@dataclass(frozen=True)
class Job:
    """A named unit of periodic work. `run_once` returns the number of items it handled."""

    name: str
    run_once: Callable[[], Awaitable[int]]
    interval: float
    # When a pass did work, run again after this short pause instead of the full interval.
    busy_interval: float = 0.0
    # Run at once, instead of waiting out the idle interval, when another job (or a 12345 push) made work.
    wakeable: bool = False
    # Real seconds until this job next has work due, when it knows (the engine's next clock): an idle pass
    # then waits only that long, so a deadline is acted on when it falls, not up to an interval later.
    idle_wait: Callable[[], float | None] | None = None


@dataclass
class Wakeup:
    """Nudges between pipeline stages: a stored push or a stage that produced rows wakes the idle stages,
    so an order goes from intake to the robot in processing time rather than in the sum of the stages'
    idle intervals. Other processes hear of it through `announce` (a `monitor.wake.WakeBus`, while one
    runs); without it, or when a notice is lost, their idle intervals still bound the delay."""

    _events: dict[asyncio.Event, str | None] = field(default_factory=dict)
    # Tells the other processes that work of a kind appeared here; never raises, never blocks.
    announce: Callable[[str], None] | None = None

    def register(self, stage: str | None = None) -> asyncio.Event:
        """An event set when work for `stage` appears (any work, when no stage is named)."""
        event = asyncio.Event()
        self._events[event] = stage
        return event

    def nudge(self, but: asyncio.Event | None = None, kinds: Iterable[str] | None = None) -> None:
        """Wake this process's idle stages that work of these kinds feeds (all stages when `kinds` is None),
        except `but`."""
        wanted = None if kinds is None else woken_stages(kinds)
        for event, stage in self._events.items():
            if event is not but and (wanted is None or stage is None or stage in wanted):
                event.set()

    def work_appeared(self, kind: str, but: asyncio.Event | None = None) -> None:
        """Work of `kind` (the job or intake that stored it) appeared here: wake the idle stages it feeds,
        here and, when it feeds any, in the other processes."""
        self.nudge(but, (kind,))
        if kind in FEEDS and self.announce is not None:
            self.announce(kind)


def idle_delay(interval: float, due_in: float | None) -> float:
    """How long an idle job waits: its interval, or less when its next work falls due sooner (pure);
    never under MIN_IDLE_S, so rows due but held by another worker are not polled in a tight loop."""
    if due_in is None:
        return interval
    return min(interval, max(due_in, MIN_IDLE_S))


def backoff_delay(failures: int, interval: float, cap: float, jitter: float) -> float:
    """Seconds before the next pass after `failures` failed ones in a row (pure): doubling from twice the
    job's interval up to `cap`, with the outbox's "equal jitter" (`jitter` in [0, 1))."""
    policy = RetryPolicy(base_s=max(interval, 0.1) * 2, factor=2.0, cap_s=cap)
    return backoff(policy, min(max(failures, 1), 32), min(max(jitter, 0.0), 1.0))


async def _pause(seconds: float, stop: asyncio.Event, wake: asyncio.Event | None) -> None:
    """Sleep until `seconds` pass, `stop` is set, or (if given) `wake` is set."""
    timeout = max(seconds, 0.0) or 0.001
    if wake is None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=timeout)
        except TimeoutError:
            pass
        return
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def run_job(
    job: Job,
    clock: Clock,
    stop: asyncio.Event,
    rng: Callable[[], float] = random.random,
    wakeup: Wakeup | None = None,
) -> None:
    """Run `job` until `stop` is set; a failing pass is logged and retried with backoff, never fatal.

    Losing the database is expected operations, not a bug: it is logged as one line per job when it
    starts (then every tenth retry), with no traceback, and once more when the job succeeds again.
    """
    failures = 0
    unavailable = 0  # consecutive passes that failed because the database was away
    wake = wakeup.register(job.name) if wakeup is not None and job.wakeable else None
    while not stop.is_set():
        if wake is not None:
            wake.clear()  # a nudge from here on runs the next pass at once
        try:
            done = await job.run_once()
            if done and wakeup is not None:  # a job made work for the stages after it
                wakeup.work_appeared(job.name, but=wake)  # once per pass, however many rows
            if unavailable:
                log.info("job %s: database available again after %d failed passes", job.name, unavailable)
            failures = unavailable = 0
            if done:
                delay = job.busy_interval
            else:
                delay = idle_delay(job.interval, job.idle_wait() if job.idle_wait is not None else None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            if is_unavailable(exc):
                unavailable += 1
                delay = backoff_delay(failures, job.interval, MAX_DB_BACKOFF_S, rng())
                if unavailable == 1 or unavailable % 10 == 0:
                    log.warning(
                        "job %s: database unavailable (%s: %s); retry %d in %.1fs",
                        job.name, type(exc).__name__, exc, unavailable, delay,
                    )  # fmt: skip
            else:
                unavailable = 0
                delay = backoff_delay(failures, job.interval, MAX_BACKOFF_S, rng())
                log.exception("job %s failed (%d in a row); retrying in %.1fs", job.name, failures, delay)
        if failures:
            await _pause(delay, stop, None)  # backing off: a nudge must not shorten it
        else:
            await _pause(delay, stop, wake)


async def run_jobs(jobs: list[Job], clock: Clock, stop: asyncio.Event, wakeup: Wakeup | None = None) -> None:
    """Run every job concurrently until `stop` is set (wakeable jobs are nudged through `wakeup`)."""
    wakeup = wakeup or Wakeup()
    async with asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(run_job(job, clock, stop, wakeup=wakeup), name=f"job:{job.name}")
