"""One soak run, shared by the kill -9, PostgreSQL-restart and three-worker tests: start, settle, check."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from monitor.config.responders import Responders
from monitor.engine.auditor import Auditor
from monitor.engine.jobs import sender_id
from monitor.sources.poller import PollerSettings
from tests.reliability.invariants import Facts, expected_warnings, problems, read_facts
from tests.reliability.soak import (
    PUSH_SOURCE,
    Corpus,
    SimTime,
    Worker,
    build_corpus,
    feed_app,
    push_orders,
    serving,
    sources_yaml,
    wait_for,
)

T0 = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Tuesday
# After the last disturbance, run on past every lease it may have stranded (a source's poll queue lease,
# the sender's 60 s lease) before freezing time for the final check.
SETTLE = PollerSettings(worker_id="").queue_lease + timedelta(minutes=2)
RATE_WINDOW = timedelta(seconds=61)
DUE = """SELECT (SELECT count(*) FROM clocks WHERE next_fire_at <= $1)
              + (SELECT count(*) FROM escalations WHERE next_action_at <= $1)
              + (SELECT count(*) FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1)"""
IN_FLIGHT = "SELECT id, leased_by FROM outbox WHERE status = 'sending' AND lease_until > $1"
HOLD_S = 5.0
MAX_WINDOWS = 8


@dataclass
class Soak:
    """A running soak: the corpus, the shared clock, the workers and the 12345 pusher."""

    corpus: Corpus
    time: SimTime
    workers: list[Worker]
    pool: asyncpg.Pool
    responders: Responders
    speed: float = 1.0
    pusher: asyncio.Task[int] | None = None
    governor: asyncio.Task[None] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.monotonic)

    @property
    def served(self) -> set[tuple[str, str]]:
        feeds = {(f"soak-news-{it.feed}", it.guid) for it in self.corpus.items}
        return feeds | {(PUSH_SOURCE, o.order_no) for o in self.corpus.orders}

    async def govern(self) -> None:
        """Hold simulated time still while a serving worker has work due or a sender is mid-pass; let it run
        otherwise.

        Leases are simulated time, but sending takes real time: at 200× the sender's 60 s lease lasts 0.3 s,
        so on a busy machine a pass would outlive its lease and another worker's sender would take the rows
        over (a re-send no worker at 1× would make). So time waits while clocks, chains or messages are due,
        and while a live sender holds a lease, for at most HOLD_S. A lease of a killed process does not hold
        time: nothing will finish that pass, and its lease must lapse for the message to go out. Nor does due
        work while no worker is serving (killed, or still starting): the world's clock does not stop for a
        crashed service, and what fell due meanwhile is caught up late, as it would be.
        """
        running, frozen_since, given_up = True, 0.0, set[int]()
        async with aiohttp.ClientSession() as http:
            while not self.stop.is_set():
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    now = self.time.now()
                    due = await self.pool.fetchval(DUE, now)
                    live = {sender_id(w.worker_id) for w in self.workers if w.alive()}
                    held = {r["id"] for r in await self.pool.fetch(IN_FLIGHT, now) if r["leased_by"] in live}
                    serving = [await w.serving(http) for w in self.workers]
                    if not running and time.monotonic() - frozen_since > HOLD_S:
                        given_up |= held
                    hold = bool((due and any(serving)) or held - given_up)
                    if hold and running:
                        self.time.freeze()
                        frozen_since = time.monotonic()
                    elif not hold and not running:
                        self.time.run(self.speed)
                    running = not hold
                await asyncio.sleep(0.05)

    async def until(self, sim: datetime, limit: float) -> None:
        """Wait (bounded, in real seconds) until simulated time reaches `sim`."""

        async def reached() -> bool:
            return self.time.now() >= sim

        await wait_for(f"simulated time {sim}", reached, limit, self.workers)

    async def settle(self, last_disturbance: datetime, end: datetime, limit: float = 180.0) -> Facts:
        """Finish the pushes, run past stranded leases, freeze time, wait until nothing is due; the facts."""
        assert self.pusher is not None and self.governor is not None
        await asyncio.wait_for(self.pusher, limit)
        await self.until(max(end, last_disturbance + SETTLE), limit)
        self.governor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.governor
        at = self.time.freeze()
        served = self.served

        async def drained() -> bool:
            async with self.pool.acquire() as conn:
                stored = await conn.fetchval("SELECT count(*) FROM posts")
                pending = await conn.fetchval(
                    """SELECT (SELECT count(*) FROM posts WHERE analysed_at IS NULL OR grouped_at IS NULL)
                            + (SELECT count(*) FROM clocks WHERE next_fire_at <= $1)
                            + (SELECT count(*) FROM escalations WHERE next_action_at <= $1)
                            + (SELECT count(*) FROM outbox WHERE status = 'sending'
                                  OR (status = 'pending' AND next_attempt_at <= $1))""",
                    at,
                )
            return bool(stored >= len(served) and pending == 0)

        # Messages over a group's rate limit wait for its window (≤ 60 s) and then go as one digest: step
        # frozen time a minute on until none waits, so "delivered" covers every message due by `at`.
        for _ in range(MAX_WINDOWS):
            await wait_for(f"drained at the frozen instant {at}", drained, limit, self.workers)
            if not await self.pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'"):
                break
            at = self.time.freeze(at + RATE_WINDOW)
        else:
            raise AssertionError(f"messages still waiting for their rate windows after {MAX_WINDOWS} minutes")
        facts = await read_facts(self.pool, at, served, self.responders.policy.hotline)
        async with self.pool.acquire() as conn:
            findings = await Auditor(self.pool, self.time.clock).findings(conn, at)
        facts.auditor = [
            f"{f.kind}: {f.subject}" for f in findings if f.kind.startswith(("clock", "escalation"))
        ]
        return facts


@contextlib.asynccontextmanager
async def soak(
    tmp: Path,
    db_url: str,
    pool: asyncpg.Pool,
    responders: Responders,
    shared_data: Path,
    *,
    workers: int = 1,
    posts: int,
    orders: int,
    urgent: int,
    speed: float,
    seed: int,
) -> AsyncIterator[Soak]:
    """Start the feed server and `workers` `yuqing run` processes; the clock starts when they are ready.
    Every process is killed on the way out, whatever happened."""
    corpus = build_corpus(shared_data, T0, feeds=10, posts=posts, orders=orders, urgent=urgent, seed=seed)
    sim = SimTime(tmp / "clock", T0, 0.0)
    async with serving(feed_app(corpus, sim)) as feed_base:
        sources = tmp / "sources.yaml"
        sources.write_text(sources_yaml(feed_base, corpus.feeds), encoding="utf-8")
        procs = [Worker(f"w{i + 1}", db_url, sources, sim.path, tmp) for i in range(workers)]
        run = Soak(corpus, sim, procs, pool, responders, speed)
        try:
            for w in procs:
                await w.start()
            for w in procs:
                await w.ready()
            sim.run(speed)
            run.governor = asyncio.create_task(run.govern())
            run.pusher = asyncio.create_task(push_orders(corpus.orders, sim, procs, run.stop))
            yield run
        finally:
            run.stop.set()
            for w in procs:
                w.close()
            for task in (run.pusher, run.governor):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task


def assert_catches_tampering(facts: Facts) -> None:
    """The checks can fail: each deliberate corruption of these real facts must be reported."""
    assert facts.outbox and facts.order_links and facts.posts
    first = next(m for m in facts.outbox if m.status == "sent")
    clock = next(
        c for c in facts.clocks if c.open and expected_warnings(c.started, c.due, c.warn_at, facts.at)
    )
    tamperings: dict[str, Callable[[Facts], None]] = {
        "duplicated post": lambda f: f.posts.append(f.posts[0]),
        "lost post": lambda f: f.posts.pop(),
        "lost order": lambda f: f.order_links.pop(
            next(i for i, link in enumerate(f.order_links) if link[0] in f.must_open)
        ),
        "order on two incidents": lambda f: f.order_links.append(f.order_links[0]),
        "second incident for an event": lambda f: f.incidents_per_event.update(
            [next(iter(f.incidents_per_event))]
        ),
        "duplicated message row": lambda f: f.outbox.append(replace(first, key=first.key + "#2")),
        "re-send without a kill": lambda f: (
            f.deliveries.__setitem__(first.key, 2),
            f.cut_off.discard(first.key),
        ),
        "message never delivered": lambda f: f.deliveries.pop(first.key),
        "missed clock warning": lambda f: f.clocks.append(replace(clock, id=-1, warnings_fired=0)),
        "missed breach": lambda f: f.clocks.append(
            replace(clock, id=-2, due=f.at - timedelta(minutes=1), breached=False)
        ),
    }
    for name, tamper in tamperings.items():
        broken = copy.deepcopy(facts)
        tamper(broken)
        assert problems(broken), f"the invariants did not notice: {name}"


async def disturb_until(
    run: Soak, end: datetime, disturb: Callable[[int], Awaitable[None]], limit: float
) -> tuple[int, datetime]:
    """Call `disturb(n)` until simulated `end` (bounded); returns how many times, and when the last was."""
    n, last, started = 0, run.time.now(), time.monotonic()
    while run.time.now() < end:
        assert time.monotonic() - started < limit, f"only {n} disturbances in {limit:.0f}s"
        await disturb(n)
        n += 1
        last = run.time.now()
    return n, last


async def delivery_latency(pool: asyncpg.Pool) -> str:
    """Simulated seconds from a message's creation to its delivery (median, max, and the slowest one)."""
    row = await pool.fetchrow(
        """SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, max(s) AS mx
           FROM (SELECT extract(epoch FROM sent_at - created_at) AS s FROM outbox WHERE status = 'sent') t"""
    )
    slowest = await pool.fetchrow(
        """SELECT event, target, attempts, last_error_kind, created_at FROM outbox WHERE status = 'sent'
           ORDER BY sent_at - created_at DESC LIMIT 1"""
    )
    what = ""
    if slowest:
        what = (
            f" ({slowest['event']} to {slowest['target']} created {slowest['created_at']:%H:%M}, "
            f"{slowest['attempts']} attempts, last error {slowest['last_error_kind']})"
        )
    return f"p50 {row['p50'] or 0:.0f}s, max {row['mx'] or 0:.0f}s{what} simulated"
