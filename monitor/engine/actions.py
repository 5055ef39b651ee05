"""Responder actions on an incident: validate, update state and evidence, satisfy clocks, log the timeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import asyncpg

from monitor.config.responders import Responders
from monitor.engine import evidence as ev
from monitor.engine import store
from monitor.engine.clocks import SATISFIES
from monitor.engine.decisions import acknowledge, next_action, start
from monitor.engine.evidence import MissingEvidence, NotFound, UnknownAction, WrongState
from monitor.engine.paging import ack_hold_s, apply_escalation, chain_of
from monitor.engine.reassign import former_lead_role, reassigned_policy, supported_policy
from monitor.incidents import store as incident_store

STATE_RANK = {
    "open": 0,
    "acknowledged": 1,
    "statement_published": 2,
    "press_conference_held": 3,
    "responded": 4,
    "resolved": 5,
    "reviewed": 6,
}
CLOSED = ("resolved", "reviewed")


@dataclass(frozen=True)
class ActionResult:
    """What an action did: the new state, whether it changed anything, which clocks it satisfied."""

    incident_id: int
    action: str
    state: str
    changed: bool
    satisfied_clocks: list[str] = field(default_factory=list)
    timeline_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Ctx:
    conn: asyncpg.Connection
    inc: Mapping[str, Any]
    action: str
    actor: str
    now: datetime
    evidence: Mapping[str, Any]
    responders: Responders | None

    @property
    def id(self) -> int:
        return int(self.inc["id"])

    def result(self, changed: bool, state: str | None = None, **kw: Any) -> ActionResult:
        return ActionResult(self.id, self.action, state or self.inc["state"], changed, **kw)


def _advanced(current: str, target: str) -> str:
    return target if STATE_RANK[target] > STATE_RANK[current] else current


def _require_open(ctx: _Ctx) -> None:
    if ctx.inc["state"] in CLOSED:
        raise WrongState(f"incident {ctx.id} is {ctx.inc['state']}; `{ctx.action}` needs an open incident")


async def _seen(ctx: _Ctx, kind: str, match: Mapping[str, Any]) -> bool:
    """True when the timeline already has this action with the same evidence (idempotent repeats)."""
    found = await ctx.conn.fetchval(
        "SELECT 1 FROM timeline WHERE incident_id = $1 AND kind = $2 AND detail @> $3 LIMIT 1",
        ctx.id,
        kind,
        dict(match),
    )
    return found is not None


async def satisfy(
    conn: asyncpg.Connection, incident_id: int, kinds: tuple[str, ...], at: datetime, actor: str, action: str
) -> list[str]:
    """Mark matching open clocks met; when no legal clock is left open, every chain stops."""
    rows = await conn.fetch(
        """UPDATE clocks SET satisfied_at = $3, satisfied_by = $4, satisfied_action = $5, next_fire_at = NULL
           WHERE incident_id = $1 AND kind = ANY($2::text[]) AND satisfied_at IS NULL AND closed_at IS NULL
           RETURNING kind""",
        incident_id,
        list(kinds),
        at,
        actor,
        action,
    )
    open_legal, total = await store.open_legal_clocks(conn, incident_id)
    if rows and total and not open_legal:
        await store.finish_escalations(conn, incident_id, at, "clocks_satisfied")
    return [r["kind"] for r in rows]


async def _update(ctx: _Ctx, sets: str, *args: Any) -> None:
    await ctx.conn.execute(
        f"UPDATE incidents SET {sets}, updated_at = $2 WHERE id = $1", ctx.id, ctx.now, *args
    )


async def _log(ctx: _Ctx, detail: Mapping[str, Any], satisfied: list[str], state: str) -> ActionResult:
    full = {"evidence": ev.public(ctx.evidence), "satisfied": satisfied, "state": state, **detail}
    tid = await store.timeline(ctx.conn, ctx.id, ctx.now, ctx.actor, ctx.action, full)
    return ctx.result(True, state, satisfied_clocks=satisfied, timeline_id=tid, detail=dict(detail))


async def _chains_for(ctx: _Ctx) -> list[asyncpg.Record]:
    """The chains this actor acts for: an explicit department, those naming the person, else all."""
    rows = await ctx.conn.fetch(
        "SELECT * FROM escalations WHERE incident_id = $1 ORDER BY id FOR UPDATE", ctx.id
    )
    dept = ev.text(ctx.evidence, "department", required=False)
    if dept:
        return [r for r in rows if r["department_id"] == dept]
    policy = ctx.inc["policy"]
    person = f"person:{ctx.actor}"
    named = [
        r
        for r in rows
        if any(person in step["notify"] for step in (policy.get("chains") or {}).get(r["department_id"], []))
    ]
    if named:
        return named
    prefix = ctx.actor.split(".", 1)[0]
    same_dept = [r for r in rows if r["department_id"] == prefix]
    return same_dept or list(rows)


async def _ack(ctx: _Ctx) -> ActionResult:
    _require_open(ctx)
    hold = ack_hold_s(ctx.inc["policy"])
    acked: list[str] = []
    for row in await _chains_for(ctx):
        chain_state = store.escalation_state(row)
        if chain_state.done or chain_state.acked:
            continue
        nxt = acknowledge(chain_state, ctx.now, hold)
        await ctx.conn.execute(
            """UPDATE escalations SET acked_at = $2, acked_by = $3, ack_expires_at = $4, next_action_at = $5,
                      force = false, updated_at = $2 WHERE id = $1""",
            row["id"],
            ctx.now,
            ctx.actor,
            nxt.ack_expires_at,
            nxt.next_action_at,
        )
        acked.append(row["department_id"])
    first = ctx.inc["acknowledged_at"] is None
    satisfied = await satisfy(ctx.conn, ctx.id, SATISFIES["ack"], ctx.now, ctx.actor, "ack")
    if not (acked or first or satisfied):
        return ctx.result(False)
    state = _advanced(ctx.inc["state"], "acknowledged")
    await _update(
        ctx,
        "state = $3, acknowledged_at = COALESCE(acknowledged_at, $2),"
        " acknowledged_by = COALESCE(acknowledged_by, $4)",
        state,
        ctx.actor,
    )
    return await _log(ctx, {"departments": acked}, satisfied, state)


async def _statement(ctx: _Ctx) -> ActionResult:
    link = ev.url(
        ctx.evidence, "url", required=True, what="a statement needs the URL of the published information"
    )
    _require_open(ctx)
    if await _seen(ctx, "statement", {"url": link}):
        return ctx.result(False)
    satisfied = await satisfy(ctx.conn, ctx.id, SATISFIES["statement"], ctx.now, ctx.actor, "statement")
    state = _advanced(ctx.inc["state"], "statement_published")
    await _update(
        ctx, "state = $3, statement_at = COALESCE(statement_at, $2), statement_url = $4", state, link
    )
    return await _log(ctx, {"url": link}, satisfied, state)


async def _press_conference(ctx: _Ctx) -> ActionResult:
    held = ev.when(ctx.evidence, "held_at", ctx.now, what="a press conference needs the time it was held")
    place = ev.text(ctx.evidence, "place", required=True, what="a press conference needs the place")
    link = ev.url(ctx.evidence, "url", required=False)
    record = ev.text(ctx.evidence, "record", required=False)
    if not (link or record):
        raise MissingEvidence("a press conference needs evidence: a `url` or a `record`")
    _require_open(ctx)
    if await _seen(ctx, "press_conference", {"held_at": held.isoformat(), "place": place}):
        return ctx.result(False)
    at = min(held, ctx.now)
    satisfied = await satisfy(
        ctx.conn, ctx.id, SATISFIES["press_conference"], at, ctx.actor, "press_conference"
    )
    state = _advanced(ctx.inc["state"], "press_conference_held")
    await _update(ctx, "state = $3, press_conference_at = COALESCE(press_conference_at, $4)", state, at)
    return await _log(ctx, {"held_at": held.isoformat(), "place": place}, satisfied, state)


async def _respond(ctx: _Ctx) -> ActionResult:
    words = ev.text(ctx.evidence, "text", required=False)
    link = ev.url(ctx.evidence, "url", required=False)
    if not (words or link):
        raise MissingEvidence("a response needs its `text` or the `url` where it was published")
    _require_open(ctx)
    given = {k: v for k, v in (("text", words), ("url", link)) if v}
    if await _seen(ctx, "respond", given):
        return ctx.result(False)
    satisfied = await satisfy(ctx.conn, ctx.id, SATISFIES["respond"], ctx.now, ctx.actor, "respond")
    state = _advanced(ctx.inc["state"], "responded")
    await _update(ctx, "state = $3, responded_at = COALESCE(responded_at, $2)", state)
    return await _log(ctx, given, satisfied, state)


async def _resolve(ctx: _Ctx) -> ActionResult:
    reason = ev.text(ctx.evidence, "reason", required=True, what="resolving needs a reason")
    if ctx.inc["state"] == "resolved":
        return ctx.result(False)
    _require_open(ctx)
    unmet = await ctx.conn.fetch(
        """UPDATE clocks SET closed_at = $2, next_fire_at = NULL
           WHERE incident_id = $1 AND satisfied_at IS NULL AND closed_at IS NULL
           RETURNING kind, legal, due_at""",
        ctx.id,
        ctx.now,
    )
    await store.finish_escalations(ctx.conn, ctx.id, ctx.now, "resolved")
    await _update(ctx, "state = 'resolved', resolved_at = $2, resolved_reason = $3", reason)
    closed = [{"kind": r["kind"], "legal": r["legal"], "due_at": r["due_at"].isoformat()} for r in unmet]
    return await _log(ctx, {"reason": reason, "clocks_closed_unmet": closed}, [], "resolved")


async def _reassign(ctx: _Ctx) -> ActionResult:
    dept = ev.text(ctx.evidence, "department", required=True, what="reassigning needs the new `department`")
    reason = ev.text(ctx.evidence, "reason", required=True, what="reassigning needs a reason")
    assert dept is not None
    _require_open(ctx)
    old = ctx.inc["lead_department"]
    if dept == old:
        return ctx.result(False)
    policy = reassigned_policy(ctx.inc, dept, ctx.responders)
    stays = former_lead_role(ctx.inc, ctx.responders)
    await ctx.conn.execute(
        "UPDATE incidents SET lead_department = $2, policy = $3, updated_at = $4 WHERE id = $1",
        ctx.id,
        dept,
        policy,
        ctx.now,
    )
    await incident_store.set_role(ctx.conn, ctx.id, dept, "lead", ctx.now)
    await incident_store.set_role(ctx.conn, ctx.id, old, stays, ctx.now)
    if stays == "informed":  # its chain stops; a coordinating desk keeps being paged until it answers
        await ctx.conn.execute(
            """UPDATE escalations SET next_action_at = NULL, force = false, done_at = $3,
                      done_reason = 'reassigned', updated_at = $3
               WHERE incident_id = $1 AND department_id = $2 AND done_at IS NULL""",
            ctx.id,
            old,
            ctx.now,
        )
    await _page(ctx, dept, policy)
    detail = {"from": old, "to": dept, "reason": reason}
    if stays != "informed":
        detail["from_role"] = stays  # the desk stays to coordinate
    return await _log(ctx, detail, [], ctx.inc["state"])


async def _page(ctx: _Ctx, dept: str, policy: Mapping[str, Any]) -> None:
    """Start the department's chain now: its first step is paged at once (a new revision if it had one)."""
    revision = await ctx.conn.fetchval(
        "SELECT revision + 1 FROM escalations WHERE incident_id = $1 AND department_id = $2", ctx.id, dept
    )
    decision = start(chain_of(policy, dept), ctx.now, revision=revision or 0)
    await apply_escalation(ctx.conn, ctx.id, dept, decision, ctx.now, due=ctx.now, actor=ctx.actor)


