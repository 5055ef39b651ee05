"""Candidate official responses: a government account's post on the event, in its region (pure)."""

from __future__ import annotations

from typing import Any

from monitor.config.responders import Responders
from monitor.events.model import PostIn


def regions_related(r: Responders, a: str | None, b: str | None) -> bool:
    """True when one region contains the other (a city account may answer for its district)."""
    if not a or not b:
        return False
    return a in {x.id for x in r.region_chain(b)} or b in {x.id for x in r.region_chain(a)}


def is_candidate_evidence(r: Responders, post: PostIn, incident_region: str | None) -> bool:
    return post.official and regions_related(r, post.region, incident_region)


def evidence_detail(post: PostIn) -> dict[str, Any]:
    """What the duty officer sees: who said what, where, and a link to confirm it as the statement."""
    return {
        "post_id": post.post_id,
        "author": post.author,
        "url": post.url,
        "channel": post.channel,
        "region": post.region,
        "excerpt": (post.title or post.text)[:200],
        "suggests": "statement",
    }
