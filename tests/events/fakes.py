"""Test doubles shared by tests/events and tests/incidents: a rule-based analyser, posts, recording hooks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from monitor.config.responders import Responders
from monitor.incidents.lifecycle import EngineHooks

NEGATIVE = ("爆炸", "污染", "推诿", "停水", "死亡", "受伤", "坍塌", "异味", "投诉", "欠薪", "愤怒")
HAZARDS = ("爆炸", "坍塌", "泄漏", "中毒", "火灾")
TOPICS = {
    "化工": "安全生产/应急",
    "爆炸": "安全生产/应急",
    "停水": "水务",
    "物业": "城乡建设",
    "欠薪": "劳动和社会保障",
}


@dataclass
class Severity:
    deaths: int = 0
    injured: int = 0
    missing: int = 0
    casualty_grade: int | None = None
    hazards: tuple[str, ...] = ()
    official_account: bool = False
    media_account: bool = False
    urgent: bool = False


@dataclass
class Analysis:
    negative: float
    polarity: str
    topic: str
    topic_score: float
    department: str | None
    region: str | None
    severity: Severity
    explain: dict[str, Any] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()


class RuleAnalyzer:
    """Deterministic stand-in for monitor.text: keyword negativity, topic, region aliases and casualties."""

    def __init__(self, responders: Responders) -> None:
        self.aliases = sorted(
            ((alias, r.id) for r in responders.regions.values() for alias in (r.name, *r.aliases)),
            key=lambda a: -len(a[0]),
        )
        # the responders' keywords and department names, as monitor.text finds them
        self.words = sorted(
            {w for d in responders.departments.values() for w in (*d.keywords, d.name, d.short_name) if w}
        )
        self.calls = 0

    def analyze(
        self,
        text: str,
        *,
        region_hint: str | None = None,
        author_verified_type: int | None = None,
        hotline_urgency: str | None = None,
    ) -> Analysis:
        self.calls += 1
        if "POISON" in text:
            raise RuntimeError("analyser crashed on this post")
        neg = 0.9 if any(w in text for w in NEGATIVE) else 0.1
        topic = next((t for k, t in TOPICS.items() if k in text), "其他")
        region = next((rid for alias, rid in self.aliases if alias in text), region_hint)
        deaths = sum(int(n) for n in re.findall(r"死亡(\d+)人", text))
        sev = Severity(
            deaths=deaths,
            hazards=tuple(h for h in HAZARDS if h in text),
            official_account=author_verified_type == 1,
            urgent=hotline_urgency == "紧急",
        )
        polarity = "negative" if neg > 0.5 else "neutral"
        said = tuple(w for w in self.words if w in text)
        return Analysis(neg, polarity, topic, 0.8, None, region, sev, {"rules": True}, said)


class BatchRuleAnalyzer(RuleAnalyzer):
    """The same rules behind monitor.text's batch entry point (`analyze_many`)."""

    def __init__(self, responders: Responders) -> None:
        super().__init__(responders)
        self.batches: list[int] = []

    def analyze_many(self, items: list[Any]) -> list[Analysis]:
        self.batches.append(len(items))
        return [
            self.analyze(
                i.text,
                region_hint=i.region_hint,
                author_verified_type=i.author_verified_type,
                hotline_urgency=i.hotline_urgency,
            )
            for i in items
        ]


@dataclass
class RecordingHooks:
    """Engine hooks that record their calls and check they run inside the caller's transaction."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def hooks(self) -> EngineHooks:
        async def opened(conn: asyncpg.Connection, incident_id: int, now: datetime) -> None:
            assert conn.is_in_transaction()
            self.calls.append(("opened", incident_id, now))

        async def graded(
            conn: asyncpg.Connection, incident_id: int, old: int, new: int, now: datetime
        ) -> None:
            assert conn.is_in_transaction()
            self.calls.append(("graded", incident_id, old, new, now))

        async def reassign(
            conn: asyncpg.Connection,
            incident_id: int,
            lead: str,
            actor: str,
            reason: str,
            now: datetime,
            r: Responders,
        ) -> int | None:
            await conn.execute("UPDATE incidents SET lead_department = $2 WHERE id = $1", incident_id, lead)
            await conn.execute(
                """INSERT INTO incident_departments (incident_id, department_id, role, added_at)
                   VALUES ($1, $2, 'lead', $3)
                   ON CONFLICT (incident_id, department_id) DO UPDATE SET role = 'lead'""",
                incident_id,
                lead,
                now,
            )
            row_id: int = await conn.fetchval(
                """INSERT INTO timeline (incident_id, at, actor, kind, detail)
                   VALUES ($1, $2, $3, 'reassign', $4) RETURNING id""",
                incident_id,
                now,
                actor,
                {"to": lead, "reason": reason},
            )
            self.calls.append(("reassign", incident_id, lead, actor))
            return row_id

        return EngineHooks(opened, graded, reassign)


async def ensure_sources(pool: asyncpg.Pool, now: datetime) -> None:
    for sid, kind in (("weibo-kw", "weibo"), ("news", "feed"), ("wechat", "feed"), ("hotline", "hotline")):
        await pool.execute(
            """INSERT INTO sources (id, kind, interval_s, stale_after_s, next_poll_at, created_at, updated_at)
               VALUES ($1, $2, 300, 7200, $3, $3, $3) ON CONFLICT DO NOTHING""",
            sid,
            kind,
            now,
        )


_SOURCE_KIND = {"weibo-kw": "weibo", "news": "feed", "wechat": "feed", "hotline": "hotline"}


async def insert_post(
    pool: asyncpg.Pool,
    external_id: str,
    text: str,
    published: datetime,
    *,
    source: str = "weibo-kw",
    **cols: Any,
) -> int:
    """One post as ingestion would store it (not yet analysed)."""
    await ensure_sources(pool, published)
    extra = dict(cols.pop("extra", {}))
    if source in ("news", "wechat"):
        extra.setdefault("flavor", source)
    values = {
        "source_id": source,
        "source_kind": _SOURCE_KIND[source],
        "external_id": external_id,
        "published_at": published,
        "fetched_at": published,
        "text": text,
        "fingerprint": f"fp-{external_id}",
        "extra": extra,
        **cols,
    }
    names = list(values)
    marks = ", ".join(f"${i + 1}" for i in range(len(names)))
    post_id: int = await pool.fetchval(
        f"INSERT INTO posts ({', '.join(names)}) VALUES ({marks}) RETURNING id", *values.values()
    )
    return post_id
