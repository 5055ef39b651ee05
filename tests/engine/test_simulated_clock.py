"""A simulated 5-hour clock in milliseconds: warnings, breach, ladder and steps fire on time, once each."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

import asyncpg

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.engine.lifecycle import record_action
from tests.engine.helpers import drive, make_workers, open_incident


async def deliveries(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT o.step_key, o.target, o.event, c.captured_at, c.deliveries
           FROM outbox o JOIN captured_notifications c ON c.idem_key = o.idem_key
           ORDER BY c.captured_at, o.id"""
    )


async def test_five_hour_clock_fires_each_event_once_at_the_right_time(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    started = time.monotonic()
    t0 = clock.now()

    def at(minutes: float) -> datetime:
        return t0 + timedelta(minutes=minutes)

    workers, _ = make_workers(pool, clock, responders)
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, t0, grade=2, lead="yingji")
    await drive(pool, clock, workers, at(5))
    async with pool.acquire() as conn, conn.transaction():
        await record_action(conn, iid, "ack", "yingji.duty", clock.now(), {})
    await drive(pool, clock, workers, at(5 * 60 + 45))
    async with pool.acquire() as conn, conn.transaction():
        await record_action(
            conn, iid, "statement", "yingji.head", clock.now(), {"url": "https://gov.example/s/1"}
        )
    await drive(pool, clock, workers, at(13 * 60))
    elapsed = time.monotonic() - started

    rows = await deliveries(pool)
    assert all(r["deliveries"] == 1 for r in rows), "a message reached a destination twice"
    assert len({(r["step_key"], r["target"]) for r in rows}) == len(rows)
    fired: dict[str, datetime] = {}
    for r in rows:
        fired.setdefault(
            r["step_key"].split(":", 1)[1] if r["step_key"].startswith("esc") else r["step_key"],
            r["captured_at"],
        )
    times = {key: (when - t0).total_seconds() / 60 for key, when in fired.items()}
    ids = {
        r["kind"]: r["id"]
        for r in await pool.fetch("SELECT kind, id FROM clocks WHERE incident_id = $1", iid)
    }
    statement, press = ids["statement"], ids["press_conference"]
    expected = {
        f"clock:{statement}:warn0": 150.0,  # 50 % of 5 h
        f"clock:{statement}:warn1": 240.0,  # 80 %
        f"clock:{statement}:breach0": 300.0,  # breach → department head (+ the group)
        f"clock:{statement}:breach1": 315.0,  # → 分管领导
        f"clock:{statement}:breach2": 330.0,  # → government office and press office
        f"clock:{press}:warn0": 720.0,  # the 24 h clock keeps running after the statement
        f"{iid}:yingji:r0:l0:s0:a0": 0.0,  # first page at open
        f"{iid}:yingji:r0:l0:s0:a1": 65.0,  # ack held for the repeat interval (1 h) → reminder
        f"{iid}:yingji:r0:l0:s1:a0": 75.0,  # reminder unanswered for 10 min → leader
        f"{iid}:yingji:r0:l0:s1:a1": 95.0,  # leader step repeats every 20 min
    }
    for key, minute in expected.items():
        assert times.get(key) == minute, (key, times.get(key))
    # after the statement nothing more from the statement clock; the ladder stopped at its top rung
    assert f"clock:{statement}:breach3" not in times
    assert f"clock:{press}:warn1" not in times
    # the ack stopped re-paging step 0 until its hold expired, and never stopped a clock
    assert not any(k.endswith(":s0:a1") and v < 65 for k, v in times.items())
    counts = Counter(r["step_key"] for r in rows)
    assert counts[f"clock:{statement}:breach2"] >= 4  # the top rung reaches several people and groups
    timeline = await pool.fetch(
        "SELECT kind, detail FROM timeline WHERE incident_id = $1 AND kind LIKE 'clock%' ORDER BY id", iid
    )
    assert [t["kind"] for t in timeline].count("clock_breach") == 1
    assert [t["kind"] for t in timeline].count("clock_warning") == 3
    print(f"simulated 13 h in {elapsed:.2f} s real time; {len(rows)} deliveries")
