"""`yuqing replay`: an archive through analysis, grouping, incidents and clocks (simulated time)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from monitor.clock import Clock, FakeClock
from monitor.config.responders import Responders
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
_NEXT_DECISION = f"""
SELECT min(t) FROM (
    SELECT min(next_fire_at) AS t FROM clocks WHERE next_fire_at IS NOT NULL AND {_UNDECIDED}
    UNION ALL
    SELECT min(e.next_action_at) FROM escalations e
    WHERE e.next_action_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM clocks c WHERE c.incident_id = e.incident_id AND c.legal AND {_UNDECIDED})
) x"""


@dataclass(frozen=True)
class ReplayOptions:
    """Simulation step (a poll cycle), how long clocks run after the last post, batch sizes."""

    tick: timedelta = timedelta(minutes=15)
    drain: timedelta = timedelta(hours=48)
    engine: bool = True
    batch: int = 2000
    min_engine_gap: timedelta = timedelta(minutes=1)


@dataclass
class ReplayRun:
    """What happened, for the report: simulated span, counts and where the wall time went."""

    started_at: datetime
    ended_at: datetime
    posts: int
    steps: int = 0
    engine_ticks: int = 0
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


class Replay:
    """Runs one archive; the database must be fresh (migrated, empty)."""

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
        self.analyse = AnalysisStage(pool, self.clock, analyzer, batch_size=options.batch)
        self.group = GroupingStage(
            pool, self.clock, responders, hooks=engine_hooks(), batch_size=options.batch
        )
        self.engine: Engine | None = None

    async def _timed(self, name: str, run: Any, run_: ReplayRun) -> None:
        started = self.stopwatch.monotonic()
        while (await run()) >= self.options.batch:
            pass
        run_.seconds[name] += self.stopwatch.monotonic() - started

    async def _tick_until(self, limit: datetime, run: ReplayRun) -> None:
        """Tick the engine at each undecided clock or chain step up to `limit` (not at settled repeats)."""
        if self.engine is None:
            return
        started = self.stopwatch.monotonic()
        last: datetime | None = None
        while True:
            due: datetime | None = await self.pool.fetchval(_NEXT_DECISION)
            if due is None:
                break
            at = max(due, last + self.options.min_engine_gap) if last else due
            if at > limit:
                break
            self.clock.set(max(at, self.clock.now()))
            await self.engine.tick(self.clock.now())
            run.engine_ticks += 1
            last = self.clock.now()
        run.seconds["engine"] += self.stopwatch.monotonic() - started

    async def run(self, posts: list[ArchivePost]) -> ReplayRun:
        opts = self.options
        first = posts[0].published_at
        self.clock.set(first)
        run = ReplayRun(started_at=first, ended_at=first, posts=len(posts))
        if opts.engine:
            self.engine = Engine(self.pool, self.clock, None, self.responders)
        async with self.pool.acquire() as conn:
            await ensure_sources(conn, first)
        root_of = roots(posts)
        regions = region_lookup(self.responders)
        times = [p.published_at for p in posts]
        i, now = 0, first
        while i < len(posts):
            start = max(now, posts[i].published_at)
            await self._tick_until(start, run)
            end = start + opts.tick
            j = bisect.bisect_left(times, end, lo=i)
            started = self.stopwatch.monotonic()
            records = [_record(p, root_of.get(p.id), regions, end) for p in posts[i:j]]
            await self.pool.execute(_INSERT, *(list(col) for col in zip(*records, strict=True)))
            run.seconds["insert"] += self.stopwatch.monotonic() - started
            self.clock.set(end)
            await self._timed("analyse", self.analyse.run_once, run)
            await self._timed("group", self.group.run_once, run)
            await self._tick_until(end, run)
            run.steps += 1
            i, now = j, end
        run.ended_at = now + opts.drain
        await self._tick_until(run.ended_at, run)
        self.clock.set(max(self.clock.now(), run.ended_at))
        return run