async def _add_support(ctx: _Ctx) -> ActionResult:
    """加派协办: one more department supports; its chain starts and pages now. The lead and clocks stay."""
    dept = ev.text(ctx.evidence, "department", required=True, what="adding a department needs `department`")
    reason = ev.text(ctx.evidence, "reason", required=True, what="adding a department needs a reason")
    assert dept is not None
    _require_open(ctx)
    role = await ctx.conn.fetchval(
        "SELECT role FROM incident_departments WHERE incident_id = $1 AND department_id = $2", ctx.id, dept
    )
    if role in ("lead", "support", "coordinator"):  # already paged on this incident
        return ctx.result(False, detail={"department": dept, "role": role})
    policy = supported_policy(ctx.inc, dept, ctx.responders)
    await ctx.conn.execute(
        "UPDATE incidents SET policy = $2, updated_at = $3 WHERE id = $1", ctx.id, policy, ctx.now
    )
    await incident_store.set_role(ctx.conn, ctx.id, dept, "support", ctx.now)
    await _page(ctx, dept, policy)
    detail = {"department": dept, "reason": reason, **({"was": role} if role else {})}
    return await _log(ctx, detail, [], ctx.inc["state"])


async def _note(ctx: _Ctx) -> ActionResult:
    ev.text(ctx.evidence, "text", required=True, what="a note needs `text`")
    return await _log(ctx, {}, [], ctx.inc["state"])


