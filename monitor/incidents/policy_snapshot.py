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
  "calendar": {"workday_start": "08:30", "workday_end": "17:30", "holidays": [...], "makeup_workdays": [...]},
  "repeat_interval_s": 3600.0,
  "lead": "yingji",
  "departments": [{"id": "yingji", "role": "lead"}, {"id": "zhengfuban", "role": "coordinator"}, …],
  "chains": {"yingji": [{"notify": ["person:yingji.duty", "channel:yingji/group"], "ack_timeout_s": 600.0,
                         "then": "escalate"}, …], …},
  "breach_escalation": [["person:yingji.head"], ["person:yingji.leader"],
                        ["person:zhengfuban.duty", "channel:zhengfuban/group", "person:xuanchuan.press", …]]
}
"""

from __future__ import annotations

from typing import Any

from monitor.config.departments import Department, EscalationStep
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
    if kind == "hotline":
        urgency = (
            hotline_urgency if hotline_urgency in policy.hotline.limits else policy.hotline.default_urgency
        )
        limit = policy.hotline.limits.get(urgency)
        if limit is not None:
            clocks.append(
                {
                    "kind": "hotline",
                    "within_s": limit.total_seconds(),
                    "warn_at": [0.5, 0.8],
                    "label": f"12345 {urgency}时限",
                }
            )
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
            "workday_start": cal.workday_start,
            "workday_end": cal.workday_end,
            "holidays": [d.isoformat() for d in cal.holidays],
            "makeup_workdays": [d.isoformat() for d in cal.makeup_workdays],
        },
        "repeat_interval_s": policy.repeat_interval.total_seconds(),
        "lead": lead,
        "departments": [{"id": d, "role": role} for d, role in departments],
        "chains": chains,
        "breach_escalation": _breach_ladder(r, r.departments[lead]),
    }
