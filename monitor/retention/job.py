"""The `retention` job: every so often, old monitoring data leaves a batch per transaction."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import asyncpg

from monitor.clock import Clock
from monitor.config.policy import RetentionPolicy
from monitor.metrics import Metrics
from monitor.retention.rules import cutoff
from monitor.retention.store import Pruned, prune_batch
from monitor.worker import Job

if TYPE_CHECKING:
    from monitor.app import Services

log = logging.getLogger(__name__)
RETENTION_INTERVAL_S = 600.0
# While a backlog drains (the first run on an old database, or after shortening the retention), a batch
# every second leaves the pipeline most of the database.
BUSY_INTERVAL_S = 1.0
BATCH_EVENTS = 500


class Pruner:
    """Deletes events (and their posts) that the retention policy no longer keeps."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        policy: RetentionPolicy,
        *,
        batch_events: int = BATCH_EVENTS,
        metrics: Metrics | None = None,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.policy = policy
        self.batch_events = batch_events
        self.metrics = metrics

    async def run_once(self) -> int:
        """One batch; returns the events deleted (0 when nothing is old enough, or retention is off)."""
        before = cutoff(self.clock.now(), self.policy.posts)
        if before is None:
            return 0
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                done = await prune_batch(conn, before, self.batch_events)
        except asyncpg.LockNotAvailableError:
            log.info("retention: the grouping lock stayed busy; trying again at the next pass")
            return 0
        self._count(done)
        return done.events

    def _count(self, done: Pruned) -> None:
        if done.events:
            log.info("retention: deleted %d events and %d posts", done.events, done.posts)
        if self.metrics is not None:
            self.metrics.retention_deleted.labels(kind="events").inc(done.events)
            self.metrics.retention_deleted.labels(kind="posts").inc(done.posts)


def retention_jobs(services: Services) -> list[Job]:
    s = services
    pruner = Pruner(s.pool, s.clock, s.responders.policy.retention, metrics=s.metrics)
    return [Job("retention", pruner.run_once, interval=RETENTION_INTERVAL_S, busy_interval=BUSY_INTERVAL_S)]
