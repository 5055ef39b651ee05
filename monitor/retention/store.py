"""PostgreSQL side of retention: one bounded batch of old events without an incident, and a dry count.

Kept whatever their age: events with an incident (and so their posts, analysis, heat and bursts, which the
专报 and the audit rest on), the incidents' own rows, and posts that carry a 12345 work order (official
records: such a post stays with its analysis, only its membership of the deleted event goes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

# Old events that no incident rests on.
_DOOMED = """SELECT e.id FROM events e
             WHERE e.last_seen_at < $1 AND e.incident_id IS NULL
               AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.event_id = e.id)"""
# Members of some events ({events}: a query of their ids) that are not a 12345 work order's post.
_PLAIN_MEMBERS = """SELECT ep.post_id FROM event_posts ep
                    WHERE ep.event_id IN ({events})
                      AND NOT EXISTS (SELECT 1 FROM hotline_orders h WHERE h.post_id = ep.post_id)
                      AND NOT EXISTS (SELECT 1 FROM incident_orders o WHERE o.post_id = ep.post_id)"""
LOCK_TIMEOUT = "10s"  # how long a batch waits for the grouping lock before trying again at its next pass


@dataclass(frozen=True)
class Pruned:
    """What one batch (or a dry count) covers."""

    events: int = 0
    posts: int = 0

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(self.events + other.events, self.posts + other.posts)


async def prune_batch(
    conn: asyncpg.Connection, before: datetime, limit: int, *, lock_timeout: str = LOCK_TIMEOUT
) -> Pruned:
    """Delete up to `limit` old events without an incident, with their posts; in the caller's transaction.

    It holds the grouping lock meanwhile, so no grouping batch can join a post to an event on its way out.
    """
    await conn.execute("SELECT set_config('lock_timeout', $1, true)", lock_timeout)
    await conn.execute("SELECT 1 FROM grouping_state WHERE id = 1 FOR UPDATE")
    ids = [r["id"] for r in await conn.fetch(f"{_DOOMED} ORDER BY e.last_seen_at LIMIT $2", before, limit)]
    if not ids:
        return Pruned()
    # post_analysis, event_posts and event_signatures of these posts go with them (ON DELETE CASCADE)
    members = _PLAIN_MEMBERS.format(events="SELECT unnest($1::bigint[])")
    posts = await conn.fetch(f"DELETE FROM posts WHERE id IN ({members}) RETURNING 1", ids)
    # what is left of the events: the kept 12345 posts' memberships and fingerprints, the heat and bursts
    await conn.execute(
        """DELETE FROM event_signatures s USING event_posts ep
           WHERE ep.event_id = ANY($1::bigint[]) AND s.post_id = ep.post_id""",
        ids,
    )
    for table in ("event_posts", "event_heat", "event_bursts"):
        await conn.execute(f"DELETE FROM {table} WHERE event_id = ANY($1::bigint[])", ids)
    await conn.execute("DELETE FROM events WHERE id = ANY($1::bigint[])", ids)
    return Pruned(len(ids), len(posts))


async def pending(conn: asyncpg.Connection, before: datetime) -> Pruned:
    """What pruning everything older than `before` would delete now (for `yuqing prune --dry-run`)."""
    row = await conn.fetchrow(
        f"""SELECT (SELECT count(*) FROM ({_DOOMED}) d) AS events,
                   (SELECT count(*) FROM ({_PLAIN_MEMBERS.format(events=_DOOMED)}) m) AS posts""",
        before,
    )
    return Pruned(int(row["events"]), int(row["posts"]))
