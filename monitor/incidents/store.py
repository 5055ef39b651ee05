"""Incident rows, their departments, 12345 orders and the append-only timeline (SQL; `now` is a parameter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from monitor.incidents.routing import Route

_ROLE_RANK = {"lead": 0, "coordinator": 1, "support": 2, "informed": 3}


@dataclass(frozen=True)
class IncidentRow:
    """The columns lifecycle decisions need."""

    id: int
    kind: str
    event_id: int | None
    grade: int
    state: str
    region: str | None
    topic: str | None
    lead: str
    policy: dict[str, Any]


_COLUMNS = "id, kind, event_id, grade, state, region, topic, lead_department, policy"


def _row(r: asyncpg.Record) -> IncidentRow:
    return IncidentRow(
        r["id"],
        r["kind"],
        r["event_id"],
        r["grade"],
        r["state"],
        r["region"],
        r["topic"],
        r["lead_department"],
        r["policy"],
    )


async def incidents_for_events(conn: asyncpg.Connection, event_ids: list[int]) -> dict[int, IncidentRow]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM incidents WHERE event_id = ANY($1::bigint[]) FOR NO KEY UPDATE", event_ids
    )
    return {r["event_id"]: _row(r) for r in rows}


async def get_incident(
    conn: asyncpg.Connection, incident_id: int, *, lock: bool = True
) -> IncidentRow | None:
    suffix = " FOR NO KEY UPDATE" if lock else ""
    r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM incidents WHERE id = $1{suffix}", incident_id)
    return _row(r) if r else None


async def insert_incident(
    conn: asyncpg.Connection,
    *,
    kind: str,
    dedup_key: str,
    event_id: int | None,
    title: str,
    summary: str,
    grade: int,
    grade_reasons: list[dict[str, Any]],
    topic: str | None,
    route: Route,
    policy: dict[str, Any],
    hotline_order_no: str | None,
    first_seen_at: datetime,
    now: datetime,
) -> int | None:
    """Insert once per dedup key (or event); None when another worker already opened it."""
    incident_id: int | None = await conn.fetchval(
        """INSERT INTO incidents (kind, dedup_key, event_id, title, summary, grade, grade_reasons, topic,
                                  region, lead_department, route_reasons, route_candidates, policy,
                                  hotline_order_no, first_seen_at, opened_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
           ON CONFLICT DO NOTHING RETURNING id""",
        kind,
        dedup_key,
        event_id,
        title,
        summary,
        grade,
        grade_reasons,
        topic,
        route.region,
        route.lead,
        list(route.reasons),
        list(route.candidates),
        policy,
        hotline_order_no,
        min(first_seen_at, now),
        now,
    )
    if incident_id is not None:
        await add_departments(conn, incident_id, list(route.departments), now)
    return incident_id


async def add_departments(
    conn: asyncpg.Connection, incident_id: int, roles: list[tuple[str, str]], now: datetime
) -> list[tuple[str, str]]:
    """Add departments not yet involved; returns the ones added (existing roles are kept)."""
    if not roles:
        return []
    rows = await conn.fetch(
        """INSERT INTO incident_departments (incident_id, department_id, role, added_at)
           SELECT $1, d, r, $4 FROM unnest($2::text[], $3::text[]) AS x(d, r)
           ON CONFLICT DO NOTHING RETURNING department_id, role""",
        incident_id,
        [d for d, _ in roles],
        [r for _, r in roles],
        now,
    )
    return [(r["department_id"], r["role"]) for r in rows]


async def departments_of(conn: asyncpg.Connection, incident_id: int) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT department_id, role FROM incident_departments WHERE incident_id = $1", incident_id
    )
    out = [(r["department_id"], r["role"]) for r in rows]
    return sorted(out, key=lambda dr: (_ROLE_RANK.get(dr[1], 9), dr[0]))


async def set_role(
    conn: asyncpg.Connection, incident_id: int, department_id: str, role: str, now: datetime
) -> None:
    await conn.execute(
        """INSERT INTO incident_departments (incident_id, department_id, role, added_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (incident_id, department_id) DO UPDATE SET role = EXCLUDED.role""",
        incident_id,
        department_id,
        role,
        now,
    )


async def append(
    conn: asyncpg.Connection,
    incident_id: int,
    kind: str,
    detail: dict[str, Any],
    now: datetime,
    actor: str = "system",
) -> int:
    """One timeline row (the table refuses updates and deletes)."""
    row_id: int = await conn.fetchval(
        """INSERT INTO timeline (incident_id, at, actor, kind, detail)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        incident_id,
        now,
        actor,
        kind,
        detail,
    )
    return row_id


async def append_many(
    conn: asyncpg.Connection, rows: list[tuple[int, str, dict[str, Any], datetime]], actor: str = "system"
) -> None:
    """Many timeline rows (incident id, kind, detail, at) in one statement."""
    if not rows:
        return
    await conn.execute(
        """INSERT INTO timeline (incident_id, at, actor, kind, detail)
           SELECT i, a, $5, k, d
           FROM unnest($1::bigint[], $2::text[], $3::jsonb[], $4::timestamptz[]) AS x(i, k, d, a)""",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        actor,
    )


async def record_order(
    conn: asyncpg.Connection,
    order_no: str,
    incident_id: int,
    post_id: int | None,
    urgency: str | None,
    how: str,
    now: datetime,
) -> bool:
    """Attach a 12345 order to an incident once; False if it is already attached somewhere."""
    done = await conn.fetchval(
        """INSERT INTO incident_orders (order_no, incident_id, post_id, urgency, merged_at, how)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
        order_no,
        incident_id,
        post_id,
        urgency,
        now,
        how,
    )
    return bool(done)


async def set_grade(
    conn: asyncpg.Connection,
    incident_id: int,
    grade: int,
    reasons: list[dict[str, Any]],
    policy: dict[str, Any],
    now: datetime,
) -> None:
    await conn.execute(
        "UPDATE incidents SET grade = $2, grade_reasons = $3, policy = $4, updated_at = $5 WHERE id = $1",
        incident_id,
        grade,
        reasons,
        policy,
        now,
    )


async def lead_set_by_person(conn: asyncpg.Connection, incident_id: int) -> bool:
    """True once a person has reassigned the incident: the system then never moves the lead again."""
    found = await conn.fetchval(
        """SELECT 1 FROM timeline WHERE incident_id = $1 AND kind IN ('reassign', 'reassigned')
           AND actor <> 'system' LIMIT 1""",
        incident_id,
    )
    return bool(found)


async def link_event(conn: asyncpg.Connection, event_id: int, incident_id: int, grade: int) -> None:
    await conn.execute(
        "UPDATE events SET incident_id = $2, grade = $3 WHERE id = $1", event_id, incident_id, grade
    )
