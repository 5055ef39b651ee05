"""Escalation engine under load: lateness p99 with 1,000 and 10,000 open incidents; first-notification p99.

Prints one JSON document. Real time (SystemClock) against an embedded PostgreSQL, for N = 1,000 and then
10,000 (each in a fresh process and database: the growth figure):
  * N incidents are opened through `on_incident_opened` (clocks, chains, first pages), their first pages
    marked delivered, then their next chain steps and clock warnings are re-timed to fall due across a
    one-minute window;
  * the engine job (0.5 s interval, at once again when busy, woken when its next row falls due) and the
    sender job (0.2 s) run as in a worker; the baseline, the same run at the largest size with the engine
    woken only by its interval (as before the due-time wakeup);
    lateness = the instant the tick that fired a row returned (its messages committed) minus its due time;
  * then, with the N incidents still open, a 紧急 12345 incident is opened every 0.5 s and timed from the
    start of its opening transaction to its first message at the capture channel. The HTTP intake and the
    analysis/grouping pipeline are not in this measurement (bench/intake_bench.py has them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import machine, rss_mb, run_in_child, summary
from monitor.channels.base import Destination, Notice
from monitor.channels.capture import CaptureChannel
from monitor.channels.registry import KINDS, ChannelSet
from monitor.clock import SystemClock
from monitor.config.responders import Responders, load_responders
from monitor.db.embedded import start_embedded
from monitor.db.migrate import migrate
from monitor.db.pool import connect, create_pool
from monitor.engine.lifecycle import on_incident_opened
from monitor.engine.tick import Engine
from monitor.incidents.policy_snapshot import freeze_policy
from monitor.links import LinkSigner
from monitor.metrics import Metrics
from monitor.outbox.sender import Sender
from monitor.worker import Job, run_jobs

ROOT = Path(__file__).resolve().parent.parent


class TimedCapture(CaptureChannel):
    """Capture in memory, noting when the first message for each incident arrived."""

    first: dict[int, float]

    async def send(self, notice: Notice, dest: Destination) -> None:
        await super().send(notice, dest)
        ids = [i.incident_id for i in notice.items] or [notice.incident_id]
        now = time.monotonic()
        for iid in ids:
            if iid is not None:
                self.first.setdefault(iid, now)


async def open_one(
    conn: asyncpg.Connection, r: Responders, now: datetime, n: int, *, grade: int, kind: str, lead: str
) -> int:
    policy = freeze_policy(
        r, grade=grade, kind=kind, lead=lead, departments=[(lead, "lead")], hotline_urgency="紧急"
    )
    async with conn.transaction():
        iid: int = await conn.fetchval(
            """INSERT INTO incidents (kind, dedup_key, title, summary, grade, lead_department, policy,
                                      first_seen_at, opened_at, updated_at)
               VALUES ($1, $2, $3, '', $4, $5, $6, $7, $7, $7) RETURNING id""",
            kind,
            f"bench:{n}",
            f"压测事件{n}",
            grade,
            lead,
            policy,
            now,
        )
        await on_incident_opened(conn, iid, now)
    return iid


async def populate(pool: asyncpg.Pool, r: Responders, count: int) -> float:
    depts = sorted(d.id for d in r.departments.values() if d.kind == "department")
    rng = random.Random(1)
    started = time.monotonic()
    now = datetime.now(UTC)
    queue = list(range(count))

    async def worker() -> None:
        async with pool.acquire() as conn:
            while queue:
                n = queue.pop()
                await open_one(conn, r, now, n, grade=rng.choice([1, 2, 3, 4]), kind="opinion",
                               lead=rng.choice(depts))  # fmt: skip

    await asyncio.gather(*(worker() for _ in range(6)))
    await pool.execute("UPDATE outbox SET status = 'sent', sent_at = $1", now)
    return time.monotonic() - started


async def retime(pool: asyncpg.Pool, start: datetime, window_s: float) -> None:
    """Every chain's next step and every legal clock's next warning fall due inside the window."""
    await pool.execute(
        """UPDATE escalations
           SET next_action_at = $1::timestamptz + make_interval(secs => random() * $2::float8)
           WHERE next_action_at IS NOT NULL""",
        start,
        window_s,
    )
    await pool.execute(
        """UPDATE clocks SET started_at = t - (due_at - started_at) * warn_at[1],
                             due_at = t + (due_at - started_at) * (1 - warn_at[1]), next_fire_at = t
           FROM (SELECT id AS cid, $1::timestamptz + make_interval(secs => random() * $2::float8) AS t
                 FROM clocks) x
           WHERE id = cid AND legal AND cardinality(warn_at) > 0""",
        start,
        window_s,
    )


async def run(count: int, window_s: float, probes: int, wake_on_due: bool = True) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-engine-bench-"))
    server = start_embedded(tmp / "pgdata")
    try:
        conn = await connect(server.uri)
        await migrate(conn)
        await conn.close()
        pool = await create_pool(server.uri, min_size=4, max_size=12)
        r = load_responders(ROOT / "responders")
        setup_s = await populate(pool, r, count)
        clock = SystemClock()
        metrics = Metrics()
        capture = TimedCapture(clock)
        capture.first = {}
        channels = ChannelSet({kind: capture for kind in KINDS})
        engine = Engine(pool, clock, metrics, r)
        sender = Sender(pool, clock, r, channels, links=LinkSigner(b"bench", "http://127.0.0.1:8080"),
                        metrics=metrics, env={}, worker_id="bench")  # fmt: skip
        lateness: list[float] = []

        async def engine_once() -> int:
            report = await engine.tick(clock.now())
            done = clock.now()
            lateness.extend(max(0.0, (done - due).total_seconds()) for due, _ in report.due)
            return report.total

        start = datetime.now(UTC) + timedelta(seconds=3)
        await retime(pool, start, window_s)
        due_rows = await pool.fetchval(
            """SELECT (SELECT count(*) FROM escalations WHERE next_action_at IS NOT NULL)
                    + (SELECT count(*) FROM clocks WHERE next_fire_at <= $1)""",
            start + timedelta(seconds=window_s),
        )
        # Phase A: the storm. The engine and sender run as worker jobs; lateness is measured per fired row.
        stop = asyncio.Event()
        jobs = [
            Job(
                "engine",
                engine_once,
                interval=0.5,
                busy_interval=0.0,
                idle_wait=engine.idle_wait if wake_on_due else None,
            ),
            Job("sender", sender.run_once, interval=0.2, busy_interval=0.0),
        ]
        counted = metrics.notifications

        def delivered() -> float:
            return sum(s.value for s in counted.collect()[0].samples if s.name.endswith("_total")
                       and s.labels.get("outcome") == "sent")  # fmt: skip

        async def storm_then_drain() -> None:
            await asyncio.sleep((start - datetime.now(UTC)).total_seconds() + window_s + 2)
            marks["storm_end"] = time.monotonic()
            marks["sent_at_storm_end"] = delivered()
            marks["backlog_at_storm_end"] = await pool.fetchval(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
            )
            deadline = time.monotonic() + 300
            while await pool.fetchval("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"):
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            marks["drained"] = time.monotonic()
            stop.set()

        marks: dict[str, float] = {"start": time.monotonic()}
        sent_before = delivered()
        await asyncio.gather(run_jobs(jobs, clock, stop), storm_then_drain())
        storm_s = marks["storm_end"] - marks["start"]
        storm_lateness = list(lateness)
        storm_rate = (marks["sent_at_storm_end"] - sent_before) / storm_s

        # Phase B: steady state with the 10,000 incidents open; a 紧急 12345 incident opens every 0.5 s.
        opened: dict[int, float] = {}
        stop = asyncio.Event()

        async def probe() -> None:
            depts = sorted(d.id for d in r.departments.values() if d.kind == "department")
            await asyncio.sleep(1)
            async with pool.acquire() as conn:
                for n in range(probes):
                    t = time.monotonic()
                    iid = await open_one(conn, r, clock.now(), count + n, grade=4, kind="hotline",
                                         lead=depts[n % len(depts)])  # fmt: skip
                    opened[iid] = t
                    await asyncio.sleep(0.5)
            await asyncio.sleep(3)
            stop.set()

        await asyncio.gather(run_jobs(jobs, clock, stop), probe())
        first = [capture.first[i] - t for i, t in opened.items() if i in capture.first]
        tick_count = metrics.engine_tick_seconds.collect()[0].samples
        ticks = next(s.value for s in tick_count if s.name.endswith("_count"))
        await pool.close()
        return {
            "benchmark": "engine",
            "open_incidents": count,
            "engine_woken_when_due": wake_on_due,
            "storm": {
                "due_rows": due_rows,
                "window_s": window_s,
                "engine_ticks": int(ticks),
                "messages_sent_per_s": round(storm_rate, 1),
                "backlog_at_end": marks["backlog_at_storm_end"],
                "drain_s": round(marks["drained"] - marks["storm_end"], 1),
            },
            "escalation_lateness_s": summary(storm_lateness),
            "lateness_target_p99_s": 2.0,
            "open_to_first_notification_s": summary(first),
            "first_notification_target_p99_s": 1.0,
            "probes_delivered": f"{len(first)}/{len(opened)}",
            "setup_s": round(setup_s, 1),
            "note": (
                "lateness: during the storm (every chain step and clock warning of the open incidents "
                "re-timed "
                "into the window), the instant the tick that fired a row returned (messages committed) minus "
                "its due time; real clock; engine job 0.5 s interval"
                + (", woken when its next row falls due" if wake_on_due else ", woken by its interval only")
                + ". First notification: after the storm "
                "drained, with the incidents still open, from the start of the transaction that opens a 紧急 "
                "12345 incident (insert + on_incident_opened) to its first message at the capture channel "
                "via "
                "the sender job (0.2 s interval). HTTP intake, analysis and grouping are not included."
            ),
        }
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def child(count: int, window_s: float, probes: int, wake_on_due: bool = True) -> dict[str, Any]:
    """One size in a fresh process, so its memory figure is its own."""
    result = asyncio.run(run(count, window_s, probes, wake_on_due))
    return result | {"worker_rss_mb": rss_mb()}


def growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    def pick(key: str, field: str) -> list[float]:
        return [r[key][field] for r in results]

    return {
        "open_incidents": [r["open_incidents"] for r in results],
        "due_rows": [r["storm"]["due_rows"] for r in results],
        "escalation_lateness_p99_s": pick("escalation_lateness_s", "p99"),
        "open_to_first_notification_p99_s": pick("open_to_first_notification_s", "p99"),
        "storm_messages_sent_per_s": [r["storm"]["messages_sent_per_s"] for r in results],
        "worker_rss_mb_peak": [r["worker_rss_mb"]["peak"] for r in results],
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_bench")
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 incidents, not 1,000 and 10,000")
    parser.add_argument("--incidents", type=int, help="one size only")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--probes", type=int, default=60)
    args = parser.parse_args()
    sizes = [args.incidents] if args.incidents else [100, 1000] if args.quick else [1000, 10000]
    window, probes = (8.0, 10) if args.quick else (args.window, args.probes)
    results = [run_in_child(child, count, window, probes) for count in sizes]
    baseline = run_in_child(child, sizes[-1], window, probes, False)
    # the largest size is the headline figure; each size also appears in growth_10x_incidents
    out = results[-1] | {
        "baseline_interval_only": {
            k: baseline[k] for k in ("escalation_lateness_s", "open_to_first_notification_s", "storm")
        },
        "growth_10x_incidents": growth(results),
        "machine": machine(),
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
