"""Single-pass grouping: repost chains, near-duplicates, decayed similarity, the window and aggregates."""

from __future__ import annotations

import itertools
from dataclasses import replace

from monitor.events.clusterer import GroupingParams, WindowIndex
from monitor.events.model import EventState, PostIn, channel_of

HOUR = 3600.0
T0 = 1_780_000_000.0
EXPLOSION = "云江市青石县临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援"
EXPLOSION_NEWS = "青石县临港化工园区化工厂爆炸事故：消防救援力量已赶赴现场处置，浓烟滚滚"
WATER = "江北区北湖街道多个小区停水三天了，自来水公司和物业互相推诿，居民生活受到严重影响"


def post(i: int, text: str, t: float = T0, **kw: object) -> PostIn:
    base = PostIn(
        post_id=i, source_id="weibo-kw", channel="weibo", external_id=f"m{i}", published=t, text=text
    )
    return replace(base, **kw)  # type: ignore[arg-type]


class Ids:
    def __init__(self) -> None:
        self._it = itertools.count(100)

    def __call__(self) -> int:
        return next(self._it)


def test_new_near_duplicate_similar_and_unrelated() -> None:
    idx, ids = WindowIndex(), Ids()
    first = idx.assign(post(1, EXPLOSION), None, ids)
    dup = idx.assign(post(2, EXPLOSION + "！", T0 + 60), None, ids)
    news = idx.assign(post(3, EXPLOSION_NEWS, T0 + 120, channel="news", source_id="news"), None, ids)
    other = idx.assign(post(4, WATER, T0 + 180), None, ids)
    assert (first.how, first.event_id) == ("new", 100)
    assert (dup.how, dup.event_id) == ("near_duplicate", 100)
    assert (news.how, news.event_id) == ("similar", 100)
    assert (other.how, other.event_id) == ("new", 101)
    e = idx.events[100]
    assert e.post_count == 3 and e.channels == {"weibo": 2, "news": 1}


def test_repost_follows_its_root_whatever_the_text() -> None:
    idx, ids = WindowIndex(), Ids()
    root = idx.assign(post(1, EXPLOSION), None, ids)
    j = idx.assign(post(2, "转发微博", T0 + 5, root_external_id="m1"), root.event_id, ids)
    assert (j.how, j.event_id, j.signature) == ("repost", root.event_id, None)


def test_similarity_decays_with_time_so_old_events_stop_attracting() -> None:
    params = GroupingParams(half_life_s=HOUR)
    idx, ids = WindowIndex(params), Ids()
    idx.assign(post(1, EXPLOSION), None, ids)
    late = idx.assign(post(2, EXPLOSION_NEWS, T0 + 10 * HOUR), None, ids)
    assert late.how == "new"
    idx2 = WindowIndex(GroupingParams(half_life_s=1000 * HOUR))
    idx2.assign(post(1, EXPLOSION), None, Ids())
    assert idx2.assign(post(2, EXPLOSION_NEWS, T0 + 10 * HOUR), None, Ids()).how == "similar"


def test_events_leave_the_window_and_identical_text_then_starts_a_new_event() -> None:
    idx, ids = WindowIndex(GroupingParams(window_s=2 * HOUR)), Ids()
    a = idx.assign(post(1, EXPLOSION), None, ids)
    idx.assign(post(2, WATER, T0 + 3 * HOUR), None, ids)
    assert idx.sweep() == 1 and a.event_id not in idx.events
    again = idx.assign(post(3, EXPLOSION, T0 + 3 * HOUR + 1), None, ids)
    assert again.how == "new" and again.event_id != a.event_id


def test_sweep_keeps_touched_events_and_caps_the_window() -> None:
    idx, ids = WindowIndex(GroupingParams(max_events=2)), Ids()
    for i, text in enumerate([EXPLOSION, WATER, "高新区一所学校食堂饭菜变质，多名学生腹泻就医"]):
        idx.assign(post(i, text, T0 + i), None, ids)
    assert idx.sweep(keep={100}) == 1
    assert set(idx.events) == {100, 102}


def test_short_texts_match_only_identical_text() -> None:
    idx, ids = WindowIndex(), Ids()
    a = idx.assign(post(1, "滨江停电了吗"), None, ids)
    b = idx.assign(post(2, "滨江停电了吗？", T0 + 1), None, ids)
    c = idx.assign(post(3, "滨江停水了吗", T0 + 2), None, ids)
    assert b.how == "near_duplicate" and b.event_id == a.event_id
    assert c.event_id != a.event_id


