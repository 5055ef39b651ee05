"""SQL for incidents as people see them: the scoped, filtered, clock-ordered list; one incident; timeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from monitor.web.access import IncidentScope, Visibility
from monitor.web.countdown import CRITICAL_LEFT
from monitor.web.inputs import IncidentFilter
from monitor.web.queries.clocks import CLOCKS_SQL

_COLUMNS = """i.id, i.kind, i.title, i.summary, i.grade, i.grade_reasons, i.state, i.topic, i.region,
       i.lead_department, i.route_reasons, i.route_candidates, i.event_id, i.hotline_order_no,
       i.first_seen_at, i.opened_at,
       i.acknowledged_at, i.acknowledged_by, i.statement_at, i.statement_url, i.press_conference_at,
       i.responded_at, i.resolved_at, i.resolved_reason, i.reviewed_at, i.updated_at"""


@dataclass
class IncidentRow:
    """One incident with its departments (id → role), as read from the database."""

    data: dict[str, Any]
    departments: dict[str, str] = field(default_factory=dict)
    next_due_at: datetime | None = None

    @property
    def id(self) -> int:
        return int(self.data["id"])

    def scope(self) -> IncidentScope:
        departments = dict(self.departments)
        departments.setdefault(self.data["lead_department"], "lead")
        return IncidentScope(
            region=self.data["region"],
            departments=departments,
            state=self.data["state"],
            grade=self.data["grade"],
        )


class _Params:
    """Numbered query parameters ($1, $2, …) collected while a WHERE clause is built."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _visible(v: Visibility, p: _Params) -> str:
    if v.everything:
        return "TRUE"
    depts = p.add(sorted(v.departments))
    parts = [
        f"i.lead_department = ANY({depts}::text[])",
        f"EXISTS (SELECT 1 FROM incident_departments d WHERE d.incident_id = i.id"
        f" AND d.department_id = ANY({depts}::text[]))",
    ]
    if v.regions:
        parts.append(f"i.region = ANY({p.add(sorted(v.regions))}::text[])")
    if v.unknown_region:
        parts.append("i.region IS NULL")
    return "(" + " OR ".join(parts) + ")"


def _where(f: IncidentFilter, v: Visibility, region_ids: Sequence[str], p: _Params) -> str:
    clauses = [_visible(v, p)]
    if f.grades:
        clauses.append(f"i.grade = ANY({p.add(list(f.grades))}::smallint[])")
    if f.states:
        clauses.append(f"i.state = ANY({p.add(list(f.states))}::text[])")
    if f.department:
        d = p.add(f.department)
        clauses.append(
            f"(i.lead_department = {d} OR EXISTS (SELECT 1 FROM incident_departments d"
            f" WHERE d.incident_id = i.id AND d.department_id = {d}))"
        )
    if f.region:
        clauses.append(f"i.region = ANY({p.add(list(region_ids))}::text[])")
    if f.opened_from:
        clauses.append(f"i.opened_at >= {p.add(f.opened_from)}")
    if f.opened_to:
        clauses.append(f"i.opened_at < {p.add(f.opened_to)}")
    if f.at_risk:
        clauses.append("coalesce(nd.at_risk, false)")
    return " AND ".join(clauses)


async def list_incidents(
    conn: asyncpg.Connection, f: IncidentFilter, v: Visibility, region_ids: Sequence[str], now: datetime
) -> tuple[list[IncidentRow], int]:
    """One page of visible incidents, the soonest-breaching clock first, and the total matching."""
    p = _Params()
    now_ref = p.add(now)
    critical = p.add(CRITICAL_LEFT)
    where = _where(f, v, region_ids, p)
    cte = f"""
        WITH next_due AS (
            SELECT k.incident_id,
                   min(k.due_at) FILTER (WHERE k.satisfied_at IS NULL AND k.closed_at IS NULL) AS next_due_at,
                   bool_or(k.satisfied_at IS NULL AND k.closed_at IS NULL
                           AND k.due_at - {now_ref}::timestamptz
                               <= (k.due_at - k.started_at) * {critical}::float8)
                       AS at_risk
              FROM ({CLOCKS_SQL}) AS k
             GROUP BY k.incident_id)"""
    filters = list(p.values)
    limit, offset = p.add(f.limit), p.add(f.offset)
    sql = f"""{cte}
        SELECT {_COLUMNS}, nd.next_due_at, count(*) OVER () AS total
          FROM incidents i LEFT JOIN next_due nd ON nd.incident_id = i.id
         WHERE {where}
         ORDER BY (i.state IN ('resolved', 'reviewed')), nd.next_due_at NULLS LAST, i.grade,
                  i.opened_at DESC, i.id
         LIMIT {limit} OFFSET {offset}"""
    rows = await conn.fetch(sql, *p.values)
    if rows:
        total = int(rows[0]["total"])
    else:  # an empty page (offset past the end) still reports how many there are
        count_sql = f"""{cte} SELECT count(*) FROM incidents i
                         LEFT JOIN next_due nd ON nd.incident_id = i.id WHERE {where}"""
        total = int(await conn.fetchval(count_sql, *filters))
    items = [
        IncidentRow(
            data={k: r[k] for k in r.keys() if k not in ("next_due_at", "total")},
            next_due_at=r["next_due_at"],
        )
        for r in rows
    ]
    depts = await departments_for(conn, [i.id for i in items])
    for item in items:
        item.departments = depts.get(item.id, {})
    return items, total


async def departments_for(conn: asyncpg.Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    rows = await conn.fetch(
        """SELECT incident_id, department_id, role FROM incident_departments
           WHERE incident_id = ANY($1::bigint[])
           ORDER BY incident_id, CASE role WHEN 'lead' THEN 0 WHEN 'support' THEN 1
                                           WHEN 'coordinator' THEN 2 ELSE 3 END, department_id""",
        list(ids),
    )
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for r in rows:
        out[r["incident_id"]][r["department_id"]] = r["role"]
    return out


async def get_incident(conn: asyncpg.Connection, incident_id: int) -> IncidentRow | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM incidents i WHERE i.id = $1", incident_id)
    if row is None:
        return None
    item = IncidentRow(data=dict(row))
    item.departments = (await departments_for(conn, [incident_id])).get(incident_id, {})
    return item


async def timeline(conn: asyncpg.Connection, incident_id: int, limit: int = 500) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, at, actor, kind, detail FROM timeline WHERE incident_id = $1 ORDER BY at, id LIMIT $2",
        incident_id,
        limit,
    )
    return [dict(r) for r in rows]


async def event_sightings(
    conn: asyncpg.Connection, incident_id: int
) -> tuple[datetime, datetime | None, datetime | None]:
    """When the incident was first seen, when its event was, and when the event's first post was published."""
    row = await conn.fetchrow(
        """SELECT i.first_seen_at, e.first_seen_at AS event_first_seen_at,
                  (SELECT min(p.published_at) FROM event_posts ep JOIN posts p ON p.id = ep.post_id
                    WHERE ep.event_id = i.event_id) AS first_post_at
             FROM incidents i LEFT JOIN events e ON e.id = i.event_id
            WHERE i.id = $1""",
        incident_id,
    )
    return row["first_seen_at"], row["event_first_seen_at"], row["first_post_at"]
