"""Opening, upgrading, merging 12345 orders into and reassigning incidents, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from monitor.config.responders import Responders
from monitor.incidents import store
from monitor.incidents.grades import GRADE_COLOURS, GRADE_LABELS
from monitor.incidents.policy_snapshot import freeze_policy, hotline_limits, order_clock
from monitor.incidents.routing import Route, RouteRequest, dispatched_department, route

Opened = Callable[[asyncpg.Connection, int, datetime], Awaitable[None]]
GradeChanged = Callable[[asyncpg.Connection, int, int, int, datetime], Awaitable[None]]
# (conn, incident, new lead, actor, reason, now, responders) → timeline row id
Reassign = Callable[[asyncpg.Connection, int, str, str, str, datetime, Responders], Awaitable[int | None]]
# (conn, incident, clock spec from the frozen policy, order number, now)
OrderMerged = Callable[[asyncpg.Connection, int, dict[str, Any], str, datetime], Awaitable[None]]
# (conn, incident, department, reason, now, responders) → whether it was added (加派协办, paged at once)
AddSupport = Callable[[asyncpg.Connection, int, str, str, datetime, Responders], Awaitable[bool]]
CLOSED_STATES = ("resolved", "reviewed")


@dataclass(frozen=True)
class EngineHooks:
    """The clock engine's entry points, called in the same transaction as the change."""

    opened: Opened
    grade_changed: GradeChanged
    reassign: Reassign
    order_merged: OrderMerged | None = None  # None: merged orders start no clock (tests without the engine)
    add_support: AddSupport | None = None  # None: a merged order's 承办单位 is recorded, not paged


def engine_hooks() -> EngineHooks:
    """The real engine (monitor.engine.lifecycle), imported when first needed."""
    from monitor.engine import lifecycle as engine

    async def reassign_action(
        conn: asyncpg.Connection,
        incident_id: int,
        lead: str,
        actor: str,
        reason: str,
        now: datetime,
        r: Responders,
    ) -> int | None:
        evidence = {"department": lead, "reason": reason}
        result = await engine.record_action(conn, incident_id, "reassign", actor, now, evidence, responders=r)
        return result.timeline_id

    async def add_support_action(
        conn: asyncpg.Connection, incident_id: int, dept: str, reason: str, now: datetime, r: Responders
    ) -> bool:
        evidence = {"department": dept, "reason": reason}
        result = await engine.record_action(
            conn, incident_id, "add_support", "system", now, evidence, responders=r
        )
        return result.changed

    return EngineHooks(
        engine.on_incident_opened,
        engine.on_grade_changed,
        reassign_action,
        engine.on_order_merged,
        add_support_action,
    )


@dataclass(frozen=True)
class Order:
    """A 12345 work order as a post: number, urgency and the post that carried it."""

    order_no: str
    urgency: str | None
    post_id: int | None
    # the units the hotline dispatched it to: its 承办单位, then its 协办单位
    units: tuple[str, ...] = ()


class ReassignError(Exception):
    """改派 refused: the message says why (unknown incident or department, closed, same lead)."""


def route_json(rt: Route, r: Responders) -> dict[str, Any]:
    return {
        "lead": rt.lead,
        "lead_name": r.departments[rt.lead].name,
        "departments": [{"id": d, "role": role} for d, role in rt.departments],
        "region": rt.region,
        "reasons": list(rt.reasons),
        "candidates": list(rt.candidates),
    }


async def open_incident(
    conn: asyncpg.Connection,
    r: Responders,
    hooks: EngineHooks,
    *,
    kind: str,
    dedup_key: str,
    event_id: int | None,
    title: str,
    summary: str,
    grade: int,
    reasons: list[dict[str, Any]],
    request: RouteRequest,
    first_seen: datetime,
    now: datetime,
    order: Order | None = None,
) -> tuple[int, Route] | None:
    """Route, freeze the policy, insert, write 'opened', start the clocks; None if it already exists."""
    rt = route(r, replace(request, grade=grade))
    policy = freeze_policy(
        r,
        grade=grade,
        kind=kind,
        lead=rt.lead,
        departments=list(rt.departments),
        hotline_urgency=order.urgency if order else None,
    )
    incident_id = await store.insert_incident(
        conn,
        kind=kind,
        dedup_key=dedup_key,
        event_id=event_id,
        title=title or "（无标题）",
        summary=summary,
        grade=grade,
        grade_reasons=reasons,
        topic=request.topic,
        route=rt,
        policy=policy,
        hotline_order_no=order.order_no if order else None,
        first_seen_at=first_seen,
        now=now,
    )
    if incident_id is None:
        return None
    detail: dict[str, Any] = {
        "grade": grade,
        "grade_label": GRADE_LABELS[grade],
        "colour": GRADE_COLOURS[grade],
        "reasons": reasons,
        "route": route_json(rt, r),
        "event_id": event_id,
    }
    if order is not None:
        detail["order_no"] = order.order_no
        await store.record_order(
            conn, order.order_no, incident_id, order.post_id, order.urgency, "opened", now
        )
    await store.append(conn, incident_id, "opened", detail, now)
    await hooks.opened(conn, incident_id, now)
    if event_id is not None:
        await store.link_event(conn, event_id, incident_id, grade)
    return incident_id, rt


async def _hotline_urgency(conn: asyncpg.Connection, incident_id: int) -> str | None:
    urgency: str | None = await conn.fetchval(
        "SELECT urgency FROM incident_orders WHERE incident_id = $1 AND how = 'opened'", incident_id
    )
    return urgency


