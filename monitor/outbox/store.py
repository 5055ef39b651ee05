"""Outbox SQL for senders: claim with a lease, rate-limit slots, finish rows (fenced by lease holder)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


async def renew(conn: asyncpg.Connection, ids: Sequence[int], worker: str, until: datetime) -> set[int]:
    """Extend this worker's leases on rows it is still sending; returns the ids it still holds (a row whose
    lease lapsed and was claimed by another worker is no longer ours to send)."""
    rows = await conn.fetch(
        """UPDATE outbox SET lease_until = $3
           WHERE id = ANY($1::bigint[]) AND status = 'sending' AND leased_by = $2 RETURNING id""",
        list(ids),
        worker,
        until,
    )
    return {int(r["id"]) for r in rows}


async def abandon_attempts(conn: asyncpg.Connection, attempt_ids: Sequence[int]) -> None:
    """Attempts logged but never made, because the row's lease passed to another worker first."""
    await conn.execute(
        """UPDATE outbox_attempts SET outcome = 'lease_lost'
           WHERE id = ANY($1::bigint[]) AND outcome = 'sending'""",
        list(attempt_ids),
    )


async def context(
    conn: asyncpg.Connection, incident_ids: Sequence[int]
) -> tuple[dict[int, Any], dict[int, list[Any]]]:
    """Incidents (with their event's figures, each department's role, and the departments that acknowledged
    since their chain last started) and their clocks, as they are now."""
    ids = sorted(set(incident_ids))
    if not ids:
        return {}, {}
    acked: dict[int, set[str]] = {}
    for r in await conn.fetch(
        "SELECT incident_id, department_id FROM escalations"
        " WHERE incident_id = ANY($1::bigint[]) AND acked_by IS NOT NULL",
        ids,
    ):
        acked.setdefault(r["incident_id"], set()).add(r["department_id"])
    roles: dict[int, dict[str, str]] = {}
    for r in await conn.fetch(
        "SELECT incident_id, department_id, role FROM incident_departments"
        " WHERE incident_id = ANY($1::bigint[])",
        ids,
    ):
        roles.setdefault(r["incident_id"], {})[r["department_id"]] = r["role"]
    incidents = {
        r["id"]: {
            **dict(r),
            "acked_departments": frozenset(acked.get(r["id"], ())),
            "department_roles": roles.get(r["id"], {}),
        }
        for r in await conn.fetch(
            """SELECT i.id, i.title, i.summary, i.grade, i.state, i.lead_department, i.route_reasons,
                      e.post_count AS event_posts, e.channels AS event_channels, e.heat AS event_heat,
                      e.negative_share AS event_negative
                 FROM incidents i LEFT JOIN events e ON e.id = i.event_id
                WHERE i.id = ANY($1::bigint[])""",
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


def windows(limit: int) -> list[tuple[float, int]]:
    """(seconds, cap) pairs a destination must respect: its per-minute limit, paced in quarter-minutes so a
    storm cannot spend a minute's budget in its first second and then wait the rest of the minute."""
    return [(60.0, limit), (15.0, max(1, limit // 4))]


async def _slots(conn: asyncpg.Connection, dest_key: str, now: datetime) -> list[datetime]:
    rows = await conn.fetch(
        "SELECT at FROM rate_slots WHERE dest_key = $1 AND at > $2 ORDER BY at DESC",
        dest_key,
        now - timedelta(seconds=60),
    )
    return [r["at"] for r in rows]


async def reserve(conn: asyncpg.Connection, dest_key: str, limit: int, wanted: int, now: datetime) -> int:
    """Take up to `wanted` request slots for one destination (serialised per destination across workers)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", dest_key)
        recent = await _slots(conn, dest_key, now)
        granted = wanted
        for seconds, cap in windows(limit):
            used = sum(1 for at in recent if at > now - timedelta(seconds=seconds))
            granted = min(granted, cap - used)
        granted = max(0, granted)
        if granted:
            await conn.executemany(
                "INSERT INTO rate_slots (dest_key, at) VALUES ($1, $2)", [(dest_key, now)] * granted
            )
        return granted


async def window_reopens(conn: asyncpg.Connection, dest_key: str, limit: int, now: datetime) -> datetime:
    """The first instant at which every window has room for one more request."""
    recent = await _slots(conn, dest_key, now)  # newest first
    reopen = now
    for seconds, cap in windows(limit):
        inside = [at for at in recent if at > now - timedelta(seconds=seconds)]
        if len(inside) >= cap:
            reopen = max(reopen, inside[cap - 1] + timedelta(seconds=seconds))
    return reopen


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


@dataclass(frozen=True)
class Finished:
    """A row's state after an attempt (sent, merged, retry later, next route, or failed)."""

    id: int
    attempts: int  # the fence: the claim this worker made
    status: str
    route: int
    route_attempts: int
    failing_since: datetime | None
    next_attempt_at: datetime
    sent_at: datetime | None
    sent_via: str | None
    merged_into: int | None
    error: str | None
    error_kind: str | None


_FINISH = """
WITH o AS (
    UPDATE outbox SET status = x.status, route = x.route, route_attempts = x.ra,
           route_failing_since = x.since, next_attempt_at = x.next_at, sent_at = x.sent_at, sent_via = x.via,
           merged_into = x.merged, lease_until = NULL, last_error = x.err, last_error_kind = x.kind
    FROM unnest($1::bigint[], $2::int[], $3::text[], $4::smallint[], $5::int[], $6::timestamptz[],
                $7::timestamptz[], $8::timestamptz[], $9::text[], $10::bigint[], $11::text[], $12::text[])
         AS x(id, att, status, route, ra, since, next_at, sent_at, via, merged, err, kind)
    WHERE outbox.id = x.id AND outbox.status = 'sending' AND outbox.leased_by = $13
      AND outbox.attempts = x.att
    RETURNING outbox.id),
a AS (
    UPDATE outbox_attempts SET outcome = y.outcome, error = y.err, duration_s = $14
    FROM unnest($15::bigint[], $16::text[], $17::text[]) AS y(id, outcome, err)
    WHERE outbox_attempts.id = y.id RETURNING 1),
t AS (
    INSERT INTO timeline (incident_id, at, actor, kind, detail)
    SELECT * FROM unnest($18::bigint[], $19::timestamptz[], $20::text[], $21::text[], $22::jsonb[])
    RETURNING 1)
SELECT (SELECT count(*) FROM o) + 0 * (SELECT count(*) FROM a) + 0 * (SELECT count(*) FROM t)"""


async def finish(
    conn: asyncpg.Connection,
    worker: str,
    rows: Sequence[Finished],
    attempts: Sequence[tuple[int, str, str | None]],
    elapsed: float,
    entries: Sequence[tuple[int, datetime, str, str, Mapping[str, Any]]],
) -> int:
    """Outbox rows (fenced by lease holder and claim), their attempts and timeline rows: one statement."""
    count: int = await conn.fetchval(
        _FINISH,
        [r.id for r in rows],
        [r.attempts for r in rows],
        [r.status for r in rows],
        [r.route for r in rows],
        [r.route_attempts for r in rows],
        [r.failing_since for r in rows],
        [r.next_attempt_at for r in rows],
        [r.sent_at for r in rows],
        [r.sent_via for r in rows],
        [r.merged_into for r in rows],
        [r.error for r in rows],
        [r.error_kind for r in rows],
        worker,
        elapsed,
        [a[0] for a in attempts],
        [a[1] for a in attempts],
        [a[2] for a in attempts],
        [e[0] for e in entries],
        [e[1] for e in entries],
        [e[2] for e in entries],
        [e[3] for e in entries],
        [dict(e[4]) for e in entries],
    )
    return count
