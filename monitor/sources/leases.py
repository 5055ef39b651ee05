"""The SQL of scheduling: claim due sources under a lease (SKIP LOCKED), renew it, and record a poll."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from monitor.sources.fetch import Validators
from monitor.sources.health import Health

_CLAIM = """
WITH due AS (
    SELECT id FROM sources
    WHERE enabled AND polled AND id = ANY($1::text[])
      AND next_poll_at <= $2
      AND (lease_until IS NULL OR lease_until <= $2)
    ORDER BY next_poll_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE sources s SET lease_until = $4, leased_by = $5
FROM due WHERE s.id = due.id
RETURNING s.id, s.etag, s.last_modified, s.state, s.consecutive_failures, s.last_success_at,
          s.last_new_post_at, s.last_error_kind, s.last_error, s.created_at
"""
_RENEW = """
UPDATE sources SET lease_until = $3, last_attempt_at = $4
WHERE id = $1 AND leased_by = $2 AND lease_until > $4
RETURNING id
"""
_FINISH = """
UPDATE sources SET
    state = $3, consecutive_failures = $4, last_success_at = $5, last_new_post_at = $6,
    last_error_kind = $7, last_error = $8, last_status = $9, etag = $10, last_modified = $11,
    next_poll_at = $12, last_duration_s = $13, last_notes = $14,
    polls_total = polls_total + 1, posts_total = posts_total + $15,
    lease_until = NULL, leased_by = NULL, updated_at = $16
WHERE id = $1 AND leased_by = $2
RETURNING id
"""


@dataclass(frozen=True)
class Claim:
    """A source this worker holds the lease on, with what the poll needs from its row."""

    id: str
    validators: Validators
    health: Health
    created_at: datetime


@dataclass(frozen=True)
class PollRecord:
    """Everything a finished poll writes back to its source row."""

    health: Health
    status: int | None
    validators: Validators
    next_poll_at: datetime
    duration_s: float
    notes: str | None
    new_posts: int


async def claim_due(
    conn: asyncpg.Connection,
    source_ids: Sequence[str],
    *,
    now: datetime,
    lease: timedelta,
    worker_id: str,
    limit: int,
) -> list[Claim]:
    """Lease up to `limit` due sources; rows another worker is claiming are skipped, not waited for."""
    rows = await conn.fetch(_CLAIM, list(source_ids), now, limit, now + lease, worker_id)
    return [
        Claim(
            id=r["id"],
            validators=Validators(r["etag"], r["last_modified"]),
            health=Health(
                state=r["state"],
                consecutive_failures=r["consecutive_failures"],
                last_success_at=r["last_success_at"],
                last_new_post_at=r["last_new_post_at"],
                last_error_kind=r["last_error_kind"],
                last_error=r["last_error"],
            ),
            created_at=r["created_at"],
        )
        for r in rows
    ]


async def renew_lease(
    conn: asyncpg.Connection, source_id: str, *, worker_id: str, now: datetime, until: datetime
) -> bool:
    """Extend our lease as the poll starts; False if it lapsed meanwhile (then someone else may poll)."""
    return await conn.fetchval(_RENEW, source_id, worker_id, until, now) is not None


async def finish_poll(
    conn: asyncpg.Connection, source_id: str, record: PollRecord, *, worker_id: str, now: datetime
) -> bool:
    """Write the poll's outcome and release the lease; False if the lease was lost to another worker."""
    h = record.health
    row = await conn.fetchval(
        _FINISH,
        source_id,
        worker_id,
        h.state,
        h.consecutive_failures,
        h.last_success_at,
        h.last_new_post_at,
        h.last_error_kind,
        h.last_error,
        record.status,
        record.validators.etag,
        record.validators.last_modified,
        record.next_poll_at,
        record.duration_s,
        record.notes,
        record.new_posts,
        now,
    )
    return row is not None
