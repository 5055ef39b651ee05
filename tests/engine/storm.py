"""A deterministic storm of incidents and responder actions, replayed step by step in simulated time."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from monitor.config.responders import Responders
from monitor.engine.lifecycle import ActionError, record_action
from tests.engine.helpers import open_incident

URL = "https://www.yunjiang.gov.cn/xxgk/{n}.html"


@dataclass
class Storm:
    """What happens at each step: incidents to open, actions to take (by incident ordinal)."""

    step_s: float
    steps: int
    opens: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    actions: dict[int, list[tuple[int, str, str, dict[str, Any]]]] = field(default_factory=dict)

    def time(self, t0: datetime, step: int) -> datetime:
        return t0 + timedelta(seconds=self.step_s * step)


def make_storm(responders: Responders, *, seed: int, incidents: int, steps: int, step_s: float) -> Storm:
    """Incidents open in bursts during the first fifth; about half get acked, answered or resolved later."""
    rng = random.Random(seed)
    depts = sorted(d.id for d in responders.departments.values() if d.kind == "department")
    storm = Storm(step_s, steps)
    burst_end = max(1, steps // 5)
    for n in range(incidents):
        step = rng.randrange(burst_end) if rng.random() < 0.7 else 0
        lead = rng.choice(depts)
        support = rng.choice([d for d in depts if d != lead])
        kind = "hotline" if rng.random() < 0.2 else "opinion"
        spec = {
            "grade": rng.choice([1, 2, 3, 3, 4, 4]),
            "lead": lead,
            "departments": [(lead, "lead")] + ([(support, "support")] if rng.random() < 0.4 else []),
            "kind": kind,
            "hotline_urgency": rng.choice(["紧急", "一般"]) if kind == "hotline" else None,
        }
        storm.opens.setdefault(step, []).append(spec)
        later = rng.random()
        duty = f"{lead}.duty"
        if later < 0.5:
            ack_at = step + rng.randrange(1, 12)
            storm.actions.setdefault(ack_at, []).append((n, "ack", duty, {}))
        if later < 0.3:
            at = step + rng.randrange(5, steps // 2)
            if spec["grade"] <= 2:
                storm.actions.setdefault(at, []).append(
                    (n, "statement", f"{lead}.head", {"url": URL.format(n=n)})
                )
            else:
                storm.actions.setdefault(at, []).append((n, "respond", f"{lead}.head", {"text": f"答复{n}"}))
        elif later < 0.4:
            at = step + rng.randrange(5, steps // 2)
            storm.actions.setdefault(at, []).append((n, "resolve", f"{lead}.head", {"reason": "不实信息"}))
    return storm


async def apply_step(
    pool: asyncpg.Pool, responders: Responders, storm: Storm, step: int, now: datetime, ids: list[int]
) -> None:
    """Open this step's incidents (ordinals in order) and take its actions, each in its own transaction."""
    async with pool.acquire() as conn:
        for spec in storm.opens.get(step, []):
            ids.append(await open_incident(conn, responders, now, **spec))
        for ordinal, action, actor, evidence in storm.actions.get(step, []):
            if ordinal >= len(ids):
                continue
            try:
                async with conn.transaction():
                    await record_action(conn, ids[ordinal], action, actor, now, evidence)
            except ActionError:
                pass


async def drained(conn: asyncpg.Connection, now: datetime) -> bool:
    """Nothing due at `now` is left for the engine, and no unleased message is waiting."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM clocks WHERE next_fire_at <= $1)
                + (SELECT count(*) FROM escalations WHERE next_action_at <= $1)
                + (SELECT count(*) FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1) AS n""",
        now,
    )
    assert row is not None
    return int(row["n"]) == 0


async def engine_facts(pool: asyncpg.Pool) -> dict[str, Any]:
    """What two runs of one storm must share: messages, clock outcomes, the engine's timeline."""
    return {
        # Operator alerts are left out: a kill can legitimately trip the auditor's dead-man's switch
        # (a row stuck while the worker was down), which a run without kills never sees.
        "outbox": sorted(
            r["idem_key"] for r in await pool.fetch("SELECT idem_key FROM outbox WHERE ops_alert_id IS NULL")
        ),
        "clocks": sorted(
            tuple(r)
            for r in await pool.fetch(
                """SELECT incident_id, kind, warnings_fired, breach_rungs,
                          breached_at IS NOT NULL AS breached, satisfied_at, closed_at FROM clocks"""
            )
        ),
        "timeline": sorted(
            (r["incident_id"], r["kind"], r["key"] or "")
            for r in await pool.fetch(
                """SELECT incident_id, kind, detail->>'step_key' AS key FROM timeline
                   WHERE kind <> 'notification'"""
            )
        ),
    }
