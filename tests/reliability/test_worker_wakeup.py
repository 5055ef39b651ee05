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


async def test_a_nudge_wakes_idle_stages_and_a_stage_with_output_wakes_the_next(clock: FakeClock) -> None:
    wakeup = Wakeup()
    stop = asyncio.Event()
    first, second, plain = Counter(takes=0.1), Counter(), Counter()
    jobs = [
        Job("analyse", first.run_once, interval=3600, wakeable=True),
        Job("group", second.run_once, interval=3600, wakeable=True),
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


async def test_new_work_wakes_only_the_stages_it_feeds(clock: FakeClock) -> None:
    """Intake feeds analyse, analyse feeds group, group feeds engine and sender; a delivery feeds nobody."""
    wakeup = Wakeup()
    announced: list[str] = []
    wakeup.announce = announced.append
    stop = asyncio.Event()
    stages = {name: Counter() for name in ("analyse", "group", "engine", "sender")}
    poller = Counter()
    jobs = [Job(n, c.run_once, interval=3600, wakeable=True) for n, c in stages.items()]
    jobs.append(Job("poll-sources", poller.run_once, interval=3600))  # not wakeable, but it feeds analyse
    task = asyncio.create_task(run_jobs(jobs, clock, stop, wakeup))

    async def passes_after(step: object) -> dict[str, int]:
        await asyncio.sleep(0.3)  # long enough for any woken stage to run its pass
        return {n: c.passes for n, c in stages.items()}

    try:
        await _settle(poller, *stages.values())  # first passes; then everyone idles for an hour
        assert await passes_after("start") == dict.fromkeys(stages, 1)

        wakeup.work_appeared("sender")  # a delivered message: nothing consumes it
        assert await passes_after("sender") == dict.fromkeys(stages, 1) and announced == []

        wakeup.work_appeared("intake")  # a 12345 push stored
        assert await passes_after("intake") == {"analyse": 2, "group": 1, "engine": 1, "sender": 1}

        wakeup.work_appeared("group")  # incidents opened
        assert await passes_after("group") == {"analyse": 2, "group": 1, "engine": 2, "sender": 2}

        stages["analyse"].results = [3]
        wakeup.work_appeared("intake")  # analyse stores rows, and its output wakes group
        assert await passes_after("chain") == {"analyse": 4, "group": 2, "engine": 2, "sender": 2}
        assert announced == ["intake", "group", "intake", "analyse"]

        wakeup.nudge()  # a notice naming no work (or a reconnected listener): every stage
        assert await passes_after("all") == {"analyse": 5, "group": 3, "engine": 3, "sender": 3}
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
