"""Reading analysed posts (posts ⋈ post_analysis) into `PostIn` for grouping and incident decisions."""

from __future__ import annotations

from typing import Any

import asyncpg

from monitor.events.model import PostIn, channel_of

POST_COLUMNS = """p.id, p.source_id, p.source_kind, p.external_id, p.url, p.author, p.author_followers,
    p.fetched_at, p.author_verified_type, p.published_at, p.title, p.text, p.reposts, p.comments, p.likes,
    p.region_hint, p.parent_external_id, p.root_external_id, p.extra, p.group_features, a.negative, a.topic,
    a.topic_score, a.department, a.region, a.severity, a.keywords"""


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def hotline_fields(
    source_kind: str, external_id: str, extra: dict[str, Any]
) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
    """(order number, urgency, 承办单位, 协办单位) of a 12345 order; Nones for other posts."""
    if source_kind != "hotline" and extra.get("order_no") is None:
        return None, None, None, ()
    order_no = _text(extra.get("order_no")) or external_id
    assist = extra.get("assist_units")
    units = tuple(u for u in assist if isinstance(u, str) and u) if isinstance(assist, list) else ()
    return order_no, _text(extra.get("urgency")), _text(extra.get("handler_unit")), units


def post_from_record(r: asyncpg.Record) -> PostIn:
    extra: dict[str, Any] = r["extra"] if isinstance(r["extra"], dict) else {}
    severity: dict[str, Any] = r["severity"] if isinstance(r["severity"], dict) else {}
    order_no, urgency, unit, assist = hotline_fields(r["source_kind"], r["external_id"], extra)
    return PostIn(
        post_id=r["id"],
        source_id=r["source_id"],
        channel=channel_of(r["source_kind"], extra),
        external_id=r["external_id"],
        published=r["published_at"].timestamp(),
        seen=r["fetched_at"].timestamp(),
        text=r["text"] or "",
        title=r["title"] or "",
        url=r["url"],
        author=r["author"],
        followers=r["author_followers"],
        verified_type=r["author_verified_type"],
        reposts=r["reposts"],
        comments=r["comments"],
        likes=r["likes"],
        parent_external_id=r["parent_external_id"],
        root_external_id=r["root_external_id"],
        region=r["region"] or r["region_hint"],
        topic=r["topic"],
        topic_score=float(r["topic_score"] or 0.0),
        department=r["department"],
        negative=float(r["negative"] or 0.0),
        severity=severity,
        keywords=tuple(r["keywords"] or ()),
        hotline_order_no=order_no,
        hotline_urgency=urgency,
        hotline_unit=unit,
        hotline_assist=assist,
        prepared=r["group_features"],
    )
