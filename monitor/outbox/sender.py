"""The sender: claims outbox rows with a lease, sends them per destination, and records every attempt."""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from monitor.channels.base import ChannelError, Destination, Notice, permanent, transient
from monitor.channels.registry import ChannelSet
from monitor.clock import Clock
from monitor.config.responders import Responders
from monitor.engine import store as engine_store
from monitor.links import LinkSigner
from monitor.metrics import Metrics
from monitor.outbox import store
from monitor.outbox.render import RenderContext, build_notice, digest
from monitor.outbox.retry import Failure, Outcome, RetryPolicy, after_failure
from monitor.outbox.routes import resolve

log = logging.getLogger(__name__)

_FENCE = "id = $1 AND status = 'sending' AND leased_by = $2 AND attempts = $3"


@dataclass
class _Leases:
    """The rows one pass holds, and when their leases were last extended."""

    held: set[int]
    renewed_at: datetime
    lock: asyncio.Lock


@dataclass
class _Job:
    row: Mapping[str, Any]
    routes: list[Destination]
    dest: Destination
    notice: Notice


def same_step(jobs: Sequence[_Job]) -> dict[str, list[_Job]]:
    """Jobs for one destination grouped by escalation step, in order: each group is one message."""
    units: dict[str, list[_Job]] = {}
    for job in jobs:
        units.setdefault(str(job.row["step_key"]), []).append(job)
    return units


