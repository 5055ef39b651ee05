"""After each grouping batch: open, upgrade, merge 12345 orders into, and log posts on incidents."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from monitor.config.responders import Responders
from monitor.events.clusterer import Join
from monitor.events.model import EventState, PostIn
from monitor.events.rows import POST_COLUMNS, post_from_record
from monitor.incidents import store
from monitor.incidents.evidence import evidence_detail, is_candidate_evidence
from monitor.incidents.grading import Decision, grade_event, upgrade_to
from monitor.incidents.hotline import hotline_open_reasons
from monitor.incidents.lifecycle import (
    CLOSED_STATES,
    EngineHooks,
    Order,
    merge_order,
    open_incident,
    upgrade_incident,
)
from monitor.incidents.signals import event_heat, route_request, signals_from_event


@dataclass
class Outcome:
    """What one batch did to incidents, for metrics, logs and replay output."""

    opened: list[tuple[int, int, int, str]] = field(default_factory=list)  # (incident, event, grade, lead)
    upgraded: list[tuple[int, int, int]] = field(default_factory=list)  # (incident, old, new)
    merged_orders: int = 0
    joined: int = 0
    evidence: int = 0
    grades: dict[int, int | None] = field(default_factory=dict)  # event → grade to store


def _join_detail(p: PostIn, j: Join | None) -> dict[str, Any]:
    return {
        "post_id": p.post_id,
        "source": p.source_id,
        "channel": p.channel,
        "url": p.url,
        "author": p.author,
        "how": j.how if j else None,
        "score": j.score if j else None,
        "published_at": datetime.fromtimestamp(p.published, UTC).isoformat(),
    }


async def _special_members(conn: asyncpg.Connection, event_id: int) -> list[PostIn]:
    """Members that matter at opening: 12345 orders and government or media accounts."""
    rows = await conn.fetch(
        f"""SELECT {POST_COLUMNS} FROM event_posts ep JOIN posts p ON p.id = ep.post_id
            JOIN post_analysis a ON a.post_id = p.id
            WHERE ep.event_id = $1 AND (p.source_kind = 'hotline' OR p.extra ? 'order_no'
                  OR p.author_verified_type IN (1, 3) OR (a.severity->>'official_account') = 'true')
            ORDER BY p.published_at, p.id""",
        event_id,
    )
    return [post_from_record(r) for r in rows]


async def _log_all_members(conn: asyncpg.Connection, incident_id: int, event_id: int, now: datetime) -> int:
    status: str = await conn.execute(
        """INSERT INTO timeline (incident_id, at, actor, kind, detail)
           SELECT $1, $2, 'system', 'post_joined',
                  jsonb_build_object('post_id', p.id, 'source', p.source_id, 'url', p.url, 'author', p.author,
                                     'how', ep.how, 'score', ep.score, 'published_at', p.published_at)
           FROM event_posts ep JOIN posts p ON p.id = ep.post_id
           WHERE ep.event_id = $3 ORDER BY p.published_at, p.id""",
        incident_id,
        now,
        event_id,
    )
    return int(status.split()[-1])


async def _open(
    conn: asyncpg.Connection,
    r: Responders,
    hooks: EngineHooks,
    e: EventState,
    d: Decision,
    batch: list[PostIn],
    now: datetime,
    out: Outcome,
) -> store.IncidentRow | None:
    hot = [
        (p, why_open)
        for p in batch
        if p.hotline_order_no
        and (why_open := hotline_open_reasons(p.text, p.hotline_urgency, r.policy.hotline))
    ]
    order: Order | None = None
    reasons: list[dict[str, Any]]
    if d.opens:
        kind, key, reasons = "opinion", f"event:{e.id}", d.reasons_json()
    elif hot:
        p, why = hot[0]
        assert p.hotline_order_no is not None
        order = Order(p.hotline_order_no, p.hotline_urgency, p.post_id)
        kind, key = "hotline", f"hotline:{p.hotline_order_no}"
        reasons = [x.as_json() for x in why] + d.reasons_json()
    else:
        return None
    heat = event_heat(e, now.timestamp())
    summary = (
        f"{e.post_count}条 · {'、'.join(sorted(e.channels))} · 热度{heat:.0f} · 负面{e.negative_share:.0%}"
    )
    opened = await open_incident(
        conn,
        r,
        hooks,
        kind=kind,
        dedup_key=key,
        event_id=e.id,
        title=e.title,
        summary=summary,
        grade=d.grade,
        reasons=reasons,
        request=route_request(e, d.grade),
        now=now,
        order=order,
        first_seen=datetime.fromtimestamp(e.first_seen, UTC),
    )
    if opened is None:
        return None
    incident_id, rt = opened
    out.opened.append((incident_id, e.id, d.grade, rt.lead))
    out.joined += await _log_all_members(conn, incident_id, e.id, now)
    row = await store.get_incident(conn, incident_id)
    assert row is not None
    for p in await _special_members(conn, e.id):
        await _member_extras(conn, r, row, p, now, out, skip_order=order.order_no if order else None)
    return row


async def _member_extras(
    conn: asyncpg.Connection,
    r: Responders,
    inc: store.IncidentRow,
    p: PostIn,
    now: datetime,
    out: Outcome,
    skip_order: str | None = None,
) -> None:
    if p.hotline_order_no and p.hotline_order_no != skip_order:
        order = Order(p.hotline_order_no, p.hotline_urgency, p.post_id)
        out.merged_orders += await merge_order(conn, inc.id, order, p.text[:200], now)
    if is_candidate_evidence(r, p, inc.region):
        await store.append(conn, inc.id, "candidate_evidence", evidence_detail(p), now)
        out.evidence += 1


async def apply_events(
    conn: asyncpg.Connection,
    r: Responders,
    hooks: EngineHooks,
    events: list[EventState],
    joins: list[Join],
    posts: dict[int, PostIn],
    now: datetime,
) -> Outcome:
    """Grade every touched event and act on its incident; all inside the grouping transaction."""
    out = Outcome()
    t = now.timestamp()
    g = r.policy.grading
    with_incident = [e.id for e in events if e.incident_id is not None]
    existing = await store.incidents_for_events(conn, with_incident) if with_incident else {}
    by_event: dict[int, list[Join]] = defaultdict(list)
    for j in joins:
        by_event[j.event_id].append(j)
    joined_rows: list[tuple[int, str, dict[str, Any]]] = []
    for e in events:
        d = grade_event(signals_from_event(e, t), g, r.policy.casualty_criteria)
        batch = [posts[j.post_id] for j in by_event.get(e.id, [])]
        inc = existing.get(e.id)
        if inc is None:
            if d.opens or any(p.hotline_order_no for p in batch):
                inc = await _open(conn, r, hooks, e, d, batch, now, out)
            if inc is not None:
                e.incident_id = inc.id
            out.grades[e.id] = inc.grade if inc else (d.grade if d.opens else None)
            continue
        new = upgrade_to(inc.grade, d)
        if new is not None and inc.state not in CLOSED_STATES:
            await upgrade_incident(conn, r, hooks, inc, new, d.reasons_json(), route_request(e, new), now)
            out.upgraded.append((inc.id, inc.grade, new))
        out.grades[e.id] = min(inc.grade, new or inc.grade)
        for j in by_event.get(e.id, []):
            p = posts[j.post_id]
            joined_rows.append((inc.id, "post_joined", _join_detail(p, j)))
            await _member_extras(conn, r, inc, p, now, out)
    await store.append_many(conn, joined_rows, now)
    out.joined += len(joined_rows)
    return out
