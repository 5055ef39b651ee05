"""12345 work orders: when an order opens an incident by its own rules (urgency, risk words) (pure)."""

from __future__ import annotations

from monitor.config.policy import HotlinePolicy
from monitor.incidents.grading import Reason


def hotline_open_reasons(text: str, urgency: str | None, policy: HotlinePolicy) -> list[Reason]:
    """Reasons an order opens an incident: an urgency listed in open_incident_urgencies, or a risk word."""
    reasons: list[Reason] = []
    level = urgency or policy.default_urgency
    if level in policy.open_incident_urgencies:
        reasons.append(Reason("hotline_urgency", f"12345工单紧急程度“{level}”"))
    hits = [w for w in policy.risk_words if w and w in text]
    if hits:
        reasons.append(Reason("hotline_risk_words", f"风险性苗头性诉求：{'、'.join(hits[:5])}"))
    return reasons
