"""Reads a 日报/周报 from PostgreSQL: incidents opened, per-department timeliness and the top events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from monitor.reports.period import Period

CLOCK_ORDER = ("statement", "press_conference", "response", "hotline")


@dataclass(frozen=True)
class Names:
    """Display names for department and region ids (from responders/); unknown ids show as themselves."""

    departments: Mapping[str, str] = field(default_factory=dict)
    regions: Mapping[str, str] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)

    def person(self, actor: str) -> str:
        """`邵刚（yingji.head）` for a configured person, 系统 for the engine; unknown actors as they are."""
        name = self.people.get(actor)
        return f"{name}（{actor}）" if name else "系统" if actor == "system" else actor

    def person_name(self, person_id: str) -> str:
        """`邵刚` (the name alone, as a timeline note names who was paged); unknown ids as they are."""
        return self.people.get(person_id, person_id)

    def department(self, dept_id: str) -> str:
        return self.departments.get(dept_id, dept_id)

    def region(self, region_id: str | None) -> str:
        if not region_id:
            return "未定属地"
        return self.regions.get(region_id, region_id)


@dataclass(frozen=True)
class Timeliness:
    """One department's record against one clock kind (department_timeliness in migration 0610)."""

    department: str
    kind: str
    total: int
    met: int
    late: int
    breached: int
    closed: int
    running: int
    on_time_ratio: float | None


@dataclass(frozen=True)
class IncidentLine:
    """An incident opened in the period."""

    incident_id: int
    title: str
    grade: int
    state: str
    department: str
    region: str
    opened_at: datetime


@dataclass(frozen=True)
class TopEvent:
    """A hot event of the period with its heat series (15-minute buckets)."""

    event_id: int
    title: str
    region: str
    posts: int
    negative_share: float
    peak_heat: float
    incident_id: int | None
    grade: int | None
    series: list[tuple[datetime, float]]


@dataclass
class PeriodReport:
    """Everything a 日报/周报 shows; every number comes from these rows."""

    period: Period
    generated_at: datetime
    names: Names
    incidents: list[IncidentLine]
    timeliness: list[Timeliness]
    top_events: list[TopEvent]

    @property
    def by_grade(self) -> dict[int, int]:
        counts = Counter(i.grade for i in self.incidents)
        return {g: counts.get(g, 0) for g in (1, 2, 3, 4)}

    @property
    def by_department(self) -> list[tuple[str, int]]:
        return Counter(i.department for i in self.incidents).most_common()

    @property
    def by_region(self) -> list[tuple[str, int]]:
        return Counter(i.region for i in self.incidents).most_common()


async def _incidents(conn: asyncpg.Connection, period: Period) -> list[IncidentLine]:
    rows = await conn.fetch(
        """SELECT id, title, grade, state, lead_department, coalesce(region, '') AS region, opened_at
             FROM incidents WHERE opened_at >= $1 AND opened_at < $2
            ORDER BY grade, opened_at, id""",
        period.start,
        period.end,
    )
    return [
        IncidentLine(
            r["id"], r["title"], r["grade"], r["state"], r["lead_department"], r["region"], r["opened_at"]
        )
        for r in rows
    ]


async def _timeliness(conn: asyncpg.Connection, period: Period, now: datetime) -> list[Timeliness]:
    rows = await conn.fetch("SELECT * FROM department_timeliness($1, $2, $3)", period.start, period.end, now)
    out = [
        Timeliness(
            r["department"],
            r["kind"],
            r["total"],
            r["met"],
            r["late"],
            r["breached"],
            r["closed"],
            r["running"],
            r["on_time_ratio"],
        )
        for r in rows
    ]
    rank = {k: i for i, k in enumerate(CLOCK_ORDER)}
    return sorted(out, key=lambda t: (t.department, rank.get(t.kind, 99), t.kind))


async def _top_events(conn: asyncpg.Connection, period: Period, limit: int) -> list[TopEvent]:
    rows = await conn.fetch(
        """SELECT e.id, e.title, coalesce(e.region, '') AS region, e.incident_id, e.grade,
                  t.peak, t.posts, t.negative
             FROM (SELECT event_id, max(heat) AS peak, sum(posts) AS posts, sum(negative) AS negative
                     FROM event_heat WHERE bucket_at >= $1 AND bucket_at < $2
                    GROUP BY event_id) t
             JOIN events e ON e.id = t.event_id
            ORDER BY t.peak DESC, e.id
            LIMIT $3""",
        period.start,
        period.end,
        limit,
    )
    ids = [r["id"] for r in rows]
    series: dict[int, list[tuple[datetime, float]]] = {i: [] for i in ids}
    for s in await conn.fetch(
        """SELECT event_id, bucket_at, heat FROM event_heat
            WHERE event_id = ANY($1::bigint[]) AND bucket_at >= $2 AND bucket_at < $3
            ORDER BY event_id, bucket_at""",
        ids,
        period.start,
        period.end,
    ):
        series[s["event_id"]].append((s["bucket_at"], float(s["heat"])))
    return [
        TopEvent(
            event_id=r["id"],
            title=r["title"],
            region=r["region"],
            posts=int(r["posts"]),
            negative_share=float(r["negative"]) / r["posts"] if r["posts"] else 0.0,
            peak_heat=float(r["peak"]),
            incident_id=r["incident_id"],
            grade=r["grade"],
            series=series[r["id"]],
        )
        for r in rows
    ]


async def read_period_report(
    conn: asyncpg.Connection, period: Period, now: datetime, names: Names, top: int = 5
) -> PeriodReport:
    """One consistent snapshot of the period (REPEATABLE READ), with `now` from the injected clock."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        incidents = await _incidents(conn, period)
        timeliness = await _timeliness(conn, period, now)
        top_events = await _top_events(conn, period, top)
    return PeriodReport(period, now, names, incidents, timeliness, top_events)
