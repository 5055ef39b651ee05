"""Freezes the clocks and escalation chains in force onto an incident when it opens (a pure function).

The snapshot is stored in `incidents.policy` (jsonb). Later edits to responders/ don't change incidents in
flight. Contact details (phone numbers, robot URLs) are resolved at send time from the current config, so a
corrected phone number takes effect at once; *who* is paged and *when* are frozen here.

Shape (version 1):
{
  "version": 1, "grade": 2, "kind": "opinion",
  "start_from": "opened" | "first_seen",
  "clocks": [{"kind": "statement", "within_s": 18000.0, "warn_at": [0.5, 0.8], "label": "发布权威信息"}, …],
  "internal_targets": {"ack": {"within_s": 900.0, "working_hours": false}},
  "calendar": {"timezone": "Asia/Shanghai",
               "workday_start": "08:30", "workday_end": "17:30", "holidays": [...], "makeup_workdays": [...]},
  "repeat_interval_s": 3600.0,
  "hotline": {"limits": {"紧急": 7200.0, "一般": 604800.0, …}, "default_urgency": "一般"},
  "lead": "yingji",
  "departments": [{"id": "yingji", "role": "lead"}, {"id": "zhengfuban", "role": "coordinator"}, …],
  "chains": {"yingji": [{"notify": ["person:yingji.duty", "channel:yingji/group"], "ack_timeout_s": 600.0,
                         "then": "escalate"}, …], …},
  "breach_escalation": [["person:yingji.head"], ["person:yingji.leader"],
                        ["person:zhengfuban.duty", "channel:zhengfuban/group", "person:xuanchuan.press", …]]
}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.config.departments import Department, EscalationStep
from monitor.config.policy import HotlinePolicy
from monitor.config.responders import Responders
from monitor.incidents.grades import GRADE_NAMES

DepartmentRole = tuple[str, str]  # (department id, 'lead' | 'support' | 'coordinator' | 'informed')


def expand_targets(dept: Department, targets: tuple[str, ...]) -> list[str]:
    """`role:head` → every person with that role; `channel:group` → `channel:<dept>/group`."""
    out: list[str] = []
    for target in targets:
        kind, _, ref = target.partition(":")
        if kind == "role":
            out.extend(f"person:{p.id}" for p in dept.people_with_role(ref))
        elif kind == "channel":
            out.append(f"channel:{dept.id}/{ref}")
        else:
            out.append(target)
    return list(dict.fromkeys(out))


def _chain(dept: Department, steps: tuple[EscalationStep, ...]) -> list[dict[str, Any]]:
    return [
        {
            "notify": expand_targets(dept, step.notify),
            "ack_timeout_s": step.ack_timeout.total_seconds(),
            "then": step.then,
        }
        for step in steps
    ]


def _breach_ladder(r: Responders, lead: Department) -> list[list[str]]:
    """A breach always escalates up: head → 分管领导 → government office + press office."""
    ladder = [
        expand_targets(lead, ("role:head",)),
        expand_targets(lead, ("role:leader",)),
    ]
    top: list[str] = []
    desk = r.duty_desk
    top += expand_targets(desk, ("role:duty_officer", "role:head"))
    top += [f"channel:{desk.id}/{name}" for name in desk.channels if desk.channels[name].kind != "email"]
    for press in r.press_offices:
        top += expand_targets(press, ("role:press_office", "role:head"))
    ladder.append(list(dict.fromkeys(top)))
    return [step for step in ladder if step]


def hotline_limits(hotline: HotlinePolicy) -> dict[str, Any]:
    """The 12345 limits as frozen on every incident: a merged order (并单) later starts its own clock."""
    return {
        "limits": {urgency: d.total_seconds() for urgency, d in hotline.limits.items()},
        "default_urgency": hotline.default_urgency,
    }


def order_clock(hotline: Mapping[str, Any], urgency: str | None) -> dict[str, Any] | None:
    """The clock a 12345 order's urgency starts under frozen `hotline` limits (unknown → the default)."""
    limits = hotline.get("limits") or {}
    level = urgency if urgency in limits else hotline.get("default_urgency")
    within = limits.get(level)
    if within is None:
        return None
    return {
        "kind": "hotline",
        "within_s": float(within),
        "warn_at": [0.5, 0.8],
        "label": f"12345 {level}时限",
    }


def freeze_policy(
    r: Responders,
    *,
    grade: int,
    kind: str,
    lead: str,
    departments: list[DepartmentRole],
    hotline_urgency: str | None = None,
) -> dict[str, Any]:
    """The snapshot for a new incident. `lead` and every department id must exist in `r`."""
    grade_name = GRADE_NAMES[grade]
    policy = r.policy
    clocks: list[dict[str, Any]] = [
        {
            "kind": rule.kind,
            "within_s": rule.within.total_seconds(),
            "warn_at": list(rule.warn_at),
            "label": rule.label or rule.kind,
        }
        for rule in policy.clocks.for_grade(grade_name)
    ]
    hotline = hotline_limits(policy.hotline)
    if kind == "hotline":
        order = order_clock(hotline, hotline_urgency)
        if order is not None:
            clocks.append(order)
    chains = {
        dept_id: _chain(r.departments[dept_id], r.departments[dept_id].escalation.for_grade(grade_name))
        for dept_id, role in departments
        if role in ("lead", "support", "coordinator")
    }
    chains.setdefault(lead, _chain(r.departments[lead], r.departments[lead].escalation.for_grade(grade_name)))
    cal = policy.calendar
    return {
        "version": 1,
        "grade": grade,
        "kind": kind,
        "start_from": policy.clocks.start_from,
        "clocks": clocks,
        "internal_targets": {
            name: {"within_s": t.within.total_seconds(), "working_hours": t.working_hours}
            for name, t in policy.internal_targets.items()
        },
        "calendar": {
            "timezone": policy.timezone,
            "workday_start": cal.workday_start,
            "workday_end": cal.workday_end,
            "holidays": [d.isoformat() for d in cal.holidays],
            "makeup_workdays": [d.isoformat() for d in cal.makeup_workdays],
        },
        "repeat_interval_s": policy.repeat_interval.total_seconds(),
        "hotline": hotline,
        "lead": lead,
        "departments": [{"id": d, "role": role} for d, role in departments],
        "chains": chains,
        "breach_escalation": _breach_ladder(r, r.departments[lead]),
    }
