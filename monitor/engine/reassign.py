"""改派 and 加派协办: the frozen policy rewritten for a new lead department (its chain and breach ladder), or
for one more supporting department (its chain)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.config.responders import Responders
from monitor.engine.evidence import MissingEvidence
from monitor.incidents.grades import is_major
from monitor.incidents.policy_snapshot import freeze_policy


def former_lead_role(inc: Mapping[str, Any], responders: Responders | None) -> str:
    """What the lead becomes when another department takes over: informed (知会), except the duty desk on a
    Ⅰ/Ⅱ incident, which stays to coordinate (统筹) as it would have had a department led from the start."""
    desk = responders.duty_desk.id if responders is not None else None
    if inc["lead_department"] == desk and is_major(int(inc["grade"])):
        return "coordinator"
    return "informed"


def _fresh(inc: Mapping[str, Any], department: str, responders: Responders) -> dict[str, Any]:
    """The policy the department would get leading this incident now (its chain for the incident's grade)."""
    if department not in responders.departments:
        raise MissingEvidence(f"unknown department {department!r}")
    return freeze_policy(
        responders,
        grade=int(inc["grade"]),
        kind=str(inc["kind"]),
        lead=department,
        departments=[(department, "lead")],
    )


def reassigned_policy(
    inc: Mapping[str, Any], department: str, responders: Responders | None
) -> dict[str, Any]:
    """Same clocks; the new lead's chain (from the snapshot, else frozen now from `responders`) and ladder."""
    policy: dict[str, Any] = dict(inc["policy"])
    chains: dict[str, Any] = dict(policy.get("chains") or {})
    old = str(inc["lead_department"])
    if responders is not None:
        fresh = _fresh(inc, department, responders)
        chains.setdefault(department, fresh["chains"][department])
        policy["breach_escalation"] = fresh["breach_escalation"]
    elif department not in chains:
        raise MissingEvidence(f"department {department!r} has no chain on this incident; cannot reassign")
    stays = former_lead_role(inc, responders)
    if stays == "informed":
        chains.pop(old, None)
    policy["chains"] = chains
    policy["lead"] = department
    departments = [d for d in policy.get("departments") or [] if d.get("id") not in (old, department)]
    policy["departments"] = [
        {"id": department, "role": "lead"},
        *departments,
        {"id": old, "role": stays},
    ]
    return policy


def supported_policy(
    inc: Mapping[str, Any], department: str, responders: Responders | None
) -> dict[str, Any]:
    """Same clocks and lead; the department's chain is added (from the snapshot, else frozen now) and it is
    listed as supporting (协办)."""
    policy: dict[str, Any] = dict(inc["policy"])
    chains: dict[str, Any] = dict(policy.get("chains") or {})
    if responders is not None:
        chains.setdefault(department, _fresh(inc, department, responders)["chains"][department])
    elif department not in chains:
        raise MissingEvidence(f"department {department!r} has no chain on this incident; cannot add it")
    policy["chains"] = chains
    others = [d for d in policy.get("departments") or [] if d.get("id") != department]
    policy["departments"] = [*others, {"id": department, "role": "support"}]
    return policy
