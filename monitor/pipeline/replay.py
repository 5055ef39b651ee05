"""`yuqing replay`: an archive through analysis, grouping, incidents and clocks (simulated time)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from monitor.clock import Clock, FakeClock
from monitor.config.responders import Responders
from monitor.engine.actions import record_action
from monitor.engine.tick import Engine
from monitor.incidents.lifecycle import engine_hooks
from monitor.pipeline.analyse import AnalysisStage, Analyzer
from monitor.pipeline.archive import SOURCES, ArchivePost, fingerprint, roots
from monitor.pipeline.group import GroupingStage

_COLUMNS = [
    "source_id",
    "source_kind",
    "external_id",
    "url",
    "author",
    "author_followers",
    "author_verified_type",
    "published_at",
    "fetched_at",
    "title",
    "text",
    "reposts",
    "comments",
    "likes",
    "region_hint",
    "parent_external_id",
    "root_external_id",
    "fingerprint",
    "extra",
]
_TYPES = [
    "text",
    "text",
    "text",
    "text",
    "text",
    "bigint",
    "int",
    "timestamptz",
    "timestamptz",
    "text",
    "text",
    "bigint",
    "bigint",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "jsonb",
]
_INSERT = (
    f"INSERT INTO posts ({', '.join(_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_TYPES))
    + ") ON CONFLICT (source_id, external_id) DO NOTHING"
)
_UNDECIDED = "satisfied_at IS NULL AND breached_at IS NULL AND closed_at IS NULL"
# The next instant a clock decides something (a warning, a breach); with `follow_chains`, also each first
# pass through an escalation chain. Settled clocks and repeated pages don't count: they are processed at
# the next tick anyway, and ticking for each would dominate a long replay.
_NEXT_CLOCK = f"SELECT min(next_fire_at) FROM clocks WHERE next_fire_at > $1 AND {_UNDECIDED}"
# Incidents whose every legal clock was decided long enough ago: nobody will act on them in a backtest.
_SETTLED = f"""
SELECT i.id FROM incidents i
WHERE i.state NOT IN ('resolved', 'reviewed')
  AND EXISTS (SELECT 1 FROM clocks c WHERE c.incident_id = i.id AND c.legal)
  AND NOT EXISTS (SELECT 1 FROM clocks c WHERE c.incident_id = i.id AND c.legal AND {_UNDECIDED})
  AND (SELECT max(coalesce(c.breached_at, c.satisfied_at, c.closed_at)) FROM clocks c
       WHERE c.incident_id = i.id AND c.legal) < $1
