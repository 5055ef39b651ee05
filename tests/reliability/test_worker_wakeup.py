"""Wakeable jobs run at once when a push or another stage made work, instead of waiting out their interval."""

from __future__ import annotations

import asyncio

from monitor.clock import FakeClock
from monitor.worker import Job, Wakeup, run_jobs


class Counter:
    def __init__(self, results: list[int] | None = None, takes: float = 0.0) -> None:
        self.takes = takes
        self.passes = 0
        self.results = results or []
        self.ran = asyncio.Event()

    async def run_once(self) -> int:
        self.passes += 1
        await asyncio.sleep(self.takes)
        self.ran.set()
        return self.results.pop(0) if self.results else 0


async def _settle(*counters: Counter) -> None:
    for c in counters:
        await asyncio.wait_for(c.ran.wait(), 5)
        c.ran.clear()


async def test_a_nudge_wakes_idle_stages_and_a_stage_with_output_wakes_the_others(clock: FakeClock) -> None:
    wakeup = Wakeup()
    stop = asyncio.Event()
    first, second, plain = Counter(takes=0.1), Counter(), Counter()
    jobs = [
        Job("first", first.run_once, interval=3600, wakeable=True),
        Job("second", second.run_once, interval=3600, wakeable=True),
        Job("plain", plain.run_once, interval=3600),  # not wakeable: keeps its own pace
    ]
    task = asyncio.create_task(run_jobs(jobs, clock, stop, wakeup))
    try:
        await _settle(first, second, plain)  # the first passes, then everyone idles for an hour
        assert (first.passes, second.passes, plain.passes) == (1, 1, 1)

        wakeup.nudge()  # e.g. a 12345 push was stored
        await _settle(first, second)
        assert (first.passes, second.passes, plain.passes) == (2, 2, 1)

        first.results = [5]  # the first stage's next pass makes work for the second (after 0.1 s)
        wakeup.nudge()
        await _settle(second)  # woken by the nudge, done before the first stage's output exists
        await _settle(first)
        await _settle(second)  # …and woken again by the first stage's output
        assert second.passes == 4 and plain.passes == 1
        await asyncio.sleep(0.5)
        # the busy first stage drained once more (found nothing) and then idles: no stage wakes itself
        assert (first.passes, second.passes, plain.passes) == (4, 4, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
