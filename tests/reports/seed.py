"""SQL fixtures: a small, fully known city week of sources, posts, events, incidents, clocks and outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 08:00 on 2026-06-01 in Asia/Shanghai
H = timedelta(hours=1)


@dataclass
class Clock:
    kind: str
    hours: float
    met_after_h: float | None = None  # evidence this many hours after the clock started
    label: str = ""


@dataclass
class Incident:
    title: str
    grade: int
    department: str
    region: str
    opened_h: float  # hours after T0
    clocks: list[Clock]
    ack_after_min: float | None = None
    state: str = "open"
    posts: int = 0
    supporting: list[str] = field(default_factory=list)


# The day 2026-06-01 (Asia/Shanghai) holds incidents 1-4; incident 5 opens on 06-03 (same week, other day).
INCIDENTS = [
    Incident(
        "云江化工厂爆炸",
        2,
        "yingji",
        "binjiang",
        1,
        [Clock("statement", 5, 3, "发布权威信息"), Clock("press_conference", 24, 26, "举行新闻发布会")],
        ack_after_min=10,
        state="press_conference_held",
        posts=6,
        supporting=["shengtai"],
    ),
    Incident(
        "老旧小区加装电梯纠纷",
        3,
        "zhujian",
        "binjiang",
        2,
        [Clock("response", 48, 34, "回应关切")],
        ack_after_min=30,
        state="responded",
        posts=4,
    ),
    Incident(
        "工地夜间施工扰民",
        4,
        "zhujian",
        "qingshi-lingang",
        3,
        [Clock("response", 48, None, "回应关切")],
        ack_after_min=None,
        posts=3,
    ),
    Incident(
        "隧道坍塌被困人员",
        1,
        "yingji",
        "qingshi-lingang",
        5,
        [Clock("statement", 5, 6, "发布权威信息"), Clock("press_conference", 24, 15, "举行新闻发布会")],
        ack_after_min=5,
        state="press_conference_held",
        posts=5,
    ),
    Incident(
        "河道污水直排",
        3,
        "shengtai",
        "binjiang",
        58,
        [Clock("response", 48, None, "回应关切")],
        ack_after_min=20,
        posts=2,
    ),
]
NOW = T0 + timedelta(hours=80)  # incident 3's 48 h clock breached at T0+51h; incident 5's is still running


async def seed(conn: asyncpg.Connection) -> dict[str, Any]:
    """Insert the scenario; returns ids by title and the (kind, department) → outcome counts it implies."""
    await conn.execute(
        """INSERT INTO sources (id, kind, name, region, url, interval_s, stale_after_s, next_poll_at, state,
                                last_success_at, consecutive_failures, created_at, updated_at)
           VALUES ('weibo-search', 'weibo', '微博搜索', 'yunjiang', 'https://m.weibo.cn/x', 120, 7200, $1,
                   'ok',
                   $2, 0, $3, $1),
                  ('news-rss', 'feed', '本地新闻', 'yunjiang', 'https://news.example/rss', 300, 3600, $1,
                   'failing', $3, 4, $3, $1)""",
        NOW,
        NOW - timedelta(minutes=3),
        T0 - 24 * H,
    )
    ids: dict[str, int] = {}
    post_no = 0
    for n, inc in enumerate(INCIDENTS, start=1):
        opened = T0 + timedelta(hours=inc.opened_h)
        event_id = await conn.fetchval(
            """INSERT INTO events (title, first_seen_at, last_seen_at, post_count, channels, topic, region,
                                   negative_share, heat, grade, state, created_at, updated_at)
               VALUES ($1, $2, $3, $4, '{weibo,news}', '安全生产', $5, 0.7, $6, $7, '{}'::jsonb, $2, $3)
               RETURNING id""",
            inc.title,
            opened - H,
            opened + 4 * H,
            inc.posts,
            inc.region,
            100.0 * (6 - n),
            inc.grade,
        )
        for b in range(4):  # a four-bucket heat series, rising then falling
            await conn.execute(
                """INSERT INTO event_heat (event_id, bucket_at, posts, engagement, negative, influential,
                                          heat)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)""",
                event_id,
                opened + timedelta(minutes=15 * b),
                b + 1,
                10.0 * (b + 1),
                0.6 * (b + 1),
                b % 2,
                10.0 * n * (1 + min(b, 3 - b)),
            )
        ack = opened + timedelta(minutes=inc.ack_after_min) if inc.ack_after_min is not None else None
        met = {
            c.kind: opened + timedelta(hours=c.met_after_h) for c in inc.clocks if c.met_after_h is not None
        }
        policy = {
            "version": 1,
            "grade": inc.grade,
            "clocks": [{"kind": c.kind, "within_s": c.hours * 3600, "label": c.label} for c in inc.clocks],
        }
        incident_id = await conn.fetchval(
            """INSERT INTO incidents (kind, dedup_key, event_id, title, summary, grade, grade_reasons, state,
                                      topic, region, lead_department, policy, first_seen_at, opened_at,
                                      acknowledged_at, acknowledged_by, statement_at, statement_url,
                                      press_conference_at, responded_at, updated_at)
               VALUES ('opinion', $1, $2, $3, $4, $5, '["heat"]'::jsonb, $6, '安全生产', $7, $8, $9,
                       $10, $11, $12, $13, $14, $15, $16, $17, $11)
               RETURNING id""",
            f"event:{event_id}",
            event_id,
            inc.title,
            f"{inc.title}：网民集中反映。",
            inc.grade,
            inc.state,
            inc.region,
            inc.department,
            policy,
            opened - H,
            opened,
            ack,
            f"{inc.department}.head" if ack else None,
            met.get("statement"),
            "https://gov.example/notice/1" if "statement" in met else None,
            met.get("press_conference"),
            met.get("response"),
        )
        ids[inc.title] = incident_id
        await conn.execute("UPDATE events SET incident_id = $1 WHERE id = $2", incident_id, event_id)
        await conn.execute(
            "INSERT INTO incident_departments VALUES ($1, $2, 'lead', $3)",
            incident_id,
            inc.department,
            opened,
        )
        for dept in inc.supporting:
            await conn.execute(
                "INSERT INTO incident_departments VALUES ($1, $2, 'support', $3)", incident_id, dept, opened
            )
        for c in inc.clocks:
            due = opened + timedelta(hours=c.hours)
            satisfied = met.get(c.kind)
            breached = due if (satisfied is None or satisfied > due) and due <= NOW else None
            await conn.execute(
                """INSERT INTO clocks (incident_id, kind, legal, label, started_at, due_at, satisfied_at,
                                       satisfied_by, satisfied_action, breached_at)
                   VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, $9)""",
                incident_id,
                c.kind,
                c.label,
                opened,
                due,
                satisfied,
                f"{inc.department}.head" if satisfied else None,
                c.kind if satisfied else None,
                breached,
            )
        timeline = [(opened, "system", "opened", {"grade": inc.grade})]
        if ack:
            timeline.append((ack, f"{inc.department}.head", "ack", {}))
        for kind, at in sorted(met.items(), key=lambda kv: kv[1]):
            timeline.append((at, f"{inc.department}.head", kind, {"url": "https://gov.example/notice/1"}))
        for at, actor, kind, detail in timeline:
            await conn.execute(
                "INSERT INTO timeline (incident_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5)",
                incident_id,
                at,
                actor,
                kind,
                detail,
            )
        for p in range(inc.posts):
            post_no += 1
            source = "weibo-search" if p % 2 == 0 else "news-rss"
            post_id = await conn.fetchval(
                """INSERT INTO posts (source_id, source_kind, external_id, url, author, author_followers,
                                      author_verified_type, published_at, fetched_at, title, text, reposts,
                                      comments, likes, fingerprint)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14) RETURNING id""",
                source,
                "weibo" if source == "weibo-search" else "feed",
                f"p{post_no}",
                f"https://example.com/p/{post_no}",
                f"作者{p % 3}",
                1000 * (p + 1),
                1 if p == 0 else -1,
                opened + timedelta(minutes=10 * p),
                f"帖子{post_no}",
                f"{inc.title} 第{p}条 <b>现场</b>",
                p * 10,
                p * 5,
                p * 20,
                f"fp{post_no}",
            )
            await conn.execute(
                """INSERT INTO post_analysis (post_id, negative, polarity, topic, topic_score, analysed_at)
                   VALUES ($1, $2, $3, '安全生产', 0.9, $4)""",
                post_id,
                0.8 if p % 3 else 0.3,
                "negative" if p % 3 else "neutral",
                opened,
            )
            await conn.execute(
                """INSERT INTO event_posts (post_id, event_id, how, score, heat, joined_at)
                   VALUES ($1, $2, 'similar', 0.8, 1.5, $3)""",
                post_id,
                event_id,
                opened,
            )
    await conn.execute(
        """INSERT INTO outbox (idem_key, step_key, incident_id, target, event, status, created_at,
                               next_attempt_at)
           VALUES ('k1', 's1', $1, 'person:yingji.duty', 'page', 'pending', $2, $2),
                  ('k2', 's2', $1, 'person:yingji.head', 'page', 'sent', $3, $3),
                  ('k3', 's3', $1, 'channel:yingji/group', 'warning', 'sending', $4, $4)""",
        ids[INCIDENTS[0].title],
        NOW - timedelta(minutes=10),
        NOW - 2 * H,
        NOW - timedelta(minutes=2),
    )
    await conn.execute(
        """INSERT INTO ops_alerts (kind, subject, message, dedup_key, raised_at, last_seen_at)
           VALUES ('source_stale', 'news-rss', '信源超时', 'stale:news-rss', $1, $1)""",
        NOW - H,
    )
    return {"ids": ids}


def expected_outcomes() -> dict[tuple[str, str], dict[str, int]]:
    """(department, clock kind) → counts of met / late / breached / running at NOW, computed in Python."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for inc in INCIDENTS:
        opened = T0 + timedelta(hours=inc.opened_h)
        for c in inc.clocks:
            due = opened + timedelta(hours=c.hours)
            if c.met_after_h is not None:
                outcome = "met" if c.met_after_h <= c.hours else "late"
            else:
                outcome = "breached" if due <= NOW else "running"
            bucket = out.setdefault(
                (inc.department, c.kind), {"met": 0, "late": 0, "breached": 0, "running": 0}
            )
            bucket[outcome] += 1
    return out
