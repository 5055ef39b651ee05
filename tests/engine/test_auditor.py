"""The auditor is a dead-man's switch: it notices a stopped engine and stands down once it catches up."""

from __future__ import annotations

import asyncpg

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.engine.auditor import Auditor
from monitor.engine.tick import Engine
from monitor.metrics import Metrics
from tests.engine.helpers import make_workers, open_incident


async def test_overdue_and_unprocessed_raises_then_resolves(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    metrics = Metrics()
    auditor = Auditor(pool, clock, metrics)
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=2)
    assert await auditor.audit(clock.now()) == []
    assert metrics.auditor_heartbeat._value.get() == clock.now().timestamp()  # type: ignore[attr-defined]

    clock.advance(hours=5, minutes=5)  # no worker ran: warnings, breach, chain steps and pages are overdue
    kinds = sorted(f.kind for f in await auditor.audit(clock.now()))
    assert kinds == ["clock_overdue", "clock_warning_missed", "escalation_overdue", "outbox_stuck"]
    alerts = await pool.fetch("SELECT kind, severity, message FROM ops_alerts WHERE resolved_at IS NULL")
    assert {a["kind"] for a in alerts} == set(kinds)
    assert any(f"事件#{iid}" in a["message"] and "发布权威信息" in a["message"] for a in alerts)
    await auditor.audit(clock.now())  # repeated findings refresh the same alert rows
    assert await pool.fetchval("SELECT count(*) FROM ops_alerts") == 4

    [(engine, sender)], _ = make_workers(pool, clock, responders)
    await engine.tick(clock.now())
    while await sender.send_due(clock.now()):
        pass
    assert [f.kind for f in await auditor.audit(clock.now())] == []
    assert await pool.fetchval("SELECT count(*) FROM ops_alerts WHERE resolved_at IS NULL") == 0


async def test_stuck_outbox_is_reported(pool: asyncpg.Pool, clock: FakeClock, responders: Responders) -> None:
    async with pool.acquire() as conn:
        await open_incident(conn, responders, clock.now(), grade=3)
    await Engine(pool, clock, None, responders).tick(clock.now())
    clock.advance(minutes=11)  # nobody is sending
    findings = await Auditor(pool, clock).audit(clock.now())
    assert "outbox_stuck" in {f.kind for f in findings}
