"""Sets the DB-derived gauges (open incidents, clocks at risk, outbox, sources, ops alerts) from the DB."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from monitor.incidents.grades import GRADE_NAMES
from monitor.metrics import Metrics

# A clock is "at risk" when less than this share of its time is left (and it is not yet overdue).
AT_RISK_SHARE = 0.2
CLOCK_KINDS = ("statement", "press_conference", "response", "hotline")
_OPEN = "state NOT IN ('resolved', 'reviewed')"


@dataclass
class GaugeSnapshot:
    """Everything the gauges show, read from the database in one pass before any gauge is touched."""

    open_by_department: dict[tuple[str, str], int] = field(default_factory=dict)
    open_by_region: dict[tuple[str, str], int] = field(default_factory=dict)
    clocks_at_risk: dict[str, int] = field(default_factory=dict)
    clocks_overdue: dict[str, int] = field(default_factory=dict)
    outbox_depth: int = 0
    outbox_oldest_age: float = 0.0
    sources: list[asyncpg.Record] = field(default_factory=list)
    ops_alerts: dict[str, int] = field(default_factory=dict)


async def read_snapshot(conn: asyncpg.Connection, now: datetime) -> GaugeSnapshot:
    """One consistent read (REPEATABLE READ) of every gauge's source rows."""
    snap = GaugeSnapshot()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        for r in await conn.fetch(
            f"SELECT grade, lead_department, coalesce(region, '') AS region, count(*) AS n "
            f"FROM incidents WHERE {_OPEN} GROUP BY 1, 2, 3"
        ):
            grade = GRADE_NAMES[r["grade"]]
            key = (grade, r["lead_department"])
            snap.open_by_department[key] = snap.open_by_department.get(key, 0) + r["n"]
            rkey = (grade, r["region"] or "unknown")
            snap.open_by_region[rkey] = snap.open_by_region.get(rkey, 0) + r["n"]
        for r in await conn.fetch(
            """SELECT kind,
                      count(*) FILTER (WHERE due_at > $1
                                         AND due_at - $1 < (due_at - started_at) * $2::float8) AS at_risk,
                      count(*) FILTER (WHERE due_at <= $1) AS overdue
                 FROM v_clock_compliance
                WHERE met_at IS NULL AND closed_at IS NULL AND incident_open
                GROUP BY kind""",
            now,
            AT_RISK_SHARE,
        ):
            snap.clocks_at_risk[r["kind"]] = r["at_risk"]
            snap.clocks_overdue[r["kind"]] = r["overdue"]
        row = await conn.fetchrow(
            "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox "
            "WHERE status IN ('pending', 'sending')"
        )
        if row is not None:
            snap.outbox_depth = row["n"]
            if row["oldest"] is not None:
                snap.outbox_oldest_age = max(0.0, (now - row["oldest"]).total_seconds())
        snap.sources = await conn.fetch(
            """SELECT id, kind, state, stale_after_s, consecutive_failures,
                      greatest(0, extract(epoch FROM $1 - coalesce(last_success_at, created_at)))::float8
                          AS age
                 FROM sources WHERE enabled""",
            now,
        )
        for r in await conn.fetch(
            "SELECT kind, count(*) AS n FROM ops_alerts WHERE resolved_at IS NULL GROUP BY kind"
        ):
            snap.ops_alerts[r["kind"]] = r["n"]
    return snap


def apply_snapshot(metrics: Metrics, snap: GaugeSnapshot, departments: Iterable[str]) -> None:
    """Replace every DB-derived gauge with the snapshot (synchronous: a scrape never sees a half-update)."""
    metrics.incidents_open.clear()
    depts = set(departments) | {d for _, d in snap.open_by_department}
    for grade_name in GRADE_NAMES.values():
        for dept in sorted(depts):
            open_now = snap.open_by_department.get((grade_name, dept), 0)
            metrics.incidents_open.labels(grade_name, dept).set(open_now)
    metrics.incidents_open_by_region.clear()
    for (grade, region), n in snap.open_by_region.items():
        metrics.incidents_open_by_region.labels(grade, region).set(n)
    for kind in sorted(set(CLOCK_KINDS) | set(snap.clocks_at_risk)):
        metrics.clocks_at_risk.labels(kind).set(snap.clocks_at_risk.get(kind, 0))
        metrics.clocks_overdue.labels(kind).set(snap.clocks_overdue.get(kind, 0))
    metrics.outbox_depth.set(snap.outbox_depth)
    metrics.outbox_oldest_age.set(snap.outbox_oldest_age)
    for gauge in (
        metrics.source_healthy,
        metrics.source_failures,
        metrics.source_age,
        metrics.source_stale_after,
    ):
        gauge.clear()
    for r in snap.sources:
        healthy = r["state"] in ("new", "ok", "not_modified")
        metrics.source_healthy.labels(r["id"], r["kind"]).set(1 if healthy else 0)
        metrics.source_failures.labels(r["id"]).set(r["consecutive_failures"])
        metrics.source_age.labels(r["id"]).set(r["age"])
        metrics.source_stale_after.labels(r["id"]).set(r["stale_after_s"])
    metrics.ops_alerts_open.clear()
    for kind, n in snap.ops_alerts.items():
        metrics.ops_alerts_open.labels(kind).set(n)
