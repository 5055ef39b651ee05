"""Per-post judging (pure): openings and upgrades happen at the post that caused them, never downgrades."""

from __future__ import annotations

from dataclasses import replace

from monitor.config.responders import Responders
from monitor.events.aggregate import absorb, new_event
from monitor.events.burst import BurstParams
from monitor.events.model import EventState, PostIn
from monitor.incidents.judge import judge, seen_at

T0 = 1_780_000_000.0
BASE = PostIn(1, "weibo-kw", "weibo", "m1", T0, "临港化工厂爆炸", negative=0.9)


def grow(e: EventState, p: PostIn) -> EventState:
    absorb(e, p, 1.0, BurstParams())
    return e


def test_opening_then_upgrade_then_nothing(responders: Responders) -> None:
    e = new_event(7, BASE, BurstParams())
    assert judge(responders, grow(e, BASE), BASE, T0) is None  # one quiet post
    second = replace(BASE, post_id=2, severity={"hazards": ["爆炸"]})
    opened = judge(responders, grow(e, second), second, T0 + 60)
    assert opened is not None and (opened.kind, opened.decision.grade, opened.at) == ("open", 3, T0 + 60)
    assert e.opening and e.grade == 3
    third = replace(BASE, post_id=3, severity={"hazards": ["爆炸"]})
    assert judge(responders, grow(e, third), third, T0 + 120) is None  # still Ⅲ: nothing new
    deaths = replace(BASE, post_id=4, severity={"deaths": 12})
    up = judge(responders, grow(e, deaths), deaths, T0 + 180)
    assert up is not None and (up.kind, up.decision.grade) == ("upgrade", 2)
    assert e.grade == 2


def test_an_event_with_an_incident_never_downgrades(responders: Responders) -> None:
    e = new_event(7, BASE, BurstParams())
    e.incident_id, e.grade = 99, 1
    assert judge(responders, grow(e, BASE), BASE, T0) is None
    assert e.grade == 1


def test_a_hotline_order_opens_by_its_own_rules(responders: Responders) -> None:
    order = replace(
        BASE,
        text="小区路灯不亮",
        channel="hotline",
        hotline_order_no="H1",
        hotline_urgency="紧急",
        negative=0.1,
    )
    e = new_event(8, order, BurstParams())
    tr = judge(responders, grow(e, order), order, T0)
    assert tr is not None and tr.kind == "open" and not tr.decision.opens
    assert [r.code for r in tr.hotline_reasons] == ["hotline_urgency"]
    calm = replace(order, post_id=2, hotline_order_no="H2", hotline_urgency="一般")
    assert judge(responders, grow(new_event(9, calm, BurstParams()), calm), calm, T0) is None


def test_seen_at_is_the_fetch_time_bounded_by_publication_and_now() -> None:
    assert seen_at(replace(BASE, seen=T0 + 30), T0 + 100) == T0 + 30
    assert seen_at(replace(BASE, seen=T0 - 30), T0 + 100) == T0  # fetched "before" it was published
    assert seen_at(replace(BASE, seen=T0 + 500), T0 + 100) == T0 + 100
    assert seen_at(BASE, T0 + 100) == T0