def test_aggregates_severity_orders_title_and_burst() -> None:
    idx, ids = WindowIndex(), Ids()
    sev = {"deaths": 2, "injured": "5", "hazards": ["爆炸"], "casualty_grade": 4, "official_account": False}
    idx.assign(post(1, EXPLOSION, negative=0.9, region="qingshi-lingang", severity=sev), None, ids)
    gov = {"deaths": 3, "hazards": ["爆炸", "泄漏"], "casualty_grade": 3}
    for i in range(2, 8):
        idx.assign(
            post(
                i,
                EXPLOSION + "!" * i,
                T0 + i,
                verified_type=1 if i == 2 else None,
                severity=gov,
                negative=0.5,
            ),
            None,
            ids,
        )
    idx.assign(
        post(9, "12345：临港化工园区爆炸后异味很重", T0 + 9, channel="hotline", hotline_order_no="A1"),
        None,
        ids,
    )
    e: EventState = idx.events[100]
    assert (e.deaths, e.injured, e.casualty_grade, e.hazards) == (3, 5, 3, ["爆炸", "泄漏"])
    assert e.hazard_posts == {"爆炸": 7, "泄漏": 6}  # how many posts name each: the hotline order names none
    assert e.official_posts == 1 and e.regions == {"qingshi-lingang": 1}
    assert e.title.startswith("云江市青石县") and e.title_weight == 3.0  # the government post's text
    assert e.burst.bursting
    assert e.negative_share == (0.9 + 6 * 0.5) / e.post_count


def test_channel_of_feed_flavours() -> None:
    assert channel_of("weibo") == "weibo"
    assert channel_of("feed", {"flavor": "wechat"}) == "wechat"
    assert channel_of("feed", {"flavor": "weibo_rsshub"}) == "weibo"
    assert channel_of("feed", {"flavor": "news"}) == "news"
    assert channel_of("hotline", {}) == "hotline"


def test_state_round_trips_through_json() -> None:
    idx, ids = WindowIndex(), Ids()
    idx.assign(post(1, EXPLOSION, severity={"deaths": 4, "hazards": ["爆炸"]}, region="qingshi"), None, ids)
    e = idx.events[100]
    back = EventState.from_row(
        e.id, e.first_seen, e.last_seen, e.title, e.post_count, e.to_json(), 5, 3, dict(e.centroid)
    )
    assert back.to_json() == e.to_json() and back.centroid == e.centroid
    assert (back.incident_id, back.grade) == (5, 3)
    assert back.centroid_norm > 0 and back.burst == e.burst
    stored_before_counts = {k: v for k, v in e.to_json().items() if k != "hazard_posts"}
    old = EventState.from_row(e.id, e.first_seen, e.last_seen, e.title, e.post_count, stored_before_counts)
    assert old.hazard_posts == {"爆炸": 1}  # an event stored before the counts: each hazard named once


def test_the_seriously_injured_are_the_largest_count_any_post_grades() -> None:
    idx, ids = WindowIndex(), Ids()
    # the first post says how badly (57 hurt, 5 重伤); the second does not, so all its 20 count
    idx.assign(post(1, EXPLOSION, severity={"injured": 57, "serious": 5}), None, ids)
    assert idx.events[100].serious == 5
    idx.assign(post(2, EXPLOSION + "！", T0 + 1, severity={"injured": 20}), None, ids)
    e = idx.events[100]
    assert (e.injured, e.serious) == (57, 20)
    stored_before = {k: v for k, v in e.to_json().items() if k != "serious"}
    old = EventState.from_row(e.id, e.first_seen, e.last_seen, e.title, e.post_count, stored_before)
    assert old.serious == 57  # an event stored before 重伤 was told apart: every injured person counts


def test_the_first_12345_dispatch_is_the_events_and_is_kept_in_its_state() -> None:
    idx, ids = WindowIndex(), Ids()
    order = "12345：望江花园小区自来水发黄有异味，不敢给孩子喝"
    first = post(1, order, channel="hotline", hotline_order_no="A1", hotline_unit="云江市水务局")
    idx.assign(replace(first, hotline_assist=("生态环境局",)), None, ids)
    later = post(
        2, order + "！", T0 + 1, channel="hotline", hotline_order_no="A2", hotline_unit="滨江区住建局"
    )
    idx.assign(later, None, ids)
    e = idx.events[100]
    assert e.post_count == 2 and (e.hotline_unit, e.hotline_assist) == ("云江市水务局", ["生态环境局"])
    back = EventState.from_row(e.id, e.first_seen, e.last_seen, e.title, e.post_count, e.to_json())
    assert (back.hotline_unit, back.hotline_assist) == ("云江市水务局", ["生态环境局"])
    stored_before = {k: v for k, v in e.to_json().items() if k not in ("hotline_unit", "hotline_assist")}
    old = EventState.from_row(e.id, 0.0, 0.0, "", 2, stored_before)
    assert (old.hotline_unit, old.hotline_assist) == (None, [])
