"""SQL for a department's on-time record: its statutory clocks met on time, late, breached or running."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def on_time_record(
    conn: asyncpg.Connection, department_id: str, since: datetime, now: datetime
) -> list[dict[str, Any]]:
    """Per clock kind, for clocks started since `since` on incidents this department leads."""
    rows = await conn.fetch(
        """SELECT c.kind, min(c.label) AS label, count(*) AS total,
                  count(*) FILTER (WHERE c.satisfied_at IS NOT NULL AND c.satisfied_at <= c.due_at) AS met,
                  count(*) FILTER (WHERE c.satisfied_at IS NOT NULL AND c.satisfied_at > c.due_at) AS late,
                  count(*) FILTER (WHERE c.satisfied_at IS NULL AND coalesce(c.closed_at, $3) > c.due_at)
                      AS breached,
                  count(*) FILTER (WHERE c.satisfied_at IS NULL AND c.closed_at IS NULL AND c.due_at >= $3)
                      AS running,
                  count(*) FILTER (WHERE c.satisfied_at IS NULL AND c.closed_at <= c.due_at) AS closed,
                  avg(extract(epoch FROM c.satisfied_at - c.started_at))
                      FILTER (WHERE c.satisfied_at IS NOT NULL) AS mean_s
             FROM clocks c JOIN incidents i ON i.id = c.incident_id
            WHERE c.legal AND i.lead_department = $1 AND c.started_at >= $2 AND c.started_at <= $3
            GROUP BY c.kind ORDER BY c.kind""",
        department_id,
        since,
        now,
    )
    return [dict(r) for r in rows]
