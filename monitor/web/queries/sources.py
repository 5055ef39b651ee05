"""SQL for source health, as the sources page and `GET /api/v1/sources` show it."""

from __future__ import annotations

from typing import Any

import asyncpg

_COLUMNS = """id, kind, name, region, url, enabled, state, interval_s, stale_after_s, next_poll_at,
              last_attempt_at, last_success_at, last_new_post_at, consecutive_failures, last_error_kind,
              last_error, last_status, polls_total, posts_total"""


async def source_health(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every source, the troubled ones first."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM sources
            ORDER BY CASE state WHEN 'blocked' THEN 0 WHEN 'failing' THEN 1 WHEN 'stale' THEN 2
                                WHEN 'new' THEN 3 WHEN 'disabled' THEN 5 ELSE 4 END,
                     consecutive_failures DESC, id"""
    )
    return [dict(r) for r in rows]
