"""Per-post judging (pure): openings and upgrades happen at the post that caused them, never downgrades."""

from __future__ import annotations

from dataclasses import replace

from monitor.config.responders import Responders
from monitor.events.aggregate import absorb, new_event
from monitor.events.burst import BurstParams
from monitor.events.model import EventState, PostIn
from monitor.incidents.judge import judge, seen_at
from monitor.incidents.routing import route
from monitor.incidents.signals import route_request

T0 = 1_780_000_000.0
BASE = PostIn(1, "weibo-kw", "weibo", "m1", T0, "临港化工厂爆炸", negative=0.9, region="qingshi-lingang")


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


def _national(responders: Responders, require: bool) -> Responders:
    grading = responders.policy.grading.model_copy(update={"require_local_region": require})
    return replace(responders, policy=responders.policy.model_copy(update={"grading": grading}))


NATIONAL = PostIn(
    1, "news", "news", "n1", T0, "外省某化工厂爆炸", negative=0.9, severity={"hazards": ["爆炸"]}
)


def test_national_news_naming_no_local_place_stays_an_event(responders: Responders) -> None:
    strict = _national(responders, True)
    e = new_event(10, NATIONAL, BurstParams())
    grow(e, NATIONAL)
    second = replace(NATIONAL, post_id=2, channel="weibo")
    assert judge(strict, grow(e, second), second, T0 + 60) is None
    assert not e.opening and e.incident_id is None
    # a later post naming a place in the city makes it the city's matter: it opens then
    local = replace(NATIONAL, post_id=3, region="qingshi-lingang")
    tr = judge(strict, grow(e, local), local, T0 + 120)
    assert tr is not None and tr.kind == "open" and tr.decision.opens


def test_a_12345_order_makes_an_event_local(responders: Responders) -> None:
    e = new_event(11, NATIONAL, BurstParams())
    grow(e, NATIONAL)
    order = replace(NATIONAL, post_id=2, channel="hotline", hotline_order_no="H9", hotline_urgency="一般")
    tr = judge(_national(responders, True), grow(e, order), order, T0 + 60)
    assert tr is not None and tr.decision.opens


def test_without_the_switch_national_news_opens_and_goes_to_the_duty_desk(responders: Responders) -> None:
    loose = _national(responders, False)
    e = new_event(12, NATIONAL, BurstParams())
    grow(e, NATIONAL)
    second = replace(NATIONAL, post_id=2, channel="weibo", text="某地发生爆炸")
    tr = judge(loose, grow(e, second), second, T0 + 60)
    assert tr is not None and tr.kind == "open" and tr.decision.opens
    rt = route(loose, route_request(e, tr.decision.grade))
    assert (rt.region, rt.lead) == (loose.city.id, "yingji")  # 爆炸 is 应急局's: it leads, city-wide
    unowned = route(loose, replace(route_request(e, tr.decision.grade), hazards=(), text="某地发生的事"))
    assert unowned.lead == loose.duty_desk.id  # unroutable: the duty desk, never dropped


def test_the_topic_confidence_is_the_mean_score_the_posts_give_the_topic() -> None:
    e = new_event(7, BASE, BurstParams())
    for i, (topic, score) in enumerate([("城乡建设", 0.9), ("城乡建设", 0.9), ("商贸旅游", 0.6)]):
        grow(e, replace(BASE, post_id=i + 1, topic=topic, topic_score=score))
    request = route_request(e, 4)
    assert request.topic == "城乡建设" and abs(request.topic_confidence - 0.6) < 1e-9
    assert route_request(new_event(8, BASE, BurstParams()), 4).topic_confidence == 0.0


def test_a_keyword_is_the_events_when_one_post_in_ten_says_it() -> None:
    e = new_event(7, BASE, BurstParams())
    grow(e, replace(BASE, keywords=("流浪", "救助")))
    assert route_request(e, 4).words == ("救助", "流浪")  # one post of one
    for i in range(2, 12):  # 11 posts: 流浪 said by two, 救助 by one, 医院 twice in one post
        grow(e, replace(BASE, post_id=i, keywords=("流浪", "医院", "医院") if i == 2 else ()))
    assert e.keywords == {"流浪": 2, "救助": 1, "医院": 1}
    assert route_request(e, 4).words == ("流浪",)
    again = EventState.from_row(7, e.first_seen, e.last_seen, e.title, e.post_count, e.to_json())
    assert again.keywords == e.keywords
    before = {k: v for k, v in e.to_json().items() if k != "keywords"}  # state stored before they counted
    assert EventState.from_row(7, T0, T0, "", 11, before).keywords == {}
