"""SQL the engine shares: timeline rows, outbox rows, clock and escalation rows (always with $now)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from monitor.engine.clocks import ClockSpec, ClockState
from monitor.engine.decisions import EscalationState


@dataclass(frozen=True)
class OutboxRow:
    """One message to one target for one step; `step_key:target` is the idempotency key."""

    step_key: str
    target: str
    event: str
    incident_id: int | None
    payload: Mapping[str, Any] = field(default_factory=dict)
    ops_alert_id: int | None = None

    @property
    def idem_key(self) -> str:
        return f"{self.step_key}:{self.target}"


def rows_for(
    step_key: str, targets: Iterable[str], event: str, incident_id: int | None, payload: Mapping[str, Any]
) -> list[OutboxRow]:
    """One row per distinct target."""
    return [OutboxRow(step_key, t, event, incident_id, payload) for t in dict.fromkeys(targets)]


async def queue(conn: asyncpg.Connection, rows: Sequence[OutboxRow], now: datetime) -> None:
    """Insert outbox rows; a key that already exists is skipped (a replayed step never duplicates)."""
    if not rows:
        return
    await conn.execute(
        """INSERT INTO outbox (idem_key, step_key, incident_id, ops_alert_id, target, event, payload,
                               created_at, next_attempt_at)
           SELECT k, s, i, o, t, e, p, $8, $8
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
                       $7::jsonb[]) AS x(k, s, i, o, t, e, p)
           ON CONFLICT (idem_key) DO NOTHING""",
        [r.idem_key for r in rows],
        [r.step_key for r in rows],
        [r.incident_id for r in rows],
        [r.ops_alert_id for r in rows],
        [r.target for r in rows],
        [r.event for r in rows],
        [dict(r.payload) for r in rows],
        now,
    )


async def timeline(
    conn: asyncpg.Connection,
    incident_id: int,
    at: datetime,
    actor: str,
    kind: str,
    detail: Mapping[str, Any],
) -> int:
    """Append one timeline row; returns its id."""
    tid: int = await conn.fetchval(
        "INSERT INTO timeline (incident_id, at, actor, kind, detail)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
        incident_id,
        at,
        actor,
        kind,
        dict(detail),
    )
    return tid


async def timeline_many(
    conn: asyncpg.Connection, entries: Sequence[tuple[int, datetime, str, str, Mapping[str, Any]]]
) -> None:
    """Append several timeline rows in one statement."""
    if entries:
        await conn.execute(
            """INSERT INTO timeline (incident_id, at, actor, kind, detail)
               SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::jsonb[])""",
            [e[0] for e in entries],
            [e[1] for e in entries],
            [e[2] for e in entries],
            [e[3] for e in entries],
            [dict(e[4]) for e in entries],
        )


async def insert_clock(
    conn: asyncpg.Connection,
    incident_id: int,
    spec: ClockSpec,
    started_at: datetime,
    due_at: datetime,
    next_fire_at: datetime | None,
) -> bool:
    """Start a clock unless one of that kind already runs for the incident; True when started now."""
    cid = await conn.fetchval(
        """INSERT INTO clocks (incident_id, kind, legal, label, started_at, due_at, warn_at, next_fire_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (incident_id, kind) DO NOTHING RETURNING id""",
        incident_id,
        spec.kind,
        spec.legal,
        spec.label,
        started_at,
        due_at,
        list(spec.warn_at),
        next_fire_at,
    )
    return cid is not None


def clock_state(row: Mapping[str, Any], ladder_len: int) -> ClockState:
    """The pure view of a `clocks` row."""
    return ClockState(
        started_at=row["started_at"],
        due_at=row["due_at"],
        warn_at=tuple(row["warn_at"]),
        warnings_fired=row["warnings_fired"],
        breach_rungs=row["breach_rungs"],
        ladder_len=ladder_len if row["legal"] else 0,
    )


def escalation_state(row: Mapping[str, Any]) -> EscalationState:
    """The pure view of an `escalations` row."""
    return EscalationState(
        step=row["step"],
        loop_count=row["loop_count"],
        attempt=row["attempt"],
        revision=row["revision"],
        acked=row["acked_at"] is not None,
        ack_expires_at=row["ack_expires_at"],
        force=row["force"],
        next_action_at=row["next_action_at"],
        done=row["done_at"] is not None,
    )


_SAVE_ESCALATION = """
INSERT INTO escalations (incident_id, department_id, revision, step, loop_count, attempt, paged_at,
                         ack_expires_at, force, next_action_at, done_at, done_reason, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN $11::timestamptz END, $8, $9, $10,
        CASE WHEN $12::text IS NOT NULL THEN $11::timestamptz END, $12, $11)
ON CONFLICT (incident_id, department_id) DO UPDATE SET
    revision = EXCLUDED.revision, step = EXCLUDED.step, loop_count = EXCLUDED.loop_count,
    attempt = EXCLUDED.attempt,
    paged_at = COALESCE(EXCLUDED.paged_at, escalations.paged_at),
    acked_at = CASE WHEN $13 THEN escalations.acked_at END,
    acked_by = CASE WHEN $13 OR EXCLUDED.revision = escalations.revision THEN escalations.acked_by END,
    ack_expires_at = EXCLUDED.ack_expires_at, force = EXCLUDED.force,
    next_action_at = EXCLUDED.next_action_at,
    done_at = CASE WHEN EXCLUDED.done_at IS NOT NULL THEN COALESCE(escalations.done_at, EXCLUDED.done_at) END,
    done_reason = CASE WHEN EXCLUDED.done_at IS NOT NULL
                       THEN COALESCE(escalations.done_reason, EXCLUDED.done_reason) END,
    updated_at = EXCLUDED.updated_at"""


async def save_escalations(
    conn: asyncpg.Connection,
    items: Sequence[tuple[int, str, EscalationState, bool, str | None]],
    now: datetime,
) -> None:
    """Upsert chain states (incident, department, state, paged now, done reason). Unacked clears the ack;
    `acked_by` stays until the chain restarts (a regrade), so later pages can say the department did
    acknowledge and what is missing is the action."""
    if not items:
        return
    await conn.executemany(
        _SAVE_ESCALATION,
        [
            (
                incident_id,
                department,
                s.revision,
                s.step,
                s.loop_count,
                s.attempt,
                paged,
                s.ack_expires_at,
                s.force,
                None if s.done else s.next_action_at,
                now,
                (done_reason or "done") if s.done else None,
                s.acked,
            )
            for incident_id, department, s, paged, done_reason in items
        ],
    )


async def open_legal_clocks(conn: asyncpg.Connection, incident_id: int) -> tuple[int, int]:
    """(legal clocks still open, legal clocks in total) for one incident."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE satisfied_at IS NULL AND closed_at IS NULL) AS open,
                  count(*) AS total
           FROM clocks WHERE incident_id = $1 AND legal""",
        incident_id,
    )
    assert row is not None
    return int(row["open"]), int(row["total"])


async def finish_escalations(conn: asyncpg.Connection, incident_id: int, now: datetime, reason: str) -> int:
    """Stop every chain of the incident (its clocks are met or it is closed)."""
    status: str = await conn.execute(
        """UPDATE escalations SET next_action_at = NULL, force = false, done_at = $2, done_reason = $3,
                  updated_at = $2
           WHERE incident_id = $1 AND done_at IS NULL""",
        incident_id,
        now,
        reason,
    )
    return int(status.split()[-1])
