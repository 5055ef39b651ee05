"""Test helpers: open incidents the way the incidents module does (insert + on_incident_opened in one tx)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg

from monitor.config.responders import Responders
from monitor.engine.lifecycle import on_incident_opened
from monitor.incidents.policy_snapshot import freeze_policy

if TYPE_CHECKING:
    from monitor.channels.capture import CaptureChannel
    from monitor.clock import FakeClock
    from monitor.engine.tick import Engine
    from monitor.outbox.sender import Sender

_seq = itertools.count(1)


async def open_incident(
    conn: asyncpg.Connection,
    responders: Responders,
    now: datetime,
    *,
    grade: int = 2,
    kind: str = "opinion",
    lead: str = "yingji",
    departments: list[tuple[str, str]] | None = None,
    first_seen: datetime | None = None,
    hotline_urgency: str | None = None,
    title: str = "化工厂爆燃事故引发关注",
    policy_overrides: dict[str, object] | None = None,
) -> int:
    """Insert an incident with a frozen policy and start its clocks and chains, in one transaction."""
    depts = departments or [(lead, "lead")]
    policy = freeze_policy(
        responders, grade=grade, kind=kind, lead=lead, departments=depts, hotline_urgency=hotline_urgency
    )
    policy.update(policy_overrides or {})
    async with conn.transaction():
        iid: int = await conn.fetchval(
            """INSERT INTO incidents (kind, dedup_key, title, summary, grade, lead_department, policy,
                                      first_seen_at, opened_at, updated_at, region)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 'yunjiang') RETURNING id""",
            kind,
            f"test:{next(_seq)}:{now.timestamp()}",
            title,
            "网传某化工厂发生爆燃，现场浓烟，多人受伤。",
            grade,
            lead,
            policy,
            first_seen or now,
            now,
        )
        for dept, role in depts:
            await conn.execute(
                "INSERT INTO incident_departments (incident_id, department_id, role, added_at)"
                " VALUES ($1, $2, $3, $4)",
                iid,
                dept,
                role,
                now,
            )
        await on_incident_opened(conn, iid, now)
    return iid


async def drive(
    pool: asyncpg.Pool,
    clock: FakeClock,
    workers: list[tuple[Engine, Sender]],
    until: datetime,
    *,
    max_steps: int = 20000,
) -> int:
    """Jump the fake clock from one due instant to the next until `until`, running every worker each time."""
    from monitor.engine.tick import next_due

    steps = 0
    while steps < max_steps:
        steps += 1
        now = clock.now()
        for engine, _ in workers:
            await engine.tick(now)
        for _, sender in workers:
            while await sender.send_due(now):
                pass
        async with pool.acquire() as conn:
            due = await next_due(conn)
        if due is None or due > until:
            if clock.now() >= until:
                return steps
            clock.set(until)
            continue
        clock.set(max(due, now + timedelta(milliseconds=1)) if due <= now else due)
    raise AssertionError(f"drive did not reach {until} in {max_steps} steps")


def make_workers(
    pool: asyncpg.Pool,
    clock: FakeClock,
    responders: Responders,
    n: int = 1,
    name: str = "w",
    **sender_kw: object,
) -> tuple[list[tuple[Engine, Sender]], CaptureChannel]:
    """Engines and senders on one pool, every channel kind going to one capture channel."""
    from monitor.channels.capture import CaptureChannel
    from monitor.channels.registry import KINDS, ChannelSet
    from monitor.engine.tick import Engine
    from monitor.links import LinkSigner
    from monitor.outbox.sender import Sender

    capture = CaptureChannel(clock, pool)
    channels = ChannelSet({kind: capture for kind in KINDS})
    links = LinkSigner(b"test-link-secret", "http://127.0.0.1:8080")
    workers = [
        (
            Engine(pool, clock, None, responders),
            Sender(
                pool, clock, responders, channels, links=links, env={}, worker_id=f"{name}{i}", **sender_kw
            ),  # type: ignore[arg-type]
        )
        for i in range(n)
    ]
    return workers, capture


async def delivered_keys(pool: asyncpg.Pool) -> set[str]:
    """Outbox keys that reached their destination: captured themselves, or merged into a captured leader
    (a digest item, or a second target of one step that resolved to the same group)."""
    captured = {r["idem_key"] for r in await pool.fetch("SELECT idem_key FROM captured_notifications")}
    rows = await pool.fetch("SELECT id, idem_key, status, merged_into FROM outbox")
    key_of = {r["id"]: r["idem_key"] for r in rows}
    return {
        r["idem_key"]
        for r in rows
        if r["idem_key"] in captured or (r["status"] == "merged" and key_of.get(r["merged_into"]) in captured)
    }
