"""Applies escalation and clock decisions: state, timeline and outbox rows, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from monitor.engine import store
from monitor.engine.clocks import ClockEvent
from monitor.engine.decisions import ChainStep, Decision, step_key
from monitor.engine.store import OutboxRow


def chain_of(policy: Mapping[str, Any], department: str) -> tuple[ChainStep, ...]:
    """The frozen chain for one department (empty when the policy has none for it)."""
    raw = (policy.get("chains") or {}).get(department) or []
    return ChainStep.parse_chain(raw)


def ack_hold_s(policy: Mapping[str, Any]) -> float:
    """How long an acknowledgement silences its step before a reminder (the policy's repeat interval)."""
    return float(policy.get("repeat_interval_s") or 3600.0)


def ladder_of(policy: Mapping[str, Any]) -> list[list[str]]:
    """The breach ladder: department head → 分管领导 → government office and press office."""
    return [list(step) for step in policy.get("breach_escalation") or [] if step]


def escalation_rows(
    incident_id: int,
    department: str,
    decision: Decision,
    due: datetime | None,
    context: Mapping[str, Any] | None = None,
) -> tuple[str, list[OutboxRow]]:
    """The step key and outbox rows for a page or reminder decision (`context`: more for the message,
    such as the grades of an upgrade)."""
    key = step_key(incident_id, department, decision.state)
    payload = {
        **(context or {}),
        "event": decision.action,
        "reason": decision.reason,
        "department": department,
        "step": decision.state.step,
        "loop": decision.state.loop_count,
        "attempt": decision.state.attempt,
        "due_at": due.isoformat() if due else None,
    }
    return key, store.rows_for(key, decision.targets, decision.action, incident_id, payload)


@dataclass(frozen=True)
class Plan:
    """Everything one escalation decision writes, so a batch of them goes out in a few round trips."""

    incident_id: int
    department: str
    decision: Decision
    rows: list[OutboxRow]
    entry: tuple[int, datetime, str, str, Mapping[str, Any]] | None


def plan_escalation(
    incident_id: int,
    department: str,
    decision: Decision,
    now: datetime,
    *,
    due: datetime | None,
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> Plan:
    """Pure: the outbox rows and timeline entry for one decision (none unless it pages or reminds)."""
    if decision.action not in ("page", "reminder"):
        return Plan(incident_id, department, decision, [], None)
    key, rows = escalation_rows(incident_id, department, decision, due, context)
    detail = {
        **(context or {}),
        "department": department,
        "action": decision.action,
        "reason": decision.reason,
        "step": decision.state.step,
        "loop": decision.state.loop_count,
        "attempt": decision.state.attempt,
        "targets": list(decision.targets),
        "due_at": due.isoformat() if due else None,
        "step_key": key,
    }
    return Plan(incident_id, department, decision, rows, (incident_id, now, actor, "escalation", detail))


async def apply_plans(conn: asyncpg.Connection, plans: Sequence[Plan], now: datetime) -> None:
    """Persist decisions: state rows, outbox rows and timeline rows, in the caller's transaction."""
    await store.queue(conn, [r for p in plans for r in p.rows], now)
    await store.save_escalations(
        conn,
        [
            (
                p.incident_id,
                p.department,
                p.decision.state,
                p.entry is not None,
                p.decision.reason if p.decision.action == "done" else None,
            )
            for p in plans
        ],
        now,
    )
    await store.timeline_many(conn, [p.entry for p in plans if p.entry is not None])


async def apply_escalation(
    conn: asyncpg.Connection,
    incident_id: int,
    department: str,
    decision: Decision,
    now: datetime,
    *,
    due: datetime | None,
    actor: str = "system",
    context: Mapping[str, Any] | None = None,
) -> list[OutboxRow]:
    """Persist one decision; pages and reminders go to the outbox and the timeline in this transaction."""
    plan = plan_escalation(incident_id, department, decision, now, due=due, actor=actor, context=context)
    await apply_plans(conn, [plan], now)
    return plan.rows


def clock_event_rows(
    incident_id: int,
    clock: Mapping[str, Any],
    event: ClockEvent,
    policy: Mapping[str, Any],
) -> tuple[str, list[OutboxRow]]:
    """Who hears about a clock event: warnings go to every chain's first step; a breach climbs the ladder."""
    cid = clock["id"]
    payload: dict[str, Any] = {
        "event": event.kind,
        "clock_id": cid,
        "clock_kind": clock["kind"],
        "clock_label": clock["label"],
        "due_at": clock["due_at"].isoformat(),
        "scheduled_at": event.scheduled_at.isoformat(),
    }
    targets: list[str] = []
    if event.kind == "warning":
        key = f"clock:{cid}:warn{event.index}"
        fractions = list(clock["warn_at"])
        payload["fraction"] = fractions[event.index] if event.index < len(fractions) else None
        for steps in (policy.get("chains") or {}).values():
            if steps:
                targets.extend(steps[0]["notify"])
    else:
        key = f"clock:{cid}:breach{event.index}"
        ladder = ladder_of(policy)
        payload["rung"] = event.rung
        if ladder:
            targets.extend(ladder[min(event.rung, len(ladder) - 1)])
        if event.kind == "breach":
            lead = (policy.get("chains") or {}).get(str(policy.get("lead")), [])
            if lead:
                targets.extend(lead[0]["notify"])
    if not event.notify or not clock["legal"]:
        return key, []
    return key, store.rows_for(key, targets, event.kind, incident_id, payload)


def clock_timeline(
    incident_id: int,
    clock: Mapping[str, Any],
    event: ClockEvent,
    key: str,
    rows: Sequence[OutboxRow],
    now: datetime,
) -> tuple[int, datetime, str, str, Mapping[str, Any]]:
    """The timeline entry recording that a clock event was processed (paged or not)."""
    detail: dict[str, Any] = {
        "clock_id": clock["id"],
        "clock_kind": clock["kind"],
        "clock_label": clock["label"],
        "legal": clock["legal"],
        "index": event.index,
        "scheduled_at": event.scheduled_at.isoformat(),
        "notified": bool(rows),
        "targets": [r.target for r in rows],
        "step_key": key,
    }
    if event.kind == "warning":
        kind = "clock_warning"
    elif event.kind == "breach":
        kind = "clock_breach" if clock["legal"] else "target_missed"
    else:
        kind = "breach_escalation"
        detail["rung"] = event.rung
    return (incident_id, now, "system", kind, detail)
