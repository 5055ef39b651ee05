"""Per-post decisions during grouping: does this post make its event open or upgrade an incident? (pure)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from monitor.config.responders import Responders
from monitor.events.model import EventState, PostIn
from monitor.incidents.grading import Decision, Reason, grade_event
from monitor.incidents.hotline import hotline_open_reasons
from monitor.incidents.signals import signals_from_event


@dataclass(frozen=True)
class Transition:
    """An incident change the post caused, at the moment the system saw the post."""

    event_id: int
    post: PostIn
    at: float
    kind: Literal["open", "upgrade"]
    decision: Decision
    hotline_reasons: tuple[Reason, ...] = ()


def seen_at(post: PostIn, now: float) -> float:
    """When the system knew of the post: when it was fetched (never after `now`, never before publication)."""
    return min(max(post.published, post.seen or post.published), now)


def judge(r: Responders, e: EventState, post: PostIn, at: float) -> Transition | None:
    """Grade the event as it stands after `post`; report an opening or an upgrade (never a downgrade)."""
    d = grade_event(signals_from_event(e, at, r.regions), r.policy.grading, r.policy.casualty_criteria)
    if e.incident_id is None and not e.opening:
        hot: tuple[Reason, ...] = ()
        if post.hotline_order_no:
            hot = tuple(hotline_open_reasons(post.text, post.hotline_urgency, r.policy.hotline))
        if not d.opens and not hot:
            return None
        e.opening, e.grade = True, d.grade
        return Transition(e.id, post, at, "open", d, hot)
    if e.grade is not None and d.grade < e.grade:
        e.grade = d.grade
        return Transition(e.id, post, at, "upgrade", d)
    return None
