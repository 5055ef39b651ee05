"""Turns an event's running state into the signals grading and routing read (pure)."""

from __future__ import annotations

import math
from collections.abc import Container

from monitor.events.heat import heat_score
from monitor.events.model import EventState
from monitor.incidents.grading import Signals
from monitor.incidents.routing import RouteRequest

MIN_REGION_SHARE = 0.2
# A responder keyword is the event's when one post in ten says it (any post of an event of up to ten): a word
# in one post of a large thread is noise, as a stray place is.
MIN_KEYWORD_SHARE = 0.1


def event_heat(e: EventState, t: float) -> float:
    """The heat score grading compares with thresholds, aged to `t`."""
    return heat_score(e.heat.at_time(max(t, e.heat.at or t)), e.negative_share)


def is_local(e: EventState, regions: Container[str]) -> bool:
    """The event concerns this city: a post names a place in its region tree (or came from a source
    configured with one), or a 12345 order, the city's own hotline, is among its posts."""
    return "hotline" in e.channels or any(x in regions for x in e.regions)


def signals_from_event(e: EventState, t: float, regions: Container[str] | None = None) -> Signals:
    """Grading's view of the event at `t`; `regions` is the city's region tree (None: count it local)."""
    return Signals(
        posts=e.post_count,
        heat=event_heat(e, t),
        bursting=e.burst.bursting,
        negative_share=e.negative_share,
        channels=tuple(sorted(e.channels)),
        official_posts=e.official_posts,
        media_posts=e.media_posts,
        deaths=e.deaths,
        injured=e.injured,
        serious=e.serious,
        missing=e.missing,
        casualty_grade=e.casualty_grade,
        hazards=tuple(e.hazards),
        hazard_posts=tuple(sorted(e.hazard_posts.items())),
        urgent=e.urgent,
        local=True if regions is None else is_local(e, regions),
    )


def involved_regions(e: EventState) -> tuple[str, ...]:
    """Regions named by a real share of the posts, most named first (one stray mention is noise)."""
    total = sum(e.regions.values())
    if not total:
        return ()
    ranked = sorted(e.regions.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(r for r, n in ranked if n / total >= MIN_REGION_SHARE or n == ranked[0][1])


def said_keywords(e: EventState) -> tuple[str, ...]:
    """The responder keywords (and department names) a real share of the event's posts say."""
    need = max(1, math.ceil(e.post_count * MIN_KEYWORD_SHARE - 1e-9))
    return tuple(sorted(w for w, n in e.keywords.items() if n >= need))


def topic_confidence(e: EventState, topic: str | None) -> float:
    """The mean score the event's posts give `topic` (a post about another topic gives it 0)."""
    return min(e.topics.get(topic, 0.0) / e.post_count, 1.0) if topic and e.post_count else 0.0


def route_request(
    e: EventState,
    grade: int,
    preferred_lead: str | None = None,
    hazards: tuple[str, ...] = (),
    dispatched: bool = False,
) -> RouteRequest:
    """Routing's view of the event; `hazards`: the 险情 that opened the incident (Decision.hazards), not
    every one its posts mention; `dispatched`: a 12345 order opened it, so the unit the hotline dispatched
    it to leads."""
    hint = max(e.departments.items(), key=lambda kv: (kv[1], kv[0]))[0] if e.departments else None
    topic = e.top(e.topics)
    return RouteRequest(
        topic=topic,
        topic_confidence=topic_confidence(e, topic),
        regions=involved_regions(e),
        grade=grade,
        text=e.title,
        words=said_keywords(e),
        department_hint=hint,
        preferred_lead=preferred_lead,
        hazards=hazards,
        dispatched_to=e.hotline_unit if dispatched else None,
        dispatched_support=tuple(e.hotline_assist) if dispatched else (),
    )
