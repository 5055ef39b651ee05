"""After each grouping batch: apply the openings and upgrades its posts caused, log posts, merge orders."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from monitor.config.responders import Responders
from monitor.events.clusterer import Join
from monitor.events.model import EventState, PostIn
from monitor.events.rows import POST_COLUMNS, post_from_record
from monitor.events.summary import event_summary
from monitor.incidents import store
from monitor.incidents.evidence import evidence_detail, is_candidate_evidence
from monitor.incidents.judge import Transition, seen_at
from monitor.incidents.lifecycle import (
    CLOSED_STATES,
    EngineHooks,
    Order,
    merge_order,
    open_incident,
    upgrade_incident,
)
from monitor.incidents.signals import event_heat, route_request


@dataclass
class Outcome:
    """What one batch did to incidents, for metrics, logs and replay output."""

    opened: list[tuple[int, int, int, str]] = field(default_factory=list)  # (incident, event, grade, lead)
    upgraded: list[tuple[int, int, int]] = field(default_factory=list)  # (incident, old, new)
    merged_orders: int = 0
    joined: int = 0
    evidence: int = 0
    grades: dict[int, int | None] = field(default_factory=dict)  # event → incident grade


def _ts(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _join_detail(p: PostIn, j: Join) -> dict[str, Any]:
    return {
        "post_id": p.post_id,
        "source": p.source_id,
        "channel": p.channel,
        "url": p.url,
        "author": p.author,
        "excerpt": (p.title or p.text)[:200],  # what the timeline shows of it
        "how": j.how,
        "score": j.score,
        "published_at": _ts(p.published).isoformat(),
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
    conn: asyncpg.Connection, r: Responders, hooks: EngineHooks, e: EventState, tr: Transition, out: Outcome
) -> store.IncidentRow | None:
    d, at = tr.decision, _ts(tr.at)
    order: Order | None = None
    if d.opens:
        kind, key, reasons = "opinion", f"event:{e.id}", d.reasons_json()
    else:
        p = tr.post
        assert p.hotline_order_no is not None
        order = Order(p.hotline_order_no, p.hotline_urgency, p.post_id)
        kind, key = "hotline", f"hotline:{p.hotline_order_no}"
        reasons = [x.as_json() for x in tr.hotline_reasons] + d.reasons_json()
    heat = event_heat(e, tr.at)
    summary = event_summary(e.post_count, e.channels, heat, e.negative_share)
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
        request=route_request(e, d.grade, hazards=d.hazards, dispatched=kind == "hotline"),
        first_seen=_ts(e.first_seen),
        now=at,
        order=order,
    )
    if opened is None:
        return None
    incident_id, rt = opened
    out.opened.append((incident_id, e.id, d.grade, rt.lead))
    out.joined += await _log_all_members(conn, incident_id, e.id, at)
    row = await store.get_incident(conn, incident_id)
    assert row is not None
    for p in await _special_members(conn, e.id):
        await _member_extras(conn, r, hooks, row, p, at, out, skip_order=order.order_no if order else None)
    return row


async def _member_extras(
    conn: asyncpg.Connection,
    r: Responders,
    hooks: EngineHooks,
    inc: store.IncidentRow,
    p: PostIn,
    now: datetime,
    out: Outcome,
    skip_order: str | None = None,
) -> None:
    if p.hotline_order_no and p.hotline_order_no != skip_order:
        units = tuple(dict.fromkeys(u for u in (p.hotline_unit, *p.hotline_assist) if u))
        order = Order(p.hotline_order_no, p.hotline_urgency, p.post_id, units)
        out.merged_orders += await merge_order(conn, r, hooks, inc.id, order, p.text[:200], now)
    if is_candidate_evidence(r, p, inc.region):
        await store.append(conn, inc.id, "candidate_evidence", evidence_detail(p), now)
        out.evidence += 1


async def apply_events(
    conn: asyncpg.Connection,
    r: Responders,
    hooks: EngineHooks,
    events: dict[int, EventState],
    joins: list[Join],
    posts: dict[int, PostIn],
    transitions: list[Transition],
    now: datetime,
) -> Outcome:
    """Open and upgrade at the moment each deciding post was seen; log every post on an incident."""
    out = Outcome()
    with_incident = [i for i, e in events.items() if e.incident_id is not None]
    existing = await store.incidents_for_events(conn, with_incident) if with_incident else {}
    opened_now: set[int] = set()
    for tr in sorted(transitions, key=lambda x: x.at):
        e = events[tr.event_id]
        inc = existing.get(e.id)
        if tr.kind == "open" and inc is None:
            inc = await _open(conn, r, hooks, e, tr, out)
            if inc is not None:
                existing[e.id] = inc
                opened_now.add(e.id)
        elif inc is not None and inc.state not in CLOSED_STATES and tr.decision.grade < inc.grade:
            new = tr.decision.grade
            request = route_request(e, new, hazards=tr.decision.hazards, dispatched=inc.kind == "hotline")
            await upgrade_incident(conn, r, hooks, inc, new, tr.decision.reasons_json(), request, _ts(tr.at))
            out.upgraded.append((inc.id, inc.grade, new))
            existing[e.id] = replace(inc, grade=new)
    for e in events.values():
        inc = existing.get(e.id)
        e.opening = False
        e.incident_id, e.grade = (inc.id, inc.grade) if inc else (None, None)
        out.grades[e.id] = e.grade
    joined_rows: list[tuple[int, str, dict[str, Any], datetime]] = []
    t_now = now.timestamp()
    for j in joins:
        inc = existing.get(j.event_id)
        if inc is None or j.event_id in opened_now:
            continue  # posts of an incident opened in this batch were logged when it opened
        p = posts[j.post_id]
        at = _ts(seen_at(p, t_now))
        joined_rows.append((inc.id, "post_joined", _join_detail(p, j), at))
        await _member_extras(conn, r, hooks, inc, p, at, out)
    await store.append_many(conn, joined_rows)
    out.joined += len(joined_rows)
    return out
