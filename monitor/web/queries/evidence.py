"""SQL for what an incident is about: its posts (with their sources) and its event's heat series."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

MAX_POSTS = 200
MAX_HEAT_POINTS = 2000


async def event_now(conn: asyncpg.Connection, incident: Mapping[str, Any]) -> dict[str, Any] | None:
    """The event's figures as they stand (the incident's summary is a snapshot taken when it opened)."""
    if incident["event_id"] is None:
        return None
    row = await conn.fetchrow(
        "SELECT post_count, channels, heat, negative_share, last_seen_at FROM events WHERE id = $1",
        incident["event_id"],
    )
    if row is None:
        return None
    return {
        "posts": row["post_count"],
        "channels": list(row["channels"]),
        "heat": round(float(row["heat"]), 1),
        "negative_share": round(float(row["negative_share"]), 4),
        "last_seen_at": row["last_seen_at"].isoformat(),
    }


async def posts_for(conn: asyncpg.Connection, incident: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The event's posts and the incident's 12345 orders, earliest first, each post once: an order's post that
    is in the event keeps its `how` there (text is returned raw: escape it)."""
    rows = await conn.fetch(
        """SELECT p.id, p.source_id, s.name AS source_name, p.source_kind, p.url, p.author,
                  p.author_followers, p.published_at, p.title, p.text, p.reposts, p.comments, p.likes, m.how
             FROM (SELECT DISTINCT ON (post_id) post_id, how  -- an order that joined the event: once
                     FROM (SELECT post_id, how, 0 AS pref FROM event_posts WHERE event_id = $1
                           UNION ALL
                           SELECT post_id, 'order', 1 FROM incident_orders
                            WHERE incident_id = $2 AND post_id IS NOT NULL) u
                    ORDER BY post_id, pref) m
             JOIN posts p ON p.id = m.post_id
             LEFT JOIN sources s ON s.id = p.source_id
            ORDER BY p.published_at, p.id
            LIMIT $3""",
        incident["event_id"],
        incident["id"],
        MAX_POSTS,
    )
    return [
        {
            "id": r["id"],
            "source": {
                "id": r["source_id"],
                "name": r["source_name"] or r["source_id"],
                "kind": r["source_kind"],
            },
            "url": r["url"],
            "author": r["author"],
            "author_followers": r["author_followers"],
            "published_at": r["published_at"].isoformat(),
            "title": r["title"],
            "text": r["text"],
            "reposts": r["reposts"],
            "comments": r["comments"],
            "likes": r["likes"],
            "how": r["how"],
        }
        for r in rows
    ]


async def heat_for(conn: asyncpg.Connection, incident: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The event's heat per 15-minute bucket (empty for incidents without an event, such as a lone order)."""
    if incident["event_id"] is None:
        return []
    rows = await conn.fetch(
        """SELECT bucket_at, heat, posts FROM (
               SELECT bucket_at, heat, posts FROM event_heat WHERE event_id = $1
                ORDER BY bucket_at DESC LIMIT $2) h
            ORDER BY bucket_at""",
        incident["event_id"],
        MAX_HEAT_POINTS,
    )
    return [{"at": r["bucket_at"].isoformat(), "heat": float(r["heat"]), "posts": r["posts"]} for r in rows]