async def _escalate_now(ctx: _Ctx) -> ActionResult:
    _require_open(ctx)
    policy = ctx.inc["policy"]
    forced: list[str] = []
    for row in await _chains_for(ctx):
        chain_state = store.escalation_state(row)
        if chain_state.done:
            continue
        decision = next_action(
            replace(chain_state, force=True), chain_of(policy, row["department_id"]), ctx.now, satisfied=False
        )
        await apply_escalation(
            ctx.conn, ctx.id, row["department_id"], decision, ctx.now, due=ctx.now, actor=ctx.actor
        )
        forced.append(row["department_id"])
    if not forced:
        raise WrongState(f"incident {ctx.id} has no running escalation to advance (every clock is met)")
    return await _log(ctx, {"departments": forced}, [], ctx.inc["state"])


async def _review(ctx: _Ctx) -> ActionResult:
    if ctx.inc["state"] == "reviewed":
        return ctx.result(False)
    if ctx.inc["state"] != "resolved":
        raise WrongState(f"incident {ctx.id} is {ctx.inc['state']}; only a resolved incident can be reviewed")
    await _update(ctx, "state = 'reviewed', reviewed_at = $2")
    return await _log(ctx, {}, [], "reviewed")


_HANDLERS: dict[str, Callable[[_Ctx], Awaitable[ActionResult]]] = {
    "ack": _ack,
    "statement": _statement,
    "press_conference": _press_conference,
    "respond": _respond,
    "resolve": _resolve,
    "reassign": _reassign,
    "add_support": _add_support,
    "note": _note,
    "escalate_now": _escalate_now,
    "review": _review,
}
ACTIONS = tuple(_HANDLERS)


async def record_action(
    conn: asyncpg.Connection,
    incident_id: int,
    action: str,
    actor: str,
    now: datetime,
    evidence: Mapping[str, Any],
    *,
    responders: Responders | None = None,
) -> ActionResult:
    """Apply one action inside the caller's transaction; raises NotFound, WrongState or MissingEvidence."""
    name = action.replace("-", "_")
    handler = _HANDLERS.get(name)
    if handler is None:
        raise UnknownAction(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    inc = await conn.fetchrow("SELECT * FROM incidents WHERE id = $1 FOR NO KEY UPDATE", incident_id)
    if inc is None:
        raise NotFound(f"incident {incident_id} not found")
    return await handler(_Ctx(conn, inc, name, actor, now, evidence, responders))
