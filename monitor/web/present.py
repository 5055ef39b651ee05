"""Rows → JSON-ready dicts for the API and pages (pure: names come from responders/, time is passed in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.config.responders import Responders
from monitor.incidents.grades import GRADE_COLOURS, GRADE_CSS, GRADE_LABELS, GRADE_NAMES
from monitor.incidents.routing import ROLE_LABELS
from monitor.web.countdown import ClockView, at_risk, clock_status, most_urgent
from monitor.web.queries.incidents import IncidentRow

STATE_LABELS: dict[str, str] = {
    "open": "待响应",
    "acknowledged": "已确认",
    "statement_published": "已发布权威信息",
    "press_conference_held": "已召开发布会",
    "responded": "已回应",
    "resolved": "已办结",
    "reviewed": "已复盘",
}
ACTION_LABELS: dict[str, str] = {
    "ack": "确认接报",
    "statement": "发布权威信息",
    "press_conference": "召开新闻发布会",
    "respond": "回应关切",
    "resolve": "办结",
    "reassign": "改派",
    "add_support": "加派协办",
    "note": "备注",
    "escalate_now": "立即升级",
}


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def department_name(r: Responders, dept_id: str) -> str:
    dept = r.departments.get(dept_id)
    return dept.display_name if dept else dept_id


def region_name(r: Responders, region_id: str | None) -> str | None:
    if region_id is None:
        return None
    region = r.regions.get(region_id)
    return region.name if region else region_id


def person_name(r: Responders, person_id: str | None) -> str | None:
    if person_id is None:
        return None
    if person_id == "system":
        return "系统"
    person = r.person(person_id)
    return person.name if person else person_id


def clock_json(clock: ClockView, now: datetime) -> dict[str, Any]:
    return {
        "kind": clock.kind,
        "label": clock.label,
        "started_at": iso(clock.started_at),
        "due_at": iso(clock.due_at),
        "satisfied_at": iso(clock.satisfied_at),
        "closed_at": iso(clock.closed_at),
        "status": clock_status(clock, now),
        "remaining_s": None if clock.done else round((clock.due_at - now).total_seconds(), 1),
    }


def departments_json(r: Responders, departments: dict[str, str], lead: str) -> list[dict[str, Any]]:
    merged = {lead: "lead", **{k: v for k, v in departments.items() if k != lead}}
    return [
        {
            "id": d,
            "name": department_name(r, d),
            "role": role,
            "role_label": ROLE_LABELS.get(role, role),
        }
        for d, role in merged.items()
    ]


def incident_json(r: Responders, row: IncidentRow, clocks: list[ClockView], now: datetime) -> dict[str, Any]:
    """The summary shape shared by the list and the detail."""
    d = row.data
    grade = int(d["grade"])
    urgent = most_urgent(clocks)
    candidates = [c for c in d.get("route_candidates") or () if c in r.departments]
    unclaimed = d["lead_department"] == r.duty_desk.id  # the desk leads: whom routing named is whom to ask
    return {
        "id": d["id"],
        "kind": d["kind"],
        "title": d["title"],
        "summary": d["summary"],
        "grade": grade,
        "grade_name": GRADE_NAMES[grade],
        "grade_label": GRADE_LABELS[grade],
        "grade_colour": GRADE_COLOURS[grade],
        "grade_css": GRADE_CSS[grade],
        "state": d["state"],
        "state_label": STATE_LABELS.get(d["state"], d["state"]),
        "topic": d["topic"],
        "region": d["region"],
        "region_name": region_name(r, d["region"]),
        "lead_department": {"id": d["lead_department"], "name": department_name(r, d["lead_department"])},
        "departments": departments_json(r, row.departments, d["lead_department"]),
        # the departments routing named without paging them; while the duty desk leads, the ones to 改派 to
        "route_candidates": candidates,
        "suggested_leads": [department_name(r, c) for c in candidates] if unclaimed else [],
        "hotline_order_no": d["hotline_order_no"],
        "first_seen_at": iso(d["first_seen_at"]),
        "opened_at": iso(d["opened_at"]),
        "updated_at": iso(d["updated_at"]),
        "acknowledged_at": iso(d["acknowledged_at"]),
        "acknowledged_by": d["acknowledged_by"],
        "clocks": [clock_json(c, now) for c in clocks],
        "next_due_at": iso(urgent.due_at) if urgent else None,
        "at_risk": any(at_risk(c, now) for c in clocks),
    }


_REASON_TEXT_KEYS = ("message", "text", "reason", "why", "detail")


def reasons(value: Any) -> list[str]:
    """grade_reasons / route_reasons: strings, or objects whose "message" (or "text", …) is for people."""
    out: list[str] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            text = next((item[k] for k in _REASON_TEXT_KEYS if item.get(k)), None)
            out.append(str(text) if text else ", ".join(f"{k}={v}" for k, v in item.items()))
        else:
            out.append(str(item))
    return out
