"""`yuqing route` as a pure function: one text → analysis, grade, departments, chains, clocks and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.config.responders import Responders
from monitor.events.aggregate import absorb, new_event
from monitor.events.burst import BurstParams
from monitor.events.heat import post_heat
from monitor.events.model import EventState, PostIn
from monitor.incidents.grades import GRADE_COLOURS, GRADE_LABELS, GRADE_NAMES
from monitor.incidents.grading import Decision, grade_event
from monitor.incidents.hotline import hotline_open_reasons
from monitor.incidents.policy_snapshot import freeze_policy
from monitor.incidents.routing import route
from monitor.incidents.signals import route_request, signals_from_event
from monitor.pipeline.analyse import analysis_row


@dataclass(frozen=True)
class Arrival:
    """How the text arrives: the region to use (else the one found in it), the author's Weibo verified
    type, and for a 12345 order its urgency, the unit it was dispatched to (承办单位) and those helping
    (协办单位)."""

    region: str | None = None
    verified_type: int | None = None
    hotline_urgency: str | None = None
    hotline_unit: str | None = None
    hotline_assist: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "hotline" if self.hotline_urgency else "opinion"


@dataclass(frozen=True)
class OnePost:
    """A text arrived alone: its analysis row, the event it makes and the grading of that event."""

    row: tuple[Any, ...]
    event: EventState
    decision: Decision


def one_post(r: Responders, text: str, analysis: Any, how: Arrival = Arrival()) -> OnePost:
    """The event one post makes (a 12345 order when `how` has an urgency), and its grading."""
    row = analysis_row(0, analysis)
    _, negative, _, topic, topic_score, department, found_region, _, severity, _, keywords = row
    place = how.region or found_region
    order = how.kind == "hotline"
    channel = "hotline" if order else "weibo"
    post = PostIn(
        post_id=0,
        source_id="dry-run",
        channel=channel,
        external_id="dry-run",
        published=0.0,
        text=text,
        verified_type=how.verified_type,
        region=place,
        topic=topic,
        topic_score=topic_score,
        department=department,
        negative=negative,
        severity=severity,
        keywords=keywords,
        hotline_order_no="dry-run" if order else None,
        hotline_urgency=how.hotline_urgency,
        hotline_unit=how.hotline_unit if order else None,
        hotline_assist=how.hotline_assist if order else (),
    )
    params = BurstParams()
    event = new_event(0, post, params)
    absorb(event, post, post_heat(0, 0, 0, how.verified_type, None, channel), params)
    signals = signals_from_event(event, 0.0, r.regions)
    return OnePost(row, event, grade_event(signals, r.policy.grading, r.policy.casualty_criteria))


def dry_run(r: Responders, text: str, analysis: Any, how: Arrival = Arrival()) -> dict[str, Any]:
    """What would happen if this text arrived as `how` says: every decision and why."""
    made = one_post(r, text, analysis, how)
    event, decision = made.event, made.decision
    _, negative, polarity, topic, topic_score, department, found_region, _, severity, explain, _ = made.row
    place = how.region or found_region
    urgency, kind = how.hotline_urgency, how.kind
    hotline = hotline_open_reasons(text, urgency, r.policy.hotline) if urgency else []
    request = route_request(event, decision.grade, hazards=decision.hazards, dispatched=kind == "hotline")
    rt = route(r, request)
    policy = freeze_policy(
        r,
        grade=decision.grade,
        kind=kind,
        lead=rt.lead,
        departments=list(rt.departments),
        hotline_urgency=urgency,
    )
    return {
        "text": text,
        "analysis": {
            "negative": round(negative, 4),
            "polarity": polarity,
            "topic": topic,
            "topic_score": round(topic_score, 4),
            "department": department,
            "region": found_region,
            "region_used": place,
            "severity": severity,
            "explain": explain,
        },
        "grade": {
            "grade": GRADE_NAMES[decision.grade],
            "label": GRADE_LABELS[decision.grade],
            "colour": GRADE_COLOURS[decision.grade],
            "opens_incident": decision.opens or bool(hotline),
            "reasons": [x.as_json() for x in hotline] + decision.reasons_json(),
            "held": [x.as_json() for x in decision.held],
            "note": "one post on its own: volume, heat and burst grow as more posts join the event",
        },
        "route": {
            "lead": rt.lead,
            "lead_name": r.departments[rt.lead].name,
            "departments": [
                {"id": d, "name": r.departments[d].name, "role": role} for d, role in rt.departments
            ],
            "region": rt.region,
            "reasons": list(rt.reasons),
            "candidates": [{"id": d, "name": r.departments[d].name} for d in rt.candidates],
        },
        "clocks": policy["clocks"],
        "chains": policy["chains"],
        "breach_escalation": policy["breach_escalation"],
    }
