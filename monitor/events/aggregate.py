"""Folding one post into an event's running aggregates, heat and burst state (pure, in place)."""

from __future__ import annotations

from monitor.events.burst import BurstChange, BurstParams, initial, observe
from monitor.events.heat import Heat, author_weight
from monitor.events.model import MAX_EVENT_KEYWORDS, MAX_HAZARDS, MAX_ORDERS, EventState, PostIn

TITLE_CHARS = 80
MAX_UNIT_CHARS = 100
MAX_ASSIST = 5


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0
    try:
        return max(int(value), 0)
    except ValueError:
        return 0


def title_of(post: PostIn) -> str:
    text = (post.title or post.text).strip().replace("\n", " ")
    return text[:TITLE_CHARS]


def new_event(event_id: int, post: PostIn, burst: BurstParams) -> EventState:
    """An empty event that the post will be absorbed into."""
    return EventState(id=event_id, first_seen=post.published, last_seen=post.published, burst=initial(burst))


def absorb(e: EventState, post: PostIn, amount: float, burst: BurstParams) -> list[BurstChange]:
    """Count the post in every aggregate; returns burst changes the post caused."""
    e.post_count += 1
    e.first_seen = min(e.first_seen, post.published)
    e.last_seen = max(e.last_seen, post.published)
    e.channels[post.channel] = e.channels.get(post.channel, 0) + 1
    if post.topic:
        e.topics[post.topic] = e.topics.get(post.topic, 0.0) + max(post.topic_score, 0.05)
    if post.region:
        e.regions[post.region] = e.regions.get(post.region, 0) + 1
    if post.department:
        e.departments[post.department] = e.departments.get(post.department, 0) + 1
    for word in dict.fromkeys(post.keywords):
        if word in e.keywords or len(e.keywords) < MAX_EVENT_KEYWORDS:
            e.keywords[word] = e.keywords.get(word, 0) + 1
    e.negative_sum += min(max(post.negative, 0.0), 1.0)
    e.engagement += amount
    e.official_posts += post.official
    e.media_posts += post.media
    sev = post.severity
    e.deaths = max(e.deaths, _int(sev.get("deaths")))
    e.injured = max(e.injured, _int(sev.get("injured")))
    # the 重伤 each post reports (every injured person, when it does not say how badly): the largest counts
    e.serious = max(e.serious, _int(sev.get("serious", sev.get("injured"))))
    e.missing = max(e.missing, _int(sev.get("missing")))
    cg = sev.get("casualty_grade")
    if isinstance(cg, int) and 1 <= cg <= 4:
        e.casualty_grade = cg if e.casualty_grade is None else min(e.casualty_grade, cg)
    for hazard in sev.get("hazards") or ():
        if not isinstance(hazard, str):
            continue
        if hazard not in e.hazards and len(e.hazards) < MAX_HAZARDS:
            e.hazards.append(hazard)
        if hazard in e.hazards:  # the posts naming each hazard the event keeps
            e.hazard_posts[hazard] = e.hazard_posts.get(hazard, 0) + 1
    e.urgent = e.urgent or bool(sev.get("urgent"))
    # the first 12345 order that says where it was dispatched: its 承办单位 and 协办单位
    if (post.hotline_unit or post.hotline_assist) and not (e.hotline_unit or e.hotline_assist):
        e.hotline_unit = post.hotline_unit[:MAX_UNIT_CHARS] if post.hotline_unit else None
        e.hotline_assist = [u[:MAX_UNIT_CHARS] for u in post.hotline_assist[:MAX_ASSIST]]
    if post.hotline_order_no and post.hotline_order_no not in e.hotline_orders:
        if len(e.hotline_orders) < MAX_ORDERS:
            e.hotline_orders.append(post.hotline_order_no)
    weight = author_weight(post.verified_type, post.followers, post.channel)
    if not e.title or weight > e.title_weight:
        e.title, e.title_weight = title_of(post), weight
    e.heat = e.heat.add(post.published, amount) if e.heat.at is not None else Heat(amount, post.published)
    e.burst, changes = observe(e.burst, post.published, amount, burst)
    return changes
