"""Reads a 专报: an incident's facts, timeline, heat, sources, key accounts, negativity, clocks, actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from monitor.reports.period_data import Names
from monitor.web.timeline import KIND_LABELS, describe, entry_url, folded_timeline

SYSTEM_ACTOR = "system"  # the engine's own steps (opened, clocks, pages) rather than something people did


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline as the console shows it: Chinese label, note, repeated pages folded."""

    at: datetime
    actor: str
    kind: str
    label: str
    note: str
    repeats: int = 1
    last_at: datetime | None = None


def timeline_entries(
    rows: list[tuple[datetime, str, str, dict[str, Any]]], names: Names
) -> list[TimelineEntry]:
    """(at, actor, kind, detail) rows → the console's lines: the same labels and notes, and pages that
    repeat word for word counted on one line (a chain repeating while a clock is breached)."""
    lines = [
        {
            "at": at.isoformat(),
            "actor": actor,
            "kind": kind,
            # the console links the evidence; a printed report spells its address out
            "note": "；".join(
                x
                for x in (describe(kind, detail, names.person_name, names.department), entry_url(detail))
                if x
            ),
        }
        for at, actor, kind, detail in rows
    ]
    return [
        TimelineEntry(
            at=datetime.fromisoformat(e["at"]),
            actor=e["actor"],
            kind=e["kind"],
            label=KIND_LABELS.get(e["kind"], e["kind"]),
            note=e["note"],
            repeats=e["repeats"],
            last_at=datetime.fromisoformat(e["last_at"]) if e["repeats"] > 1 else None,
        )
        for e in folded_timeline(lines)
    ]


@dataclass(frozen=True)
class ClockLine:
    kind: str
    label: str
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    outcome: str  # met | late | breached | closed | running
    seconds_to_evidence: float | None


@dataclass(frozen=True)
class HeatPoint:
    at: datetime
    heat: float
    posts: int
    negative_share: float


@dataclass(frozen=True)
class Account:
    author: str
    followers: int
    verified_type: int | None
    posts: int
    engagement: int


@dataclass
class IncidentReport:
    """Everything a 专报 shows, read in one snapshot."""

    generated_at: datetime
    names: Names
    incident: dict[str, Any]
    departments: list[tuple[str, str]]
    timeline: list[TimelineEntry]
    heat: list[HeatPoint]
    sources: list[tuple[str, str, int]]  # (source name, kind, posts)
    accounts: list[Account]
    posts_total: int
    mean_negative: float | None
    polarity: dict[str, int]
    clocks: list[ClockLine]

    @property
    def actions(self) -> list[TimelineEntry]:
        """What people did (acknowledged, published, held, noted, reassigned); the engine's own steps are
        in the timeline."""
        return [t for t in self.timeline if t.actor != SYSTEM_ACTOR]


_POSTS = """
    SELECT p.id, p.source_id, p.author, p.author_followers, p.author_verified_type,
           p.reposts + p.comments + p.likes AS engagement, a.negative, a.polarity
      FROM posts p
      LEFT JOIN post_analysis a ON a.post_id = p.id
     WHERE p.id IN (SELECT post_id FROM event_posts WHERE event_id = $1
                    UNION SELECT post_id FROM incident_orders WHERE incident_id = $2 AND post_id IS NOT NULL)
"""


async def read_incident_report(
    conn: asyncpg.Connection, incident_id: int, now: datetime, names: Names, top_accounts: int = 10
) -> IncidentReport | None:
    """The 专报 data, or None when there is no such incident."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        row = await conn.fetchrow(
            "SELECT f.*, i.summary, i.grade_reasons, i.route_reasons, i.event_id "
            "FROM v_incident_facts f JOIN incidents i ON i.id = f.incident_id WHERE f.incident_id = $1",
            incident_id,
        )
        if row is None:
            return None
        incident = dict(row)
        departments = [
            (r["department_id"], r["role"])
            for r in await conn.fetch(
                "SELECT department_id, role FROM incident_departments WHERE incident_id = $1 "
                "ORDER BY role = 'lead' DESC, added_at, department_id",
                incident_id,
            )
        ]
        timeline = timeline_entries(
            [
                (r["at"], r["actor"], r["kind"], r["detail"] if isinstance(r["detail"], dict) else {})
                for r in await conn.fetch(
                    "SELECT at, actor, kind, detail FROM timeline "
                    "WHERE incident_id = $1 AND kind <> 'post_joined' ORDER BY at, id",
                    incident_id,
                )
            ],
            names,
        )
        heat = [
            HeatPoint(r["bucket_at"], float(r["heat"]), r["posts"], float(r["negative_share"]))
            for r in await conn.fetch(
                "SELECT bucket_at, heat, posts, negative_share FROM v_event_heat WHERE event_id = $1 "
                "ORDER BY bucket_at",
                incident["event_id"],
            )
        ]
        posts = await conn.fetch(_POSTS, incident["event_id"], incident_id)
        source_rows = await conn.fetch("SELECT id, name, kind FROM sources")
        clocks = [
            ClockLine(
                r["kind"],
                r["label"],
                r["started_at"],
                r["due_at"],
                r["met_at"],
                r["outcome"],
                r["seconds_to_evidence"],
            )
            for r in await conn.fetch(
                "SELECT * FROM clock_outcomes($1) WHERE incident_id = $2 ORDER BY started_at, due_at",
                now,
                incident_id,
            )
        ]
    source_names = {r["id"]: (r["name"] or r["id"], r["kind"]) for r in source_rows}
    per_source: dict[str, int] = {}
    accounts: dict[str, Account] = {}
    polarity: dict[str, int] = {"negative": 0, "neutral": 0, "positive": 0}
    negatives: list[float] = []
    for p in posts:
        per_source[p["source_id"]] = per_source.get(p["source_id"], 0) + 1
        if p["polarity"] is not None:
            polarity[p["polarity"]] = polarity.get(p["polarity"], 0) + 1
            negatives.append(float(p["negative"]))
        author = p["author"] or "（匿名）"
        prev = accounts.get(author)
        accounts[author] = Account(
            author=author,
            followers=max(p["author_followers"] or 0, prev.followers if prev else 0),
            verified_type=p["author_verified_type"] if prev is None else prev.verified_type,
            posts=(prev.posts if prev else 0) + 1,
            engagement=(prev.engagement if prev else 0) + int(p["engagement"]),
        )
    sources = sorted(
        ((*source_names.get(sid, (sid, "")), n) for sid, n in per_source.items()), key=lambda s: (-s[2], s[0])
    )
    key_accounts = sorted(accounts.values(), key=lambda a: (-a.followers, -a.engagement, a.author))
    return IncidentReport(
        generated_at=now,
        names=names,
        incident=incident,
        departments=departments,
        timeline=timeline,
        heat=heat,
        sources=sources,
        accounts=key_accounts[:top_accounts],
        posts_total=len(posts),
        mean_negative=sum(negatives) / len(negatives) if negatives else None,
        polarity=polarity,
        clocks=clocks,
    )
