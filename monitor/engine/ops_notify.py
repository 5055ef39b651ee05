"""Operator alerts (ops_alerts) become outbox messages to the duty desk, once each."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from monitor.config.responders import Responders
from monitor.engine import store


def duty_desk_targets(responders: Responders) -> list[str]:
    """The duty desk's primary channels (not those only used as a fallback) and its administrators."""
    desk = responders.duty_desk
    fallbacks = {ch.fallback for ch in desk.channels.values() if ch.fallback}
    targets = [f"channel:{desk.id}/{name}" for name in desk.channels if name not in fallbacks]
    targets += [f"person:{p.id}" for p in desk.people if p.role == "admin"]
    if not targets:
        targets = [f"person:{p.id}" for p in desk.people if p.role == "duty_officer"]
    return targets


async def queue_ops_alerts(conn: asyncpg.Connection, responders: Responders, now: datetime) -> int:
    """Claim un-notified open alerts and queue one message per duty-desk target (in the caller's tx)."""
    rows = await conn.fetch(
        """SELECT id, kind, subject, severity, message, raised_at FROM ops_alerts
           WHERE notified_at IS NULL AND resolved_at IS NULL ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED"""
    )
    if not rows:
        return 0
    targets = duty_desk_targets(responders)
    outbox: list[store.OutboxRow] = []
    for r in rows:
        payload = {
            "event": "ops",
            "alert_id": r["id"],
            "alert_kind": r["kind"],
            "subject": r["subject"],
            "severity": r["severity"],
            "message": r["message"],
            "raised_at": r["raised_at"].isoformat(),
        }
        for target in targets:
            outbox.append(
                store.OutboxRow(f"ops:{r['id']}", target, "ops", None, payload, ops_alert_id=r["id"])
            )
    await store.queue(conn, outbox, now)
    await conn.executemany(
        "UPDATE ops_alerts SET notified_at = $2 WHERE id = $1", [(r["id"], now) for r in rows]
    )
    return len(rows)
