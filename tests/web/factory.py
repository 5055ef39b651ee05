"""Test data for the web layer: incidents opened through the engine's hook, posts, heat and sources in SQL."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from monitor.config.responders import Responders
from monitor.engine.lifecycle import on_incident_opened
from monitor.incidents.policy_snapshot import freeze_policy

_seq = itertools.count(1)


async def open_incident(
    pool: asyncpg.Pool,
    responders: Responders,
    now: datetime,
    *,
    title: str,
    grade: int = 3,
    lead: str = "zhujian",
    support: Sequence[str] = (),
    region: str | None = "yunjiang",
    event_id: int | None = None,
    reasons: Sequence[str] = ("测试定级依据",),
) -> int:
    """An incident row as the incidents stage writes it, then the engine's open hook (clocks, chains)."""
    departments = [(lead, "lead"), *((d, "support") for d in support)]
    policy = freeze_policy(responders, grade=grade, kind="opinion", lead=lead, departments=departments)
    async with pool.acquire() as conn, conn.transaction():
        incident_id: int = await conn.fetchval(
            """INSERT INTO incidents (kind, dedup_key, event_id, title, summary, grade, grade_reasons,
                                      topic, region, lead_department, route_reasons, policy, first_seen_at,
                                      opened_at, updated_at)
               VALUES ('opinion', $1, $2, $3, $4, $5, $6, '城乡建设', $7, $8, $9, $10, $11, $11, $11)
               RETURNING id""",
            f"test:{next(_seq)}:{title}",
            event_id,
            title,
            f"{title}（摘要）",
            grade,
            list(reasons),
            region,
            lead,
            [f"属地：{region}", f"主管：{lead}"],
            policy,
            now,
        )
        for dept, role in departments:
            await conn.execute(
                """INSERT INTO incident_departments (incident_id, department_id, role, added_at)
                   VALUES ($1, $2, $3, $4)""",
                incident_id,
                dept,
                role,
                now,
            )
        if event_id is not None:
            await conn.execute("UPDATE events SET incident_id = $1 WHERE id = $2", incident_id, event_id)
        await on_incident_opened(conn, incident_id, now)
    return incident_id


async def ensure_source(conn: asyncpg.Connection, source_id: str, now: datetime, **health: Any) -> None:
    columns = {
        "kind": "feed",
        "name": source_id,
        "region": "yunjiang",
        "url": f"https://example.gov.cn/{source_id}.xml?key=SECRET",
        "interval_s": 300.0,
        "stale_after_s": 7200.0,
        "next_poll_at": now,
        "created_at": now,
        "updated_at": now,
        **health,
    }
    names = ", ".join(columns)
    marks = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    await conn.execute(
        f"INSERT INTO sources (id, {names}) VALUES ($1, {marks}) ON CONFLICT (id) DO NOTHING",
        source_id,
        *columns.values(),
    )


async def event_with_posts(
    pool: asyncpg.Pool, now: datetime, posts: Sequence[dict[str, Any]], heat: Sequence[float] = ()
) -> int:
    """An event with these posts (dicts of posts columns) and a heat series of 15-minute buckets."""
    async with pool.acquire() as conn, conn.transaction():
        await ensure_source(conn, "weibo-test", now, kind="weibo", name="微博关键词")
        event_id: int = await conn.fetchval(
            """INSERT INTO events (title, first_seen_at, last_seen_at, post_count, state, created_at,
                                   updated_at)
               VALUES ('测试事件', $1, $1, $2, '{}'::jsonb, $1, $1) RETURNING id""",
            now,
            len(posts),
        )
        for i, post in enumerate(posts):
            row = {
                "source_id": "weibo-test",
                "source_kind": "weibo",
                "external_id": f"e{event_id}-{i}",
                "url": f"https://m.weibo.cn/detail/{event_id}{i}",
                "author": "网友",
                "author_followers": 1200,
                "published_at": now - timedelta(minutes=30 - i),
                "fetched_at": now,
                "text": "",
                "fingerprint": f"fp{event_id}-{i}",
                "reposts": 10,
                "comments": 20,
                "likes": 30,
                **post,
            }
            names = ", ".join(row)
            marks = ", ".join(f"${n}" for n in range(1, len(row) + 1))
            post_id = await conn.fetchval(
                f"INSERT INTO posts ({names}) VALUES ({marks}) RETURNING id", *row.values()
            )
            await conn.execute(
                """INSERT INTO event_posts (post_id, event_id, how, score, heat, joined_at)
                   VALUES ($1, $2, 'new', 1, 1, $3)""",
                post_id,
                event_id,
                now,
            )
        for i, value in enumerate(heat):
            await conn.execute(
                """INSERT INTO event_heat (event_id, bucket_at, posts, engagement, negative, influential,
                                          heat)
                   VALUES ($1, $2, 1, 1, 0.5, 0, $3)""",
                event_id,
                now - timedelta(minutes=15 * (len(heat) - i)),
                value,
            )
    return event_id
