"""The dead-man's switch: checks every open clock against the timeline and outbox, apart from the engine.

It trusts none of the engine's bookkeeping (next_fire_at, counters): it recomputes what should have happened
from started_at/due_at/warn_at and looks for the evidence on the timeline and in the outbox. Anything overdue
and unprocessed raises an operator alert; the heartbeat gauge moves only after a complete pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from monitor.clock import Clock
from monitor.metrics import Metrics
from monitor.outbox import store as outbox_store

KINDS = (
    "clock_overdue",
    "clock_warning_missed",
    "escalation_overdue",
    "outbox_stuck",
    "notification_failed",
)

_RAISE = """
INSERT INTO ops_alerts (kind, subject, severity, message, dedup_key, raised_at, last_seen_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (dedup_key) WHERE resolved_at IS NULL
DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, message = EXCLUDED.message,
              severity = EXCLUDED.severity"""

# Legal clocks past due (plus grace) with no breach on the timeline.
_OVERDUE = """
SELECT c.id, c.incident_id, c.label, c.due_at FROM clocks c
WHERE c.legal AND c.satisfied_at IS NULL AND c.closed_at IS NULL AND c.due_at < $1
  AND NOT EXISTS (SELECT 1 FROM timeline t WHERE t.incident_id = c.incident_id AND t.kind = 'clock_breach'
                  AND t.detail->>'clock_id' = c.id::text)
ORDER BY c.due_at LIMIT 200"""

# Warning points passed (plus grace) before the clock was due, with fewer warnings on the timeline.
_WARNINGS = """
SELECT c.id, c.incident_id, c.label, expected, seen FROM (
    SELECT c.*, (SELECT count(*) FROM unnest(c.warn_at) f
                 WHERE c.started_at + (c.due_at - c.started_at) * f < least($1, c.due_at)) AS expected
    FROM clocks c WHERE c.legal AND c.satisfied_at IS NULL AND c.closed_at IS NULL
      AND c.started_at < $1 AND cardinality(c.warn_at) > 0) c
CROSS JOIN LATERAL (SELECT count(*) AS seen FROM timeline t WHERE t.incident_id = c.incident_id
                    AND t.kind = 'clock_warning' AND t.detail->>'clock_id' = c.id::text) s
WHERE expected > seen LIMIT 200"""

_STUCK_CHAINS = """
SELECT count(*) AS n, min(next_action_at) AS oldest FROM escalations WHERE next_action_at < $1"""

_STUCK_OUTBOX = """
SELECT count(*) AS n, min(created_at) AS oldest FROM outbox
WHERE status IN ('pending', 'sending') AND created_at < $1"""

# Rows that failed on every route in the last day (older ones were dealt with or are in the reports).
_FAILED = """
SELECT target, count(*) AS n, max(last_error) AS error FROM outbox
WHERE status = 'failed' AND next_attempt_at > $1
GROUP BY target ORDER BY target LIMIT 100"""


@dataclass(frozen=True)
class Finding:
    """One problem, as an operator alert."""

    kind: str
    subject: str
    severity: str
    message: str
    dedup_key: str


class Auditor:
    """Runs alongside the engine on every worker; cheap, indexed, bounded queries."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        metrics: Metrics | None = None,
        *,
        grace_s: float = 120.0,
        stuck_outbox_s: float = 600.0,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.metrics = metrics
        self.grace = timedelta(seconds=grace_s)
        self.stuck_outbox = timedelta(seconds=stuck_outbox_s)

    async def run_once(self) -> int:
        """One audit at the injected clock's time; returns the number of findings."""
        return len(await self.audit(self.clock.now()))

    async def audit(self, now: datetime) -> list[Finding]:
        """Find, raise and resolve; the heartbeat is set only when the whole pass succeeded."""
        async with self.pool.acquire() as conn:
            findings = await self.findings(conn, now)
            async with conn.transaction():
                for f in findings:
                    await conn.execute(_RAISE, f.kind, f.subject, f.severity, f.message, f.dedup_key, now)
                await conn.execute(
                    """UPDATE ops_alerts SET resolved_at = $3, last_seen_at = $3
                       WHERE kind = ANY($1::text[]) AND resolved_at IS NULL
                         AND NOT (dedup_key = ANY($2::text[]))""",
                    list(KINDS),
                    [f.dedup_key for f in findings],
                    now,
                )
                await outbox_store.purge_slots(conn, now)
        if self.metrics is not None:
            self.metrics.auditor_heartbeat.set(now.timestamp())
        return findings

    async def findings(self, conn: asyncpg.Connection, now: datetime) -> list[Finding]:
        """Everything overdue and unprocessed at `now` (read-only)."""
        out: list[Finding] = []
        cutoff = now - self.grace
        for r in await conn.fetch(_OVERDUE, cutoff):
            out.append(
                Finding(
                    "clock_overdue",
                    f"incident:{r['incident_id']}",
                    "critical",
                    f"事件#{r['incident_id']}「{r['label']}」时限已于{r['due_at'].isoformat()}到期，"
                    "但未记录超时处理（引擎可能停止）",
                    f"clock_overdue:{r['id']}",
                )
            )
        for r in await conn.fetch(_WARNINGS, cutoff):
            out.append(
                Finding(
                    "clock_warning_missed",
                    f"incident:{r['incident_id']}",
                    "warning",
                    f"事件#{r['incident_id']}「{r['label']}」应发出{r['expected']}次预警，只记录了{r['seen']}次",
                    f"clock_warning_missed:{r['id']}",
                )
            )
        chains = await conn.fetchrow(_STUCK_CHAINS, cutoff)
        if chains and chains["n"]:
            out.append(
                Finding(
                    "escalation_overdue",
                    "engine",
                    "critical",
                    f"{chains['n']}条升级链已过处理时间，最早应于{chains['oldest'].isoformat()}处理",
                    "escalation_overdue",
                )
            )
        stuck = await conn.fetchrow(_STUCK_OUTBOX, now - self.stuck_outbox)
        if stuck and stuck["n"]:
            out.append(
                Finding(
                    "outbox_stuck",
                    "outbox",
                    "critical",
                    f"{stuck['n']}条通知超过{int(self.stuck_outbox.total_seconds() // 60)}分钟未送达，"
                    f"最早创建于{stuck['oldest'].isoformat()}",
                    "outbox_stuck",
                )
            )
        for r in await conn.fetch(_FAILED, now - timedelta(days=1)):
            out.append(
                Finding(
                    "notification_failed",
                    r["target"],
                    "critical",
                    f"发往{r['target']}的{r['n']}条通知在所有渠道均发送失败：{(r['error'] or '')[:200]}",
                    f"notification_failed:{r['target']}",
                )
            )
        return out