async def upgrade_incident(
    conn: asyncpg.Connection,
    r: Responders,
    hooks: EngineHooks,
    incident: store.IncidentRow,
    new_grade: int,
    reasons: list[dict[str, Any]],
    request: RouteRequest,
    now: datetime,
) -> Route:
    """Raise the grade (never lowers it), bring in the departments the new grade needs, re-freeze, log."""
    if new_grade >= incident.grade:
        raise ValueError(f"not an upgrade: {incident.grade} → {new_grade}")
    rt = route(r, replace(request, grade=new_grade))
    lead = incident.lead
    current = r.departments.get(lead)
    if (
        current is not None
        and current.parent == rt.lead
        and not await store.lead_set_by_person(conn, incident.id)
    ):  # 分级负责: the higher grade moves the lead up to the higher-level office; the local one supports
        why = f"升级为{GRADE_LABELS[new_grade]}，分级负责：由{r.departments[rt.lead].name}牵头"
        await hooks.reassign(conn, incident.id, rt.lead, "system", why, now, r)
        await store.set_role(conn, incident.id, lead, "support", now)
        lead = rt.lead
    wanted = [(d, "support" if role == "lead" else role) for d, role in rt.departments if d != lead]
    added = await store.add_departments(conn, incident.id, wanted, now)
    departments = await store.departments_of(conn, incident.id)
    # the duty desk coordinates a Ⅰ/Ⅱ incident (统筹), even one 改派 had left it informed about
    informed = {d for d, role in departments if role == "informed"}
    promoted = [(d, role) for d, role in wanted if role == "coordinator" and d in informed]
    for d, role in promoted:
        await store.set_role(conn, incident.id, d, role, now)
    if promoted:
        added += promoted
        departments = await store.departments_of(conn, incident.id)
    policy = freeze_policy(
        r,
        grade=new_grade,
        kind=incident.kind,
        lead=lead,
        departments=departments,
        hotline_urgency=await _hotline_urgency(conn, incident.id) if incident.kind == "hotline" else None,
    )
    await store.set_grade(conn, incident.id, new_grade, reasons, policy, now)
    detail = {
        "from": incident.grade,
        "to": new_grade,
        "from_label": GRADE_LABELS[incident.grade],
        "to_label": GRADE_LABELS[new_grade],
        "colour": GRADE_COLOURS[new_grade],
        "reasons": reasons,
        "added_departments": [{"id": d, "role": role} for d, role in added],
    }
    await store.append(conn, incident.id, "graded", detail, now)
    await hooks.grade_changed(conn, incident.id, incident.grade, new_grade, now)
    if incident.event_id is not None:
        await conn.execute("UPDATE events SET grade = $2 WHERE id = $1", incident.event_id, new_grade)
    return rt


async def merge_order(
    conn: asyncpg.Connection,
    r: Responders,
    hooks: EngineHooks,
    incident_id: int,
    order: Order,
    excerpt: str,
    now: datetime,
) -> bool:
    """并单: a further 12345 order on the same matter joins the incident (once per order number) and
    brings its own time limit, taken from the incident's frozen policy."""
    if not await store.record_order(
        conn, order.order_no, incident_id, order.post_id, order.urgency, "merged", now
    ):
        return False
    departments = {u: dispatched_department(r, u) for u in order.units}
    detail: dict[str, Any] = {
        "order_no": order.order_no,
        "post_id": order.post_id,
        "urgency": order.urgency,
        "excerpt": excerpt,
    }
    if order.units:
        detail["units"] = list(order.units)
        unknown = [u for u, d in departments.items() if d is None]
        if unknown:
            detail["unknown_units"] = unknown  # named in the timeline: add them to a department's aliases
    await store.append(conn, incident_id, "merged", detail, now)
    inc = await conn.fetchrow("SELECT policy, state FROM incidents WHERE id = $1", incident_id)
    if inc is None or inc["state"] in CLOSED_STATES:
        return True
    if hooks.order_merged is not None:
        # incidents frozen before limits were part of the snapshot fall back to the current limits
        limits = (inc["policy"] or {}).get("hotline") or hotline_limits(r.policy.hotline)
        clock = order_clock(limits, order.urgency)
        if clock is not None:
            await hooks.order_merged(conn, incident_id, clock, order.order_no, now)
    if hooks.add_support is not None:
        # the hotline made each unit answer for this order: one not yet paged on the incident supports it
        for unit, dept in departments.items():
            if dept is not None:
                reason = f"12345并单：工单{order.order_no}派单至“{unit}”"
                await hooks.add_support(conn, incident_id, dept, reason, now, r)
    return True


async def reassign(
    conn: asyncpg.Connection,
    r: Responders,
    hooks: EngineHooks,
    incident_id: int,
    new_lead: str,
    actor: str,
    reason: str,
    now: datetime,
) -> int | None:
    """改派: move the lead to another department, audited on the timeline; the clocks keep running."""
    incident = await store.get_incident(conn, incident_id)
    if incident is None:
        raise ReassignError(f"no incident {incident_id}")
    if new_lead not in r.departments:
        raise ReassignError(f"unknown department {new_lead!r}")
    if incident.state in CLOSED_STATES:
        raise ReassignError(f"incident {incident_id} is {incident.state}")
    if new_lead == incident.lead:
        raise ReassignError(f"{new_lead} already leads incident {incident_id}")
    if not reason.strip():
        raise ReassignError("a reason is required for 改派")
    return await hooks.reassign(conn, incident_id, new_lead, actor, reason, now, r)
