"""Recent notifications from the outbox, limited to what the person may see."""

from __future__ import annotations

from typing import Any

import asyncpg

from monitor.web.access import Principal

_SELECT = """
SELECT o.id, o.event, o.payload->>'reason' AS reason, o.target, o.status, o.sent_via, o.attempts,
       o.created_at, o.sent_at, o.last_error,
       o.incident_id, i.title AS incident_title, i.grade,
       c.body AS captured_body
FROM outbox o
LEFT JOIN incidents i ON i.id = o.incident_id
LEFT JOIN captured_notifications c ON c.idem_key = o.idem_key
WHERE ($1 OR o.target = $2 OR o.incident_id IN (
          SELECT incident_id FROM incident_departments WHERE department_id = $3))
ORDER BY o.id DESC
LIMIT $4
"""


async def recent_notifications(
    conn: asyncpg.Connection, principal: Principal, limit: int = 100
) -> list[dict[str, Any]]:
    """Newest first; admins and duty officers/observers see all, others their department's and their own."""
    sees_all = principal.role == "admin" or principal.sees_by_region
    rows = await conn.fetch(
        _SELECT, sees_all, f"person:{principal.person_id}", principal.department_id, limit
    )
    return [dict(r) for r in rows]
