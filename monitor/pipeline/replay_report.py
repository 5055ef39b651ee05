"""The replay's JSON: incidents with members, grades over time, routes, clock outcomes, and a summary."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import asyncpg

from monitor.incidents.grades import GRADE_COLOURS, GRADE_LABELS, GRADE_NAMES
from monitor.pipeline.replay import ReplayRun

_KINDS = ("opened", "graded", "reassign", "merged", "candidate_evidence")


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def clock_outcome(row: asyncpg.Record) -> tuple[str, str | None]:
    """met / breached / closed / running, and when it was decided."""
    if row["satisfied_at"] is not None:
        return "met", _iso(row["satisfied_at"])
    if row["breached_at"] is not None:
        return "breached", _iso(row["breached_at"])
    if row["closed_at"] is not None:
        return "closed", _iso(row["closed_at"])
    return "running", None


async def _members(conn: asyncpg.Connection) -> dict[int, list[str]]:
    rows = await conn.fetch(
        """SELECT ep.event_id, p.external_id FROM event_posts ep JOIN posts p ON p.id = ep.post_id
           WHERE ep.event_id IN (SELECT event_id FROM incidents WHERE event_id IS NOT NULL)
           ORDER BY p.published_at, p.id"""
    )
    out: dict[int, list[str]] = defaultdict(list)
    for r in rows:
        out[r["event_id"]].append(r["external_id"])
    return out


def _history(rows: list[asyncpg.Record]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        d = r["detail"]
        if r["kind"] == "opened":
            out["grades"].append(
                {"at": _iso(r["at"]), "grade": GRADE_NAMES[d["grade"]], "reasons": d["reasons"]}
            )
        elif r["kind"] == "graded":
            out["grades"].append(
                {
                    "at": _iso(r["at"]),
                    "grade": GRADE_NAMES[d["to"]],
                    "from": GRADE_NAMES[d["from"]],
                    "reasons": d["reasons"],
                }
            )
        elif r["kind"] == "reassign":
            out["reassignments"].append(
                {
                    "at": _iso(r["at"]),
                    "actor": r["actor"],
                    "from": d.get("from"),
                    "to": d.get("to"),
                    "reason": d.get("reason") or (d.get("evidence") or {}).get("reason"),
                }
            )
        elif r["kind"] == "merged":
            out["merged_orders"].append({"at": _iso(r["at"]), "order_no": d.get("order_no")})
        else:
            out["candidate_evidence"].append({"at": _iso(r["at"]), **d})
    return out


async def build_report(
    pool: asyncpg.Pool, run: ReplayRun, problems: list[str], members_limit: int | None, wall_s: float
) -> dict[str, Any]:
    """Everything the backtest found, read back from the database."""
    async with pool.acquire() as conn:
        incidents = await conn.fetch("SELECT * FROM incidents ORDER BY opened_at, id")
        roles: dict[int, list[dict[str, str]]] = defaultdict(list)
        for r in await conn.fetch("SELECT * FROM incident_departments ORDER BY incident_id, added_at"):
            roles[r["incident_id"]].append({"id": r["department_id"], "role": r["role"]})
        timeline: dict[int, list[asyncpg.Record]] = defaultdict(list)
        for r in await conn.fetch(
            "SELECT * FROM timeline WHERE kind = ANY($1::text[]) ORDER BY id", list(_KINDS)
        ):
            timeline[r["incident_id"]].append(r)
        clocks: dict[int, list[asyncpg.Record]] = defaultdict(list)
        if await conn.fetchval("SELECT to_regclass('clocks') IS NOT NULL"):
            for r in await conn.fetch("SELECT * FROM clocks ORDER BY incident_id, id"):
                clocks[r["incident_id"]].append(r)
        members = await _members(conn)
        events = await conn.fetchrow(
            """SELECT count(*) AS n, count(*) FILTER (WHERE post_count > 1) AS multi,
                      max(post_count) AS biggest FROM events"""
        )
        bursts = await conn.fetchval("SELECT count(*) FROM event_bursts")
    out_incidents = []
    outcomes: Counter[str] = Counter()
    for inc in incidents:
        ids = members.get(inc["event_id"], [])
        history = _history(timeline[inc["id"]])
        clock_rows = []
        for c in clocks[inc["id"]]:
            outcome, decided = clock_outcome(c)
            if c["legal"]:
                outcomes[outcome] += 1
            clock_rows.append(
                {
                    "kind": c["kind"],
                    "label": c["label"],
                    "legal": c["legal"],
                    "started_at": _iso(c["started_at"]),
                    "due_at": _iso(c["due_at"]),
                    "outcome": outcome,
                    "decided_at": decided,
                    "warnings_fired": c["warnings_fired"],
                }
            )
        out_incidents.append(
            {
                "id": inc["id"],
                "kind": inc["kind"],
                "title": inc["title"],
                "summary": inc["summary"],
                "topic": inc["topic"],
                "region": inc["region"],
                "grade": GRADE_NAMES[inc["grade"]],
                "grade_label": GRADE_LABELS[inc["grade"]],
                "colour": GRADE_COLOURS[inc["grade"]],
                "state": inc["state"],
                "first_seen_at": _iso(inc["first_seen_at"]),
                "opened_at": _iso(inc["opened_at"]),
                "event_id": inc["event_id"],
                "hotline_order_no": inc["hotline_order_no"],
                "route": {
                    "lead": inc["lead_department"],
                    "departments": roles[inc["id"]],
                    "reasons": inc["route_reasons"],
                    "candidates": list(inc["route_candidates"] or ()),
                },
                "grades": history.get("grades", []),
                "reassignments": history.get("reassignments", []),
                "merged_orders": history.get("merged_orders", []),
                "candidate_evidence": history.get("candidate_evidence", []),
                "members": {"count": len(ids), "ids": ids if members_limit is None else ids[:members_limit]},
                "clocks": clock_rows,
            }
        )
    by_grade = Counter(GRADE_NAMES[i["grade"]] for i in incidents)
    summary = {
        "posts": run.posts,
        "skipped_lines": len(problems),
        "simulated_from": _iso(run.started_at),
        "simulated_to": _iso(run.ended_at),
        "steps": run.steps,
        "engine_ticks": run.engine_ticks,
        "settled_by_replay": run.settled,
        "events": events["n"],
        "events_with_several_posts": events["multi"],
        "largest_event_posts": events["biggest"],
        "bursts": bursts,
        "incidents": len(incidents),
        "incidents_by_grade": dict(sorted(by_grade.items())),
        # who was paged: the lead of each incident (the duty desk's when no department had more than a guess)
        # and how many supporting departments
        "incidents_by_lead": dict(Counter(i["lead_department"] for i in incidents).most_common()),
        "supporting_departments": sum(r["role"] == "support" for rs in roles.values() for r in rs),
        "legal_clock_outcomes": dict(outcomes),
        "wall_seconds": round(wall_s, 3),
        "stage_seconds": {k: round(v, 3) for k, v in run.seconds.items()},
        "posts_per_second": round(run.posts / wall_s, 1) if wall_s > 0 else None,
    }
    return {"summary": summary, "incidents": out_incidents, "problems": problems[:100]}
