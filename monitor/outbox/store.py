"""Outbox SQL for senders: claim with a lease, rate-limit slots, finish rows (fenced by lease holder)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

_CLAIM = """
UPDATE outbox o SET status = 'sending', lease_until = $2, leased_by = $3, attempts = o.attempts + 1
WHERE o.id IN (
    SELECT id FROM outbox
    WHERE ((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until <= $1))
    ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
RETURNING o.*"""


async def claim(
    conn: asyncpg.Connection, now: datetime, lease_s: float, worker: str, limit: int
) -> list[Any]:
    """Lease due rows (and rows whose holder died) to this worker."""
    rows: list[Any] = await conn.fetch(_CLAIM, now, now + timedelta(seconds=lease_s), worker, limit)
    return rows


async def context(
    conn: asyncpg.Connection, incident_ids: Sequence[int]
) -> tuple[dict[int, Any], dict[int, list[Any]]]:
    """Incidents and their clocks, as they are now."""
    ids = sorted(set(incident_ids))
    if not ids:
        return {}, {}
    incidents = {
        r["id"]: r
        for r in await conn.fetch(
            "SELECT id, title, summary, grade, state, lead_department FROM incidents"
            " WHERE id = ANY($1::bigint[])",
            ids,
        )
    }
    clocks: dict[int, list[Any]] = {}
    for r in await conn.fetch(
        """SELECT incident_id, kind, label, legal, due_at, satisfied_at, closed_at FROM clocks
           WHERE incident_id = ANY($1::bigint[])""",
        ids,
    ):
        clocks.setdefault(r["incident_id"], []).append(r)
    return incidents, clocks


async def reserve(conn: asyncpg.Connection, dest_key: str, limit: int, wanted: int, now: datetime) -> int:
    """Take up to `wanted` of `limit` per-minute slots for one destination (serialised per destination)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", dest_key)
        used = await conn.fetchval(
            "SELECT count(*) FROM rate_slots WHERE dest_key = $1 AND at > $2",
            dest_key,
            now - timedelta(seconds=60),
        )
        granted = max(0, min(wanted, limit - int(used)))
        if granted:
            await conn.executemany(
                "INSERT INTO rate_slots (dest_key, at) VALUES ($1, $2)", [(dest_key, now)] * granted
            )
        return granted


async def window_reopens(conn: asyncpg.Connection, dest_key: str, now: datetime) -> datetime:
    """When the oldest slot in the last minute expires."""
    oldest = await conn.fetchval(
        "SELECT min(at) FROM rate_slots WHERE dest_key = $1 AND at > $2",
        dest_key,
        now - timedelta(seconds=60),
    )
    return (oldest or now) + timedelta(seconds=60)


async def start_attempts(
    conn: asyncpg.Connection, items: Sequence[tuple[int, str, str]], now: datetime
) -> list[int]:
    """Log attempts before calling the vendor (outcome 'sending' survives a crash as 'unknown')."""
    rows = await conn.fetch(
        """INSERT INTO outbox_attempts (outbox_id, at, dest_key, channel, outcome)
           SELECT o, $2, d, c, 'sending' FROM unnest($1::bigint[], $3::text[], $4::text[]) AS x(o, d, c)
           RETURNING id, outbox_id""",
        [i[0] for i in items],
        now,
        [i[1] for i in items],
        [i[2] for i in items],
    )
    by_row = {r["outbox_id"]: r["id"] for r in rows}
    return [by_row[i[0]] for i in items]


async def purge_slots(conn: asyncpg.Connection, now: datetime) -> None:
    """Forget rate-limit slots older than the window."""
    await conn.execute("DELETE FROM rate_slots WHERE at < $1", now - timedelta(minutes=5))