ORDER BY i.id"""
SETTLED_REASON = "回放：法定时限均已判定，停止跟踪（无人处置的回放不再重复提醒）"
_NEXT_DECISION = f"""
SELECT min(t) FROM (
    SELECT min(next_fire_at) AS t FROM clocks WHERE next_fire_at > $1 AND {_UNDECIDED}
    UNION ALL
    SELECT min(e.next_action_at) FROM escalations e
    WHERE e.next_action_at > $1 AND e.loop_count = 0 AND e.attempt <= 1 AND EXISTS (
        SELECT 1 FROM clocks c WHERE c.incident_id = e.incident_id AND c.legal AND {_UNDECIDED})
) x"""


@dataclass(frozen=True)
class ReplayOptions:
    """Simulation step (a poll cycle), how long clocks run after the last post, batch sizes."""

    tick: timedelta = timedelta(minutes=5)  # the poll cycle: a post is seen at the next multiple of it
    drain: timedelta = timedelta(hours=48)
    engine: bool = True
    batch: int = 2000
    chunk: int = 10_000  # posts ingested and analysed at a time
    follow_chains: bool = False  # also tick at each escalation step (pages then carry their exact times)
    settle: timedelta = timedelta(
        hours=48
    )  # resolve an incident this long after its last legal clock decided
    min_engine_gap: timedelta = timedelta(minutes=1)


@dataclass
class ReplayRun:
    """What happened, for the report: simulated span, counts and where the wall time went."""

    started_at: datetime
    ended_at: datetime
    posts: int
    steps: int = 0
    engine_ticks: int = 0
    settled: int = 0
    seconds: dict[str, float] = field(
        default_factory=lambda: {"insert": 0.0, "analyse": 0.0, "group": 0.0, "engine": 0.0}
    )


def region_lookup(r: Responders) -> dict[str, str]:
    """Region ids, names and aliases → region id."""
    out: dict[str, str] = {}
    for region in r.regions.values():
        for key in (region.id, region.name, *region.aliases):
            out.setdefault(key, region.id)
    return out


async def ensure_sources(conn: asyncpg.Connection, now: datetime) -> None:
    for source, kind in SOURCES.items():
        await conn.execute(
            """INSERT INTO sources (id, kind, name, polled, interval_s, stale_after_s, next_poll_at,
                                    created_at, updated_at)
               VALUES ($1, $2, $3, false, 300, 86400, $4, $4, $4) ON CONFLICT (id) DO NOTHING""",
            f"replay-{source}",
            kind,
            f"replay {source}",
            now,
        )


def _record(p: ArchivePost, root: str | None, regions: dict[str, str], seen_at: datetime) -> tuple[Any, ...]:
    extra: dict[str, Any] = {"replay": True}
    if p.source in ("news", "wechat"):
        extra["flavor"] = p.source
    if p.source == "hotline":
        extra["order_no"] = p.id
        if p.urgency:
            extra["urgency"] = p.urgency
        if p.handler_unit:
            extra["handler_unit"] = p.handler_unit[:200]
        if p.assist_units:
            extra["assist_units"] = list(p.assist_units)
    return (
        f"replay-{p.source}",
        SOURCES[p.source],
        p.id,
        p.url,
        p.author,
        p.followers,
        p.verified_type,
        p.published_at,
        seen_at,
        p.title,
        p.text,
        p.reposts,
        p.comments,
        p.likes,
        regions.get(p.region or ""),
        p.parent_id,
        root,
        fingerprint(p.text),
        extra,
    )


def poll_time(published: datetime, tick: timedelta) -> datetime:
    """When a poller running every `tick` first sees a post published at `published`."""
    step = tick.total_seconds()
    if step <= 0:
        return published
    t = published.timestamp()
    return datetime.fromtimestamp(math.ceil(t / step) * step, UTC)


class Replay:
    """Runs one archive through a fresh database, post by post in simulated time.

    Time advances from one decision to the next: the next post to be seen, or the next clock or chain
    step the engine must act on. Grouping stops after any post that opens or upgrades an incident, so the
    engine acts before the posts that follow it, exactly as it would live.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        responders: Responders,
        analyzer: Analyzer,
        options: ReplayOptions,
        stopwatch: Clock,
    ) -> None:
        self.pool = pool
        self.responders = responders
        self.options = options
        self.stopwatch = stopwatch
        self.clock = FakeClock()
        self.analyse = AnalysisStage(
            pool, self.clock, analyzer, batch_size=options.batch, regions=responders.regions
        )
        self.group = GroupingStage(
            pool,
            self.clock,
            responders,
            hooks=engine_hooks(),
            batch_size=options.batch,
            stop_at_decision=True,
        )
        self.engine = Engine(pool, self.clock) if options.engine else None  # no operator alerts in a replay
        self._engine_floor = datetime.min.replace(tzinfo=UTC)

    async def _next_engine(self) -> datetime | None:
        if self.engine is None:
            return None
        query = _NEXT_DECISION if self.options.follow_chains else _NEXT_CLOCK
        due: datetime | None = await self.pool.fetchval(query, self._engine_floor)
        return due

    async def _tick(self, due: datetime, run: ReplayRun) -> None:
        assert self.engine is not None
        started = self.stopwatch.monotonic()
        at = max(due, self._engine_floor + self.options.min_engine_gap)
        await self.engine.tick(at)
        self._engine_floor = at  # anything still due at or before `at` was processed (late) or is stuck
        run.engine_ticks += 1
        run.settled += await self._settle(at)
        run.seconds["engine"] += self.stopwatch.monotonic() - started

    async def _settle(self, now: datetime) -> int:
        """Resolve incidents whose legal clocks were all decided `settle` ago, so pages stop repeating.

        Nobody acts in a backtest: without this every incident would re-page at every later tick and a
        multi-year archive would spend its time on reminders nobody reads. The clocks' outcomes are kept.
        """
        ids = [r["id"] for r in await self.pool.fetch(_SETTLED, now - self.options.settle)]
        for incident_id in ids:
            async with self.pool.acquire() as conn, conn.transaction():
                evidence = {"reason": SETTLED_REASON}
                await record_action(conn, incident_id, "resolve", "replay", now, evidence)
        return len(ids)

    async def _pump(self, posts: list[ArchivePost], seen: list[datetime], run: ReplayRun) -> None:
        """Ingest and analyse chunk after chunk, ahead of grouping (analysis may run in another process)."""
        regions = region_lookup(self.responders)
        for start in range(0, len(posts), self.options.chunk):
            end = min(start + self.options.chunk, len(posts))
            started = self.stopwatch.monotonic()
            records = [
                _record(p, self._roots.get(p.id), regions, s)
                for p, s in zip(posts[start:end], seen[start:end], strict=True)
            ]
            await self.pool.execute(_INSERT, *(list(col) for col in zip(*records, strict=True)))
            run.seconds["insert"] += self.stopwatch.monotonic() - started
            started = self.stopwatch.monotonic()
            while await self.analyse.run_once():
                pass
            run.seconds["analyse"] += self.stopwatch.monotonic() - started
            self._analysed = end
            self._progress.set()

    async def _wait_for_analysis(self, pump: asyncio.Task[None]) -> None:
        self._progress.clear()
        waiter = asyncio.ensure_future(self._progress.wait())
        await asyncio.wait({pump, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if pump.done():
            pump.result()  # re-raises the pump's failure

    async def run(self, posts: list[ArchivePost]) -> ReplayRun:
        opts = self.options
        seen = [poll_time(p.published_at, opts.tick) for p in posts]
        self._roots = roots(posts)
        self._analysed = 0
        self._progress = asyncio.Event()
        self.clock.set(seen[0])
        run = ReplayRun(started_at=posts[0].published_at, ended_at=seen[-1] + opts.drain, posts=len(posts))
        async with self.pool.acquire() as conn:
            await ensure_sources(conn, seen[0])
        pump = asyncio.create_task(self._pump(posts, seen, run), name="replay-pump")
        try:
            await self._loop(posts, seen, run, pump)
            await pump
            if self.engine is not None:
                run.settled += await self._settle(run.ended_at)
        finally:
            if not pump.done():
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
        self.clock.set(max(self.clock.now(), run.ended_at))
        return run

    async def _loop(
        self, posts: list[ArchivePost], seen: list[datetime], run: ReplayRun, pump: asyncio.Task[None]
    ) -> None:
        """Step from decision to decision: the next post seen, or the next clock the engine must act on."""
        grouped = 0
        while True:
            engine_due = await self._next_engine()
            post_due = seen[grouped] if grouped < len(posts) else None
            if post_due is None:
                if engine_due is None or engine_due > run.ended_at:
                    return
                await self._tick(engine_due, run)
            elif engine_due is not None and engine_due <= post_due:
                await self._tick(engine_due, run)
            elif grouped >= self._analysed:
                await self._wait_for_analysis(pump)
            else:
                last = seen[self._analysed - 1]
                self.clock.set(max(self.clock.now(), min(last, engine_due) if engine_due else last))
                started = self.stopwatch.monotonic()
                self.group.until = engine_due
                done = await self.group.run_once()
                run.seconds["group"] += self.stopwatch.monotonic() - started
                if done == 0:
                    raise RuntimeError(f"replay stalled at post {posts[grouped].id!r}")
                grouped += done
                run.steps += 1
