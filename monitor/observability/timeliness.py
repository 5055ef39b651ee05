"""Observes each timeliness fact (ack, clock met, clock breached) exactly once across all workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from prometheus_client import Histogram

from monitor.incidents.grades import GRADE_NAMES
from monitor.metrics import Metrics

# Facts not yet in metrics_observed. A worker claims them by inserting the marker rows; the unique key
# makes a second worker's insert a no-op, so only the winner observes (RETURNING lists what it won).
_CLAIM = """
WITH facts AS (
    SELECT i.id AS incident_id, 'ack' AS fact, 'ack' AS kind, i.grade, i.lead_department AS department,
           extract(epoch FROM i.acknowledged_at - i.opened_at)::float8 AS seconds
      FROM incidents i
     WHERE i.acknowledged_at IS NOT NULL
    UNION ALL
    SELECT c.incident_id, c.kind, c.kind, c.grade, c.department, c.seconds_to_evidence
      FROM clock_outcomes($1) c
     WHERE c.outcome IN ('met', 'late')
    UNION ALL
    SELECT c.incident_id, 'breach:' || c.kind, c.kind, c.grade, c.department, NULL
      FROM clock_outcomes($1) c
     WHERE c.outcome IN ('late', 'breached')
), todo AS (
    SELECT f.* FROM facts f
     WHERE NOT EXISTS (SELECT 1 FROM metrics_observed m
                        WHERE m.incident_id = f.incident_id AND m.fact = f.fact)
     ORDER BY f.incident_id, f.fact
     LIMIT $3
), claimed AS (
    INSERT INTO metrics_observed (incident_id, fact, observed_at, observed_by)
    SELECT incident_id, fact, $1, $2 FROM todo
    ON CONFLICT DO NOTHING
    RETURNING incident_id, fact
)
SELECT t.* FROM todo t JOIN claimed c USING (incident_id, fact)
"""


@dataclass(frozen=True)
class Fact:
    """One claimed timeliness fact, ready to observe."""

    incident_id: int
    fact: str
    kind: str
    grade: str
    department: str
    seconds: float | None


def _histogram(metrics: Metrics, kind: str) -> Histogram | None:
    """The histogram for a clock kind; 12345 limits vary by urgency, so they only count breaches."""
    return {
        "ack": metrics.time_to_ack,
        "statement": metrics.time_to_statement,
        "press_conference": metrics.time_to_press_conference,
        "response": metrics.time_to_response,
    }.get(kind)


async def claim_facts(pool: asyncpg.Pool, now: datetime, worker_id: str, limit: int = 500) -> list[Fact]:
    """Insert the markers for unobserved facts and return those this worker won."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(_CLAIM, now, worker_id, limit)
    return [
        Fact(
            incident_id=r["incident_id"],
            fact=r["fact"],
            kind=r["kind"],
            grade=GRADE_NAMES.get(r["grade"], str(r["grade"])),
            department=r["department"],
            seconds=r["seconds"],
        )
        for r in rows
    ]


def observe(metrics: Metrics, facts: list[Fact]) -> None:
    """Turn claimed facts into histogram observations and breach counts (no per-incident labels)."""
    for f in facts:
        if f.fact.startswith("breach:"):
            metrics.clock_breaches.labels(f.kind, f.department).inc()
            continue
        hist = _histogram(metrics, f.kind)
        if hist is not None and f.seconds is not None:
            hist.labels(f.grade, f.department).observe(max(0.0, f.seconds))


async def observe_new_facts(pool: asyncpg.Pool, metrics: Metrics, now: datetime, worker_id: str) -> int:
    """One pass: claim and observe; returns how many facts this worker observed."""
    facts = await claim_facts(pool, now, worker_id)
    observe(metrics, facts)
    return len(facts)
