"""Writes source alerts to `ops_alerts` (one open row per dedup key) and sweeps every source for staleness."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from monitor.config.sources import Source
from monitor.sources.health import AlertChanges, Health, alerts_for

_RAISE = """
INSERT INTO ops_alerts (kind, subject, severity, message, dedup_key, raised_at, last_seen_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (dedup_key) WHERE resolved_at IS NULL
DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, message = EXCLUDED.message, severity = EXCLUDED.severity
"""
_RESOLVE = """
UPDATE ops_alerts SET resolved_at = $2, last_seen_at = $2
WHERE dedup_key = ANY($1::text[]) AND resolved_at IS NULL
"""
_SWEEP = """
SELECT id, polled, state, consecutive_failures, last_success_at, last_new_post_at, last_error_kind,
       last_error, created_at
FROM sources WHERE enabled AND id = ANY($1::text[])
"""


@dataclass(frozen=True)
class SourceAge:
    """How long since a source last succeeded (for the age gauge)."""

    source_id: str
    seconds: float


async def apply_alerts(conn: asyncpg.Connection, changes: AlertChanges, *, now: datetime) -> None:
    """Open or refresh raised alerts, resolve the rest; repeats never open a second row."""
    for alert in changes.raise_:
        await conn.execute(
            _RAISE, alert.kind, alert.subject, alert.severity, alert.message, alert.dedup_key, now
        )
    if changes.resolve:
        await conn.execute(_RESOLVE, list(changes.resolve), now)


async def sweep_sources(
    conn: asyncpg.Connection, sources: Mapping[str, Source], *, now: datetime
) -> list[SourceAge]:
    """Raise/resolve alerts for every enabled source from its stored health at `now`.

    This catches what no poll will: a source in a long backoff that has now been failing
    for longer than its staleness, and a pushed source that stopped receiving.
    """
    rows = await conn.fetch(_SWEEP, list(sources))
    ages: list[SourceAge] = []
    for r in rows:
        source = sources[r["id"]]
        health = Health(
            state=r["state"],
            consecutive_failures=r["consecutive_failures"],
            last_success_at=r["last_success_at"],
            last_new_post_at=r["last_new_post_at"],
            last_error_kind=r["last_error_kind"],
            last_error=r["last_error"],
        )
        changes = alerts_for(
            source.id,
            source.spec.name,
            health,
            now=now,
            created_at=r["created_at"],
            stale_after=source.stale_after,
            polled=r["polled"],
        )
        await apply_alerts(conn, changes, now=now)
        since = r["last_success_at"] or r["created_at"]
        ages.append(SourceAge(source.id, max((now - since) / timedelta(seconds=1), 0.0)))
    return ages
