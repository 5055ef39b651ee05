"""The engine cycle: claim due clock and escalation rows (SKIP LOCKED), advance them, queue messages."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from monitor.clock import Clock, real_seconds_until
from monitor.config.responders import Responders
from monitor.engine import store
from monitor.engine.actions import CLOSED
from monitor.engine.clocks import clock_step
from monitor.engine.decisions import next_action
from monitor.engine.lifecycle import repeat_s, rung_s
from monitor.engine.ops_notify import queue_ops_alerts
from monitor.engine.paging import (
    Plan,
    apply_plans,
    chain_of,
    clock_event_rows,
    clock_timeline,
    ladder_of,
    plan_escalation,
)
from monitor.metrics import Metrics

log = logging.getLogger(__name__)

# Lock the due rows first (index order, SKIP LOCKED), then join what deciding needs for just those rows.
_DUE_CLOCKS = """
WITH due AS (
    SELECT * FROM clocks WHERE next_fire_at <= $1 ORDER BY next_fire_at LIMIT $2 FOR UPDATE SKIP LOCKED)
SELECT due.*, i.policy, i.lead_department FROM due JOIN incidents i ON i.id = due.incident_id"""

_DUE_ESCALATIONS = """
WITH due AS (
    SELECT * FROM escalations WHERE next_action_at <= $1
    ORDER BY next_action_at LIMIT $2 FOR UPDATE SKIP LOCKED)
SELECT due.*, i.policy, i.state AS incident_state, k.open_legal, k.total_legal
FROM due JOIN incidents i ON i.id = due.incident_id
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE c.satisfied_at IS NULL AND c.closed_at IS NULL) AS open_legal,
           count(*) AS total_legal
    FROM clocks c WHERE c.incident_id = due.incident_id AND c.legal) k"""

# When each kind of engine row is next due (a row per kind; the earliest is min(t)).
_ENGINE_NEXT = """SELECT min(next_fire_at) AS t FROM clocks
                  UNION ALL SELECT min(next_action_at) FROM escalations"""

_UPDATE_CLOCK = """
UPDATE clocks SET warnings_fired = $2, breach_rungs = $3, next_fire_at = $4,
                  breached_at = COALESCE(breached_at, $5) WHERE id = $1"""


@dataclass
class TickReport:
    """What one cycle did; `due` holds (scheduled time, processed time) per fired row for lateness figures."""

    clocks: int = 0
    escalations: int = 0
    messages: int = 0
    ops_alerts: int = 0
    due: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.clocks + self.escalations + self.ops_alerts


class Engine:
    """Advances clocks and chains; any number of these may run against one database."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        metrics: Metrics | None = None,
        responders: Responders | None = None,
        *,
        batch: int = 500,
        max_batches: int = 50,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.metrics = metrics
        self.responders = responders
        self.batch = batch
        self.max_batches = max_batches
        self.next_at: datetime | None = None  # when something is next due, as of the last pass

    async def run_once(self) -> int:
        """One cycle at the injected clock's time (the worker's Job)."""
        return (await self.tick(self.clock.now())).total

    async def tick(self, now: datetime) -> TickReport:
        """Process everything due at `now`, batch by batch, each batch in one transaction."""
        started = self.clock.monotonic()
        report = TickReport()
        for _ in range(self.max_batches):
            if not await self._clock_batch(now, report):
                break
        for _ in range(self.max_batches):
            if not await self._escalation_batch(now, report):
                break
        if self.responders is not None:
            async with self.pool.acquire() as conn, conn.transaction():
                report.ops_alerts = await queue_ops_alerts(conn, self.responders, now)
        if self.metrics is not None:
            self.metrics.engine_tick_seconds.observe(max(0.0, self.clock.monotonic() - started))
        self.next_at = await self._next_at(now)
        return report

    async def _clock_batch(self, now: datetime, report: TickReport) -> int:
        # Breach counts and time-to-* histograms come from monitor.observability (once across workers).
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_DUE_CLOCKS, now, self.batch)
            if not rows:
                return 0
            outbox: list[store.OutboxRow] = []
            entries = []
            updates = []
            for row in rows:
                policy: Mapping[str, Any] = row["policy"]
                state = store.clock_state(row, len(ladder_of(policy)))
                decision = clock_step(state, now, rung_s(policy), repeat_s(policy))
                breached_at = None
                for event in decision.events:
                    key, out = clock_event_rows(row["incident_id"], row, event, policy)
                    outbox.extend(out)
                    entries.append(clock_timeline(row["incident_id"], row, event, key, out, now))
                    report.due.append((event.scheduled_at, now))
                    if event.kind == "breach":
                        breached_at = now
                updates.append(
                    (
                        row["id"],
                        decision.warnings_fired,
                        decision.breach_rungs,
                        decision.next_fire_at,
                        breached_at,
                    )
                )
            await store.queue(conn, outbox, now)
            await store.timeline_many(conn, entries)
            await conn.executemany(_UPDATE_CLOCK, updates)
        report.clocks += len(rows)
        report.messages += len(outbox)
        return len(rows)

    async def _escalation_batch(self, now: datetime, report: TickReport) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_DUE_ESCALATIONS, now, self.batch)
            if not rows:
                return 0
            plans: list[Plan] = []
            for row in rows:
                state = store.escalation_state(row)
                total, open_legal = int(row["total_legal"]), int(row["open_legal"])
                satisfied = row["incident_state"] in CLOSED or (
                    open_legal == 0 and (total > 0 or state.acked)
                )
                chain = chain_of(row["policy"], row["department_id"])
                decision = next_action(state, chain, now, satisfied=satisfied)
                due = row["next_action_at"]
                plans.append(
                    plan_escalation(
                        row["incident_id"], row["department_id"], decision, now, due=due, actor="system"
                    )
                )
                if decision.action in ("page", "reminder"):
                    report.due.append((now if state.force else due, now))
            await apply_plans(conn, plans, now)
        report.escalations += len(rows)
        report.messages += sum(len(p.rows) for p in plans)
        return len(rows)

    async def _next_at(self, now: datetime) -> datetime | None:
        """When a clock or chain is next due (in the past when some are late); sets the lag gauge."""
        async with self.pool.acquire() as conn:
            earliest: datetime | None = await conn.fetchval(f"SELECT min(t) FROM ({_ENGINE_NEXT}) x")
        if self.metrics is not None:
            lag = (now - earliest).total_seconds() if earliest is not None and earliest <= now else 0.0
            self.metrics.engine_lag.set(lag)
        return earliest

    def idle_wait(self) -> float | None:
        """Real seconds until the next clock or chain is due, as of the last pass (None: not known)."""
        if self.next_at is None:
            return None
        return real_seconds_until(self.next_at, self.clock.now(), self.clock.speed)


async def next_due(conn: asyncpg.Connection) -> datetime | None:
    """The earliest instant any clock, chain or outbox row is due (tests jump the fake clock there)."""
    value: datetime | None = await conn.fetchval(
        f"""SELECT min(t) FROM ({_ENGINE_NEXT}
               UNION ALL SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'
               UNION ALL SELECT min(lease_until) FROM outbox WHERE status = 'sending') x"""
    )
    return value
