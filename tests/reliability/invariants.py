"""What must hold after a soak, read from the database, and the pure check that lists every violation.

`problems(facts)` is a plain function, so `test_invariants_catch_tampering` can prove that each check
fires on a deliberately broken copy of real facts (a duplicate post, a lost order, a re-sent message, …).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from monitor.config.policy import HotlinePolicy
from monitor.incidents.hotline import hotline_open_reasons


@dataclass(frozen=True)
class Message:
    """One outbox row: a message to one destination for one step."""

    key: str
    incident: int | None
    step: str
    target: str
    status: str
    leader: str | None  # for a merged row, the key of the message that carried it


@dataclass(frozen=True)
class ClockRow:
    """One clock, with what the engine recorded of it."""

    id: int
    kind: str
    started: datetime
    due: datetime
    warn_at: tuple[float, ...]
    warnings_fired: int
    breached: bool
    open: bool  # neither satisfied nor closed


@dataclass
class Facts:
    """The end state of one run, frozen at simulated instant `at`."""

    at: datetime
    served: set[tuple[str, str]]  # (source, external id) of every item the feed server and pusher offered
    posts: list[tuple[str, str]]  # as stored, one entry per row
    unprocessed: int  # stored posts not yet analysed or grouped
    must_open: set[str]  # order numbers whose order opens an incident by policy (pure function)
    order_links: list[tuple[str, int, str]]  # (order no, incident, opened|merged)
    incidents_per_event: Counter[int]
    incidents_without_message: list[int]
    outbox: list[Message]
    deliveries: dict[str, int]  # captured idem key → how many times it arrived
    cut_off: set[str]  # idem keys with an attempt a kill interrupted (outcome still 'sending')
    clocks: list[ClockRow]
    engine_due: int = 0  # clocks, chains or messages still due at `at`
    auditor: list[str] = field(default_factory=list)

    @property
    def incidents(self) -> int:
        return sum(self.incidents_per_event.values())


def problems(f: Facts) -> list[str]:
    """Every invariant violation, described; empty when the run was correct."""
    out: list[str] = []
    stored = Counter(f.posts)
    if dup := [k for k, n in stored.items() if n > 1]:
        out.append(f"posts stored more than once: {dup[:5]}")
    if lost := sorted(f.served - set(stored)):
        out.append(f"{len(lost)} served posts never stored: {lost[:5]}")
    if extra := sorted(set(stored) - f.served):
        out.append(f"{len(extra)} stored posts nobody served: {extra[:5]}")
    if f.unprocessed:
        out.append(f"{f.unprocessed} posts never analysed or grouped")
    linked = Counter(no for no, _, _ in f.order_links)
    if twice := [no for no, n in linked.items() if n > 1]:
        out.append(f"orders on more than one incident: {twice[:5]}")
    if missed := sorted(f.must_open - set(linked)):
        out.append(f"{len(missed)} orders that must open an incident are on none: {missed[:5]}")
    if multi := [e for e, n in f.incidents_per_event.items() if n > 1]:
        out.append(f"events with more than one incident: {multi[:5]}")
    if f.incidents_without_message:
        out.append(f"incidents that paged nobody: {f.incidents_without_message[:5]}")
    steps = Counter((m.incident, m.step, m.target) for m in f.outbox)
    if dup_steps := [k for k, n in steps.items() if n > 1]:
        out.append(f"(incident, step, destination) with several messages: {dup_steps[:5]}")
    undelivered = [
        m.key
        for m in f.outbox
        if not (
            (m.status == "sent" and m.key in f.deliveries)
            or (m.status == "merged" and m.leader in f.deliveries)
        )
    ]
    if undelivered:
        out.append(f"{len(undelivered)} due messages not delivered: {undelivered[:5]}")
    keys = {m.key for m in f.outbox}
    if unknown := sorted(set(f.deliveries) - keys):
        out.append(f"deliveries of messages that do not exist: {unknown[:5]}")
    resent = {k for k, n in f.deliveries.items() if n > 1}
    if unexplained := sorted(resent - f.cut_off):
        out.append(f"messages delivered twice without a killed attempt: {unexplained[:5]}")
    late = [
        f"clock {c.id} ({c.kind}): warnings {c.warnings_fired}/{want}, breached {c.breached}/{c.due <= f.at}"
        for c in f.clocks
        if c.open
        and (
            c.warnings_fired != (want := expected_warnings(c.started, c.due, c.warn_at, f.at))
            or c.breached != (c.due <= f.at)
        )
    ]
    if late:
        out.append(f"{len(late)} clocks not fired as due: {late[:5]}")
    if f.engine_due:
        out.append(f"{f.engine_due} clock/chain/message rows still due at {f.at}")
    if f.auditor:
        out.append(f"auditor findings: {f.auditor[:5]}")
    return out


def expected_warnings(started: datetime, due: datetime, warn_at: tuple[float, ...], at: datetime) -> int:
    """Warnings a clock must have fired by `at`: one per fraction of its span already passed (pure)."""
    span = (due - started).total_seconds()
    return sum(1 for frac in warn_at if started + timedelta(seconds=span * frac) <= at)


async def read_facts(
    pool: asyncpg.Pool, at: datetime, served: set[tuple[str, str]], hotline: HotlinePolicy
) -> Facts:
    """The end state, with the pure expectations (orders that must open, clock warnings) computed here."""
    async with pool.acquire() as conn:
        posts = [(r["source_id"], r["external_id"]) for r in await conn.fetch("SELECT * FROM posts")]
        unprocessed = await conn.fetchval(
            "SELECT count(*) FROM posts WHERE analysed_at IS NULL OR grouped_at IS NULL"
        )
        must_open = {
            r["order_no"]
            for r in await conn.fetch(
                "SELECT o.order_no, o.urgency, p.text FROM hotline_orders o JOIN posts p ON p.id = o.post_id"
            )
            if hotline_open_reasons(r["text"], r["urgency"], hotline)
        }
        links = [tuple(r) for r in await conn.fetch("SELECT order_no, incident_id, how FROM incident_orders")]
        per_event = Counter(
            r["event_id"]
            for r in await conn.fetch("SELECT event_id FROM incidents WHERE event_id IS NOT NULL")
        )
        silent = [
            r["id"]
            for r in await conn.fetch(
                """SELECT i.id FROM incidents i
                   WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.incident_id = i.id)"""
            )
        ]
        rows = await conn.fetch(
            "SELECT id, idem_key, incident_id, step_key, target, status, merged_into FROM outbox"
        )
        deliveries = {
            r["idem_key"]: r["deliveries"] for r in await conn.fetch("SELECT * FROM captured_notifications")
        }
        cut_off = {
            r["idem_key"]
            for r in await conn.fetch(
                """SELECT DISTINCT o.idem_key FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id
                   WHERE a.outcome = 'sending'"""
            )
        }
        clocks = await conn.fetch("SELECT * FROM clocks")
        due = await conn.fetchval(
            """SELECT (SELECT count(*) FROM clocks WHERE next_fire_at <= $1)
                    + (SELECT count(*) FROM escalations WHERE next_action_at <= $1)
                    + (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending', 'failed'))""",
            at,
        )
    key_of = {r["id"]: r["idem_key"] for r in rows}
    messages = [
        Message(
            r["idem_key"],
            r["incident_id"],
            r["step_key"],
            r["target"],
            r["status"],
            key_of.get(r["merged_into"]),
        )
        for r in rows
    ]
    clock_rows = [
        ClockRow(
            c["id"],
            c["kind"],
            c["started_at"],
            c["due_at"],
            tuple(c["warn_at"]),
            c["warnings_fired"],
            c["breached_at"] is not None,
            c["satisfied_at"] is None and c["closed_at"] is None,
        )
        for c in clocks
    ]
    return Facts(
        at=at,
        served=served,
        posts=posts,
        unprocessed=unprocessed,
        must_open=must_open,
        order_links=links,  # type: ignore[arg-type]
        incidents_per_event=per_event,
        incidents_without_message=silent,
        outbox=messages,
        deliveries=deliveries,
        cut_off=cut_off,
        clocks=clock_rows,
        engine_due=due,
    )
