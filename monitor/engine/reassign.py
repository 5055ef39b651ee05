"""改派: the frozen policy rewritten for a new lead department (its chain and breach ladder)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.config.responders import Responders
from monitor.engine.evidence import MissingEvidence
from monitor.incidents.policy_snapshot import freeze_policy


def reassigned_policy(
    inc: Mapping[str, Any], department: str, responders: Responders | None
) -> dict[str, Any]:
    """Same clocks; the new lead's chain (from the snapshot, else frozen now from `responders`) and ladder."""
    policy: dict[str, Any] = dict(inc["policy"])
    chains: dict[str, Any] = dict(policy.get("chains") or {})
    old = str(inc["lead_department"])
    if responders is not None:
        if department not in responders.departments:
            raise MissingEvidence(f"unknown department {department!r}")
        fresh = freeze_policy(
            responders,
            grade=int(inc["grade"]),
            kind=str(inc["kind"]),
            lead=department,
            departments=[(department, "lead")],
        )
        chains.setdefault(department, fresh["chains"][department])
        policy["breach_escalation"] = fresh["breach_escalation"]
    elif department not in chains:
        raise MissingEvidence(f"department {department!r} has no chain on this incident; cannot reassign")
    chains.pop(old, None)
    policy["chains"] = chains
    policy["lead"] = department
    departments = [d for d in policy.get("departments") or [] if d.get("id") not in (old, department)]
    policy["departments"] = [
        {"id": department, "role": "lead"},
        *departments,
        {"id": old, "role": "informed"},
    ]
    return policy
