"""The observability worker job: refresh DB-derived gauges, then observe new timeliness facts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import asyncpg

from monitor.clock import Clock
from monitor.metrics import Metrics
from monitor.observability.gauges import apply_snapshot, read_snapshot
from monitor.observability.timeliness import observe_new_facts
from monitor.worker import Job

if TYPE_CHECKING:
    from monitor.app import Services

REFRESH_INTERVAL_S = 15.0


class ObservabilityRefresher:
    """Holds what one pass needs; `run_once` is the job body."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        metrics: Metrics,
        departments: Iterable[str],
        worker_id: str,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._metrics = metrics
        self._departments = tuple(departments)
        self._worker_id = worker_id

    @classmethod
    def for_services(cls, services: Services) -> ObservabilityRefresher:
        """Built by the composition root from its services."""
        s = services
        return cls(s.pool, s.clock, s.metrics, s.responders.departments, s.settings.worker_id)

    async def refresh_gauges(self) -> None:
        """Read every gauge's rows with `now` from the injected clock, then set them all at once."""
        now = self._clock.now()
        async with self._pool.acquire() as conn:
            snapshot = await read_snapshot(conn, now)
        apply_snapshot(self._metrics, snapshot, self._departments)

    async def run_once(self) -> int:
        """Refresh the gauges and observe new facts; returns the number of facts observed."""
        await self.refresh_gauges()
        return await observe_new_facts(self._pool, self._metrics, self._clock.now(), self._worker_id)

    def job(self) -> Job:
        return Job(
            name="observability", run_once=self.run_once, interval=REFRESH_INTERVAL_S, busy_interval=0.5
        )
