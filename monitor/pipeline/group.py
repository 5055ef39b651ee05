"""Grouping stage: claims analysed posts, puts them in events, then grades and opens/upgrades incidents."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterator
from datetime import datetime

import asyncpg

from monitor.clock import Clock
from monitor.config.responders import Responders
from monitor.events import store
from monitor.events.clusterer import GroupingParams, Join, WindowIndex
from monitor.events.model import EventState, PostIn
from monitor.incidents.from_events import Outcome, apply_events
from monitor.incidents.grades import GRADE_NAMES
from monitor.incidents.judge import Transition, judge, seen_at
from monitor.incidents.lifecycle import EngineHooks, engine_hooks
from monitor.metrics import Metrics

log = logging.getLogger(__name__)
INLINE_BELOW = 50


def assign_all(
    index: WindowIndex,
    posts: list[PostIn],
    roots: dict[tuple[str, str], int],
    ids: Iterator[int],
    decide: Callable[[EventState, PostIn], Transition | None],
    *,
    stop_at_decision: bool = False,
) -> tuple[list[Join], list[Transition]]:
    """Assign posts in publication order (reposts follow their root) and judge each event as it grows."""
    local: dict[tuple[str, str], int] = {}
    joins: list[Join] = []
    transitions: list[Transition] = []
    for p in posts:
        repost = None
        for ext in (p.root_external_id, p.parent_external_id):
            if ext and repost is None:
                repost = local.get((p.source_id, ext)) or roots.get((p.source_id, ext))
        j = index.assign(p, repost, lambda: next(ids))
        local[(p.source_id, p.external_id)] = j.event_id
        joins.append(j)
        tr = decide(index.events[j.event_id], p)
        if tr is not None:
            transitions.append(tr)
            if stop_at_decision:  # the replay ticks the clock engine before later posts
                break
    return joins, transitions


class GroupingStage:
    """The `group` job. One worker groups at a time (the grouping_state row lock); others skip the pass."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        responders: Responders,
        *,
        hooks: EngineHooks | None = None,
        params: GroupingParams | None = None,
        batch_size: int = 1000,
        df_every: int = 20,
        stop_at_decision: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.responders = responders
        self.hooks = hooks
        self.params = params or GroupingParams()
        self.batch_size = batch_size
        self.df_every = max(df_every, 1)
        self.stop_at_decision = stop_at_decision
        self.until: datetime | None = None  # replay: only posts seen before this
        self.metrics = metrics
        self._batches = 0
        self.last_outcome = Outcome()
        self._index: WindowIndex | None = None
        self._epoch: int | None = None

    async def run_once(self) -> int:
        """Group one batch; returns posts grouped (0 if none are waiting or another worker holds the lock)."""
        now = self.clock.now()
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                done, epoch = await self._batch(conn, now)
        except BaseException:
            self._index, self._epoch = None, None  # memory may be ahead of the rolled-back tables
            raise
        if done:
            self._epoch = epoch
        return done

    async def _batch(self, conn: asyncpg.Connection, now: datetime) -> tuple[int, int | None]:
        lock = await store.lock_grouping(conn)
        if lock is None:
            return 0, None
        posts = await store.claim_posts(conn, self.batch_size, self.until)
        if not posts:
            return 0, None
        index = self._index
        if index is None or self._epoch != lock.epoch:
            index = WindowIndex(self.params)
            await store.load_window(conn, index, lock.stream_at)
            self._index = index
        roots = await store.repost_roots(conn, posts)
        missing = sorted({ev for ev in roots.values() if ev not in index.events})
        for e in await store.load_events(conn, missing):
            index.load_event(e)
        ids = itertools.count(lock.next_event_id)  # only grouping creates events, under the lock
        t_now = now.timestamp()

        def decide(e: EventState, p: PostIn) -> Transition | None:
            return judge(self.responders, e, p, seen_at(p, t_now))

        args = (index, posts, roots, ids, decide)
        if len(posts) >= INLINE_BELOW:  # off the event loop; small batches aren't worth a thread hop
            joins, transitions = await asyncio.to_thread(
                assign_all, *args, stop_at_decision=self.stop_at_decision
            )
        else:
            joins, transitions = assign_all(*args, stop_at_decision=self.stop_at_decision)
        next_event_id = next(ids)
        touched = {j.event_id: index.events[j.event_id] for j in joins}
        by_id = {p.post_id: p for p in posts}
        stored_grades = {i: e.grade for i, e in touched.items() if not e.opening}
        await store.save_events(conn, list(touched.values()), now)
        await store.save_joins(conn, joins, by_id, touched, now, self.params.burst.bucket_s)
        hooks = self.hooks or engine_hooks()
        outcome = await apply_events(conn, self.responders, hooks, touched, joins, by_id, transitions, now)
        changed = {i: g for i, g in outcome.grades.items() if i not in stored_grades or stored_grades[i] != g}
        await store.set_grades(conn, changed)
        burst = self.params.burst
        await store.close_quiet_bursts(conn, now, burst.bucket_s * (burst.end_after + 1))
        index.sweep(keep=set(touched))
        # Document frequencies are a slowly moving statistic: a worker that reloads a snapshot a few
        # batches old weighs terms almost identically, so they are written every `df_every` batches.
        self._batches += 1
        with_df = self._batches % self.df_every == 1
        await store.save_state(conn, index, lock.epoch + 1, next_event_id, now, with_df=with_df)
        self.last_outcome = outcome
        self._count(outcome)
        return len(joins), lock.epoch + 1

    def _count(self, outcome: Outcome) -> None:
        if self.metrics is None:
            return
        for incident_id, _, grade, lead in outcome.opened:
            log.info("incident %s opened at grade %s, lead %s", incident_id, GRADE_NAMES[grade], lead)
            self.metrics.incidents_opened.labels(grade=GRADE_NAMES[grade], department=lead).inc()
