"""Incident lifecycle hooks: open, regrade and responder actions, each inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from monitor.engine import store
from monitor.engine.actions import ACTIONS, ActionResult, record_action
from monitor.engine.calendar import WorkCalendar
from monitor.engine.clocks import DEFAULT_RUNG_S, ClockState, clock_specs, due_time, next_fire
from monitor.engine.decisions import start
from monitor.engine.evidence import ActionError, MissingEvidence, NotFound, UnknownAction, WrongState
from monitor.engine.paging import apply_escalation, chain_of, ladder_of

__all__ = [
    "ACTIONS",
    "ActionError",
    "ActionResult",
    "MissingEvidence",
    "NotFound",
    "UnknownAction",
    "WrongState",
    "on_grade_changed",
    "on_incident_opened",
    "record_action",
]


def rung_s(policy: Mapping[str, Any]) -> float:
    """Seconds between rungs of the breach ladder."""
    return float(policy.get("breach_step_s") or DEFAULT_RUNG_S)


def repeat_s(policy: Mapping[str, Any]) -> float:
    """Seconds between repeats (top breach rung; ack hold)."""
    return float(policy.get("repeat_interval_s") or 3600.0)


async def _incident(conn: asyncpg.Connection, incident_id: int) -> asyncpg.Record:
    inc = await conn.fetchrow(
        "SELECT id, policy, first_seen_at, opened_at, lead_department FROM incidents"
        " WHERE id = $1 FOR NO KEY UPDATE",
        incident_id,
    )
    if inc is None:
        raise NotFound(f"incident {incident_id} not found")
    return inc


async def _start_clocks(
    conn: asyncpg.Connection,
    incident_id: int,
    policy: Mapping[str, Any],
    legal_start: datetime,
    other_start: datetime,
) -> list[dict[str, Any]]:
    """Insert the policy's clocks that don't exist yet; returns those started."""
    calendar = WorkCalendar.from_policy(policy.get("calendar") or {})
    ladder = len(ladder_of(policy))
    started: list[dict[str, Any]] = []
    for spec in clock_specs(policy):
        begin = legal_start if spec.legal else other_start
        due = due_time(spec, begin, calendar)
        state = ClockState(begin, due, spec.warn_at, 0, 0, ladder if spec.legal else 0)
        if await store.insert_clock(
            conn, incident_id, spec, begin, due, next_fire(state, rung_s(policy), repeat_s(policy))
        ):
            started.append(
                {
                    "kind": spec.kind,
                    "label": spec.label,
                    "legal": spec.legal,
                    "started_at": begin.isoformat(),
                    "due_at": due.isoformat(),
                }
            )
    return started


async def on_incident_opened(conn: asyncpg.Connection, incident_id: int, now: datetime) -> None:
    """Start the clocks and every department's chain, and queue the first pages (idempotent)."""
    inc = await _incident(conn, incident_id)
    policy = inc["policy"]
    first_seen = policy.get("start_from") == "first_seen"
    legal_start = inc["first_seen_at"] if first_seen else inc["opened_at"]
    started = await _start_clocks(conn, incident_id, policy, legal_start, inc["opened_at"])
    if started:
        await store.timeline(
            conn,
            incident_id,
            now,
            "system",
            "clocks_started",
            {"reason": "opened", "start_from": policy.get("start_from", "opened"), "clocks": started},
        )
    existing = {
        r["department_id"]
        for r in await conn.fetch("SELECT department_id FROM escalations WHERE incident_id = $1", incident_id)
    }
    for department in policy.get("chains") or {}:
        if department in existing:
            continue
        decision = start(chain_of(policy, department), now)
        await apply_escalation(conn, incident_id, department, decision, now, due=now)


async def on_grade_changed(
    conn: asyncpg.Connection, incident_id: int, old_grade: int, new_grade: int, now: datetime
) -> None:
    """Clocks new to the re-frozen policy start now (Ⅲ→Ⅱ starts 5 h/24 h); an upgrade re-pages every chain."""
    inc = await _incident(conn, incident_id)
    policy = inc["policy"]
    started = await _start_clocks(conn, incident_id, policy, now, now)
    await store.timeline(
        conn,
        incident_id,
        now,
        "system",
        "clocks_started" if started else "regraded_clocks",
        {"reason": "regrade", "old_grade": old_grade, "new_grade": new_grade, "clocks": started},
    )
    # The ladder may have changed length: recompute when each running clock next fires.
    await conn.execute(
        "UPDATE clocks SET next_fire_at = LEAST(next_fire_at, $2)"
        " WHERE incident_id = $1 AND next_fire_at IS NOT NULL",
        incident_id,
        now,
    )
    rows = {
        r["department_id"]: r
        for r in await conn.fetch("SELECT * FROM escalations WHERE incident_id = $1 FOR UPDATE", incident_id)
    }
    upgrade = new_grade < old_grade
    # An upgrade's pages say so (the grades go with them): the incident is not new to those already paged.
    reason, context = (
        ("regraded", {"old_grade": old_grade, "new_grade": new_grade}) if upgrade else ("opened", None)
    )
    for department in policy.get("chains") or {}:
        row = rows.get(department)
        if row is not None and not upgrade:
            continue
        revision = row["revision"] + 1 if row is not None else 0
        decision = start(chain_of(policy, department), now, revision=revision, reason=reason)
        await apply_escalation(conn, incident_id, department, decision, now, due=now, context=context)


async def on_order_merged(
    conn: asyncpg.Connection, incident_id: int, clock: Mapping[str, Any], order_no: str, now: datetime
) -> None:
    """并单: the order's own limit becomes the incident's 12345 clock, or tightens a later-due one."""
    inc = await _incident(conn, incident_id)
    policy = inc["policy"]
    spec = clock_specs({"clocks": [clock]})[0]
    due = due_time(spec, now, None)
    ladder = len(ladder_of(policy))
    fire = next_fire(ClockState(now, due, spec.warn_at, 0, 0, ladder), rung_s(policy), repeat_s(policy))
    row = {"kind": spec.kind, "label": spec.label, "legal": spec.legal, "due_at": due.isoformat()}
    if await store.insert_clock(conn, incident_id, spec, now, due, fire):
        detail = {
            "reason": "order_merged",
            "order_no": order_no,
            "clocks": [row | {"started_at": now.isoformat()}],
        }
        await store.timeline(conn, incident_id, now, "system", "clocks_started", detail)
        return
    running = await conn.fetchrow(
        """SELECT * FROM clocks WHERE incident_id = $1 AND kind = $2 AND satisfied_at IS NULL
           AND closed_at IS NULL AND breached_at IS NULL FOR UPDATE""",
        incident_id,
        spec.kind,
    )
    if running is None or running["due_at"] <= due:
        return  # the running clock already ends first (or was answered): one reply answers merged orders
    state = ClockState(
        running["started_at"], due, tuple(running["warn_at"]), running["warnings_fired"], 0, ladder
    )
    await conn.execute(
        "UPDATE clocks SET due_at = $2, label = $3, next_fire_at = $4 WHERE id = $1",
        running["id"],
        due,
        spec.label,
        next_fire(state, rung_s(policy), repeat_s(policy)),
    )
    detail = {"order_no": order_no, "from_due_at": running["due_at"].isoformat()}
    await store.timeline(conn, incident_id, now, "system", "clock_tightened", detail | {"clock": row})