class Sender:
    """Any number of senders may run; a row is sent by whoever holds its lease."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        responders: Responders,
        channels: ChannelSet,
        *,
        links: LinkSigner | None = None,
        metrics: Metrics | None = None,
        env: Mapping[str, str] | None = None,
        worker_id: str = "",
        batch: int = 200,
        lease_s: float = 60.0,
        retry: RetryPolicy | None = None,
        digest_min: int = 4,
        concurrency: int = 8,
        send_timeout: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.responders = responders
        self.channels = channels
        self.metrics = metrics
        self.env = dict(os.environ if env is None else env)
        self.worker_id = worker_id or f"sender:{os.getpid()}:{id(self):x}"
        self.batch = batch
        self.lease_s = lease_s
        self.retry = retry or RetryPolicy()
        self.digest_min = digest_min
        self.send_timeout = send_timeout
        self.rng = rng or random.Random()
        self.semaphore = asyncio.Semaphore(concurrency)
        people = {pid: p.name for pid, (_, p) in responders.people.items()}
        names = {d.id: d.display_name for d in responders.departments.values()}
        self.ctx = RenderContext(people, names, links)

    async def run_once(self) -> int:
        """One pass at the injected clock's time (the worker's Job)."""
        return await self.send_due(self.clock.now())

    async def send_due(self, now: datetime) -> int:
        """Claim what is due, send grouped by destination, finish each row; returns rows handled."""
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                rows = await store.claim(conn, now, self.lease_s, self.worker_id, self.batch)
            if not rows:
                return 0
            incidents, clocks = await store.context(
                conn, [r["incident_id"] for r in rows if r["incident_id"]]
            )
        groups: dict[str, list[_Job]] = {}
        for row in rows:
            routes = resolve(self.responders, row["target"], self.env)
            if row["route"] >= len(routes):
                await self._fail(row, now, f"no delivery route for {row['target']} (route {row['route']})")
                continue
            dest = routes[row["route"]]
            incident = incidents.get(row["incident_id"]) if row["incident_id"] else None
            try:
                notice = build_notice(row, incident, clocks.get(row["incident_id"], []), dest, now, self.ctx)
            except Exception as exc:  # one bad row must not hold up the others
                log.exception("cannot render outbox row %s", row["id"])
                await self._fail(row, now, f"cannot render: {type(exc).__name__}")
                continue
            groups.setdefault(dest.key, []).append(_Job(row, routes, dest, notice))
        plans = await asyncio.gather(*(self._plan(jobs, now) for jobs in groups.values()))
        todo = [(dest, batch) for dest, batches in plans for batch in batches]
        if todo:
            async with self.pool.acquire() as conn:
                attempt_ids = await store.start_attempts(
                    conn, [(j.row["id"], d.key, d.kind) for d, batch in todo for j in batch], self.clock.now()
                )
            by_row = dict(zip((j.row["id"] for _, batch in todo for j in batch), attempt_ids, strict=True))
            leases = _Leases({int(r["id"]) for r in rows}, now, asyncio.Lock())
            await asyncio.gather(
                *(self._send_all(dest, batches, by_row, leases) for dest, batches in plans if batches)
            )
        return len(rows)

    async def _plan(self, jobs: list[_Job], now: datetime) -> tuple[Destination, list[list[_Job]]]:
        """How one destination's rows go out: singles, one digest, or (over its rate limit) later."""
        dest = jobs[0].dest
        # One message per step reaches a destination even when several targets of that step resolve to it
        # (a duty officer whose first contact is the department group, and the group itself).
        units = list(same_step(jobs).values())
        merge = len(units) >= self.digest_min
        if dest.rate_per_minute:
            wanted = 1 if merge else len(units)
            async with self.pool.acquire() as conn:
                granted = await store.reserve(conn, dest.key, dest.rate_per_minute, wanted, now)
                if granted == 0:
                    until = await store.window_reopens(conn, dest.key, dest.rate_per_minute, now)
                    await self._shed(conn, jobs, until)
                    return dest, []
            if granted < wanted:  # spend the budget: singles, then one digest of the rest in the last slot
                return dest, [*units[: granted - 1], [j for u in units[granted - 1 :] for j in u]]
        return dest, [[j for u in units for j in u]] if merge and len(units) > 1 else units

    async def _send_all(
        self, dest: Destination, batches: list[list[_Job]], attempt_of: dict[int, int], leases: _Leases
    ) -> None:
        """One destination's requests, in order."""
        for batch in batches:
            await self._send_batch(batch, dest, [attempt_of[j.row["id"]] for j in batch], leases)

    async def _still_held(self, leases: _Leases) -> set[int]:
        """Renew the pass's leases once a quarter of the lease has gone by, so a long pass (robots timing out,
        many destinations) keeps its rows; rows already taken over by another worker drop out."""
        async with leases.lock:
            now = self.clock.now()
            if leases.held and (now - leases.renewed_at).total_seconds() >= self.lease_s / 4:
                async with self.pool.acquire() as conn:
                    until = now + timedelta(seconds=self.lease_s)
                    leases.held = await store.renew(conn, sorted(leases.held), self.worker_id, until)
                leases.renewed_at = now
            return leases.held

    async def _send_batch(
        self, batch: list[_Job], dest: Destination, attempt_ids: list[int], leases: _Leases
    ) -> None:
        channel = self.channels.get(dest.kind)
        t0 = self.clock.monotonic()
        error: ChannelError | None = None
        try:
            if channel is None:
                raise permanent(f"no channel implementation for {dest.kind!r}", "config")
            async with self.semaphore:
                held = await self._still_held(leases)
                lost = [a for j, a in zip(batch, attempt_ids, strict=True) if j.row["id"] not in held]
                if lost:
                    log.warning(
                        "%d outbox rows passed to another sender before sending; not sent here", len(lost)
                    )
                    async with self.pool.acquire() as conn:
                        await store.abandon_attempts(conn, lost)
                    keep = [(j, a) for j, a in zip(batch, attempt_ids, strict=True) if j.row["id"] in held]
                    if not keep:
                        return
                    batch, attempt_ids = [j for j, _ in keep], [a for _, a in keep]
                notice = batch[0].notice
                distinct = [unit[0].notice for unit in same_step(batch).values()]
                if len(distinct) > 1:
                    notice = digest(distinct, dest, f"digest:{dest.key}:{batch[0].row['id']}")
                await asyncio.wait_for(channel.send(notice, dest), self.send_timeout)
        except ChannelError as exc:
            error = exc
        except TimeoutError:
            error = transient("send timed out")
        except Exception as exc:  # a bug in one channel must not stop the others
            log.exception("channel %s failed unexpectedly", dest.kind)
            error = transient(f"unexpected {type(exc).__name__}")
        elapsed = max(0.0, self.clock.monotonic() - t0)
        await self._finish(batch, dest, error, attempt_ids, elapsed)

    async def _finish(
        self,
        batch: Sequence[_Job],
        dest: Destination,
        error: ChannelError | None,
        attempt_ids: Sequence[int],
        elapsed: float,
    ) -> None:
        """Record the outcome of one request for every row it carried, in one statement."""
        now = self.clock.now()
        leader = batch[0].row["id"]
        done: list[store.Finished] = []
        attempts: list[tuple[int, str, str | None]] = []
        entries = []
        for job, attempt_id in zip(batch, attempt_ids, strict=True):
            row = job.row
            if error is None:
                outcome = "sent"
                done.append(
                    store.Finished(
                        row["id"], row["attempts"], "sent" if row["id"] == leader else "merged", row["route"],
                        row["route_attempts"], row["route_failing_since"], row["next_attempt_at"], now,
                        dest.key, leader if len(batch) > 1 else None, None, None,
                    )
                )  # fmt: skip
            else:
                failure = Failure(
                    retryable=error.retryable,
                    retry_after=error.retry_after,
                    route=row["route"],
                    routes=len(job.routes),
                    route_attempts=row["route_attempts"] + 1,
                    failing_since=row["route_failing_since"],
                    created_at=row["created_at"],
                )
                result = after_failure(self.retry, failure, now, self.rng.random())
                outcome = (
                    "failed" if result.status == "failed" else "retry" if error.retryable else "permanent"
                )
                if outcome != "retry" or result.fell_back:
                    _log_gave_up(job, dest, error, result)
                done.append(
                    store.Finished(
                        row["id"], row["attempts"], result.status, result.route, result.route_attempts,
                        result.failing_since, result.next_attempt_at, None, None, None, error.reason[:500],
                        error.kind,
                    )
                )  # fmt: skip
            attempts.append((attempt_id, outcome, error.reason[:500] if error else None))
            self._count(dest, outcome, row, now)
            if row["incident_id"] is not None:
                entries.append(self._timeline(row, dest, outcome, error, len(batch) > 1, now))
        async with self.pool.acquire() as conn:
            await store.finish(conn, self.worker_id, done, attempts, elapsed, entries)

    def _timeline(
        self,
        row: Mapping[str, Any],
        dest: Destination,
        outcome: str,
        error: ChannelError | None,
        merged: bool,
        now: datetime,
    ) -> tuple[int, datetime, str, str, Mapping[str, Any]]:
        detail = {
            "outbox_id": row["id"],
            "step_key": row["step_key"],
            "target": row["target"],
            "event": row["event"],
            "channel": dest.kind,
            "dest": dest.label or dest.key,
            "outcome": outcome,
            "error": error.reason[:300] if error else None,
            "attempt": row["attempts"],
            "route": row["route"],
            "digest": merged,
        }
        return (int(row["incident_id"]), now, "system", "notification", detail)

    def _count(self, dest: Destination, outcome: str, row: Mapping[str, Any], now: datetime) -> None:
        if self.metrics is None:
            return
        self.metrics.notifications.labels(dest.kind, outcome).inc()
        if outcome == "sent":
            age = (now - row["created_at"]).total_seconds()
            self.metrics.delivery_seconds.labels(dest.kind).observe(max(0.0, age))

    async def _shed(self, conn: asyncpg.Connection, jobs: Sequence[_Job], until: datetime) -> None:
        """The destination is at its rate limit (no request made, so not an attempt). A person moves on to
        their next contact at once; a group's messages wait for the window and then go as one digest."""
        moved = [
            j for j in jobs if j.row["target"].startswith("person:") and j.row["route"] + 1 < len(j.routes)
        ]
        waiting = [j for j in jobs if j not in moved]
        await conn.executemany(
            f"""UPDATE outbox SET status = 'pending', next_attempt_at = $4, attempts = attempts - 1,
                       lease_until = NULL WHERE {_FENCE}""",
            [(j.row["id"], self.worker_id, j.row["attempts"], until) for j in waiting],
        )
        await conn.executemany(
            f"""UPDATE outbox SET status = 'pending', route = route + 1, route_attempts = 0,
                       route_failing_since = NULL, next_attempt_at = $4, attempts = attempts - 1,
                       lease_until = NULL, last_error = $5, last_error_kind = 'throttled' WHERE {_FENCE}""",
            [
                (
                    j.row["id"],
                    self.worker_id,
                    j.row["attempts"],
                    self.clock.now(),
                    f"{j.dest.key} at its rate limit",
                )
                for j in moved
            ],
        )

    async def _fail(self, row: Mapping[str, Any], now: datetime, reason: str) -> None:
        """A row that cannot be sent at all (no route in the current config, or unrenderable)."""
        log.warning("%s not sent: %s; giving up", _about(row), reason)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"""UPDATE outbox SET status = 'failed', lease_until = NULL, last_error = $4,
                           last_error_kind = 'config' WHERE {_FENCE}""",
                row["id"],
                self.worker_id,
                row["attempts"],
                reason,
            )
            if row["incident_id"] is not None:
                dest = Destination(kind="none", key=row["target"])
                err = permanent(reason, "config")
                await engine_store.timeline_many(conn, [self._timeline(row, dest, "failed", err, False, now)])
        if self.metrics is not None:
            self.metrics.notifications.labels("none", "failed").inc()


def _about(row: Mapping[str, Any]) -> str:
    """Which message a log line is about: the incident (or the outbox row of an operator alert) and event."""
    what = f"incident {row['incident_id']}" if row["incident_id"] is not None else f"outbox row {row['id']}"
    return f"{row['event']} message for {what}"


def _log_gave_up(job: _Job, dest: Destination, error: ChannelError, result: Outcome) -> None:
    """A route given up on, at WARNING for the service log: the message, the destination's label (masked;
    never its URL or secret), the reason, and what happens next."""
    how = "failed" if not error.retryable else "kept failing"
    if result.status == "failed":
        then = "giving up: not delivered"
    else:
        then = f"falling back to {job.routes[result.route].label or job.routes[result.route].kind}"
    label = dest.label or dest.kind
    log.warning("%s to %s (%s) %s: %s; %s", _about(job.row), label, dest.kind, how, error.reason, then)
