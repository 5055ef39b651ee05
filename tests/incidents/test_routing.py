"""Routing (pure): 属地管理、分级负责、谁主管谁负责 and every special case, with reasons."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitor.config.responders import Responders
from monitor.incidents.routing import (
    Route,
    RouteRequest,
    dispatched_department,
    hazards_without_lead,
    jurisdiction,
    route,
)


def roles(rt: Route) -> dict[str, str]:
    return dict(rt.departments)


def test_region_picks_the_most_specific_owner(responders: Responders) -> None:
    rt = route(
        responders, RouteRequest(topic="城乡建设", regions=("binjiang-jiangbin",), text="小区物业不作为")
    )
    assert rt.lead == "binjiang-zhujian" and rt.region == "binjiang-jiangbin"
    assert any("主管部门" in x for x in rt.reasons)
    elsewhere = route(responders, RouteRequest(topic="城乡建设", regions=("jiangbei",)))
    assert elsewhere.lead == "zhujian"


def test_topic_picks_the_owner(responders: Responders) -> None:
    for topic, lead in [("环境保护", "shengtai"), ("交通运输", "jiaotong"), ("卫生计生", "weijian")]:
        assert route(responders, RouteRequest(topic=topic, regions=("jiangbei",))).lead == lead


def test_keywords_route_when_the_topic_is_unknown(responders: Responders) -> None:
    rt = route(responders, RouteRequest(topic="其他", regions=("yunshan",), text="桃溪镇发生山体滑坡"))
    assert rt.lead == "ziran"


def test_several_departments_one_lead_and_supporting(responders: Responders) -> None:
    req = RouteRequest(topic="安全生产/应急", regions=("qingshi-lingang",), text="化工厂爆炸后河道污染、异味")
    rt = route(responders, req)
    assert rt.lead == "yingji"
    assert roles(rt)["shengtai"] == "support"
    assert list(roles(rt).values()).count("lead") == 1


def test_several_regions_the_higher_level_owner_leads(responders: Responders) -> None:
    req = RouteRequest(topic="城乡建设", regions=("binjiang-jiangbin", "jiangbei-beihu"), text="物业")
    rt = route(responders, req)
    assert rt.lead == "zhujian" and rt.region == "yunjiang"
    assert roles(rt)["binjiang-zhujian"] == "support"  # the local office still helps
    assert any("多个属地" in x for x in rt.reasons)


def test_a_place_and_its_parent_count_as_one_place(responders: Responders) -> None:
    reasons: list[str] = []
    assert (
        jurisdiction(responders, ("yunjiang", "binjiang", "binjiang-wangjiang"), reasons)
        == "binjiang-wangjiang"
    )


def test_vertical_department_goes_to_the_higher_level_office(responders: Responders) -> None:
    rt = route(responders, RouteRequest(topic="气象", regions=("yunshan",), text="暴雨预警"))
    assert rt.lead == "zhengfuban" and roles(rt)["qixiang"] == "support"
    assert any("垂直管理" in x for x in rt.reasons)


@pytest.mark.parametrize("grade", [1, 2])
def test_major_grades_add_duty_desk_and_press_office_and_move_up_a_level(
    responders: Responders, grade: int
) -> None:
    rt = route(responders, RouteRequest(topic="城乡建设", regions=("binjiang",), grade=grade, text="小区"))
    assert rt.lead == "zhujian"  # 分级负责: Ⅰ/Ⅱ is the city department's
    r = roles(rt)
    assert r["binjiang-zhujian"] == "support"
    assert r["zhengfuban"] == "coordinator" and r["xuanchuan"] == "support"


@pytest.mark.parametrize("grade", [3, 4])
def test_ordinary_grades_stay_local_without_the_duty_desk(responders: Responders, grade: int) -> None:
    rt = route(responders, RouteRequest(topic="城乡建设", regions=("binjiang",), grade=grade))
    assert rt.lead == "binjiang-zhujian"
    assert "zhengfuban" not in roles(rt) and "xuanchuan" not in roles(rt)


def test_unroutable_goes_to_the_duty_desk_never_dropped(responders: Responders) -> None:
    rt = route(responders, RouteRequest(topic="其他", regions=("binjiang",), text="今天天气不错"))
    assert rt.lead == "zhengfuban" and roles(rt) == {"zhengfuban": "lead"}
    assert any("兜底" in x for x in rt.reasons)


def test_owner_without_jurisdiction_there_goes_to_the_duty_desk(responders: Responders) -> None:
    only_binjiang = responders.departments["binjiang-zhujian"]
    departments = {k: v for k, v in responders.departments.items() if k not in ("zhujian",)}
    departments["binjiang-zhujian"] = only_binjiang.model_copy(update={"parent": None})
    r = replace(responders, departments=departments)
    rt = route(r, RouteRequest(topic="城乡建设", regions=("jiangbei",)))
    assert rt.lead == "zhengfuban"
    assert any("无管辖" in x for x in rt.reasons)
    # when the desk leads for want of a claim elsewhere, its reason says who has no jurisdiction there too
    guess = RouteRequest(topic="城乡建设", regions=("jiangbei",), department_hint="shengtai")
    why = [x for x in route(r, guess).reasons if x.startswith("主管部门不明：")]
    assert len(why) == 1 and "（滨江区住房和城乡建设局对该属地无管辖） → " in why[0], why


def test_unknown_or_missing_region_falls_back_to_the_city(responders: Responders) -> None:
    rt = route(responders, RouteRequest(topic="环境保护", regions=("atlantis",)))
    assert rt.region == "yunjiang" and rt.lead == "shengtai"
    assert any("未知属地" in x for x in rt.reasons) and any("属地不明" in x for x in rt.reasons)


def test_12345_handler_unit_is_the_lead_when_given(responders: Responders) -> None:
    rt = route(responders, RouteRequest(topic="环境保护", regions=("jiangbei",), preferred_lead="shuiwu"))
    assert rt.lead == "shuiwu" and roles(rt)["shengtai"] == "support"


def test_analyser_department_breaks_a_tie_between_keyword_owners(responders: Responders) -> None:
    req = RouteRequest(topic=None, regions=("jiangbei",), text="停水", department_hint="shuiwu")
    assert route(responders, req).lead == "shuiwu"


def test_an_emergency_is_led_by_the_department_owning_its_hazard(responders: Responders) -> None:
    req = RouteRequest(
        topic="环境保护",
        regions=("qingshi-lingang",),
        text="化工厂爆炸后河道污染",
        department_hint="shengtai",
        hazards=("爆炸",),
    )
    rt = route(responders, req)
    assert rt.lead == "yingji" and roles(rt)["shengtai"] == "support"
    assert any("险情" in x for x in rt.reasons)
    assert route(responders, replace(req, hazards=())).lead == "shengtai"


@pytest.mark.parametrize(
    ("text", "topic", "hazard", "lead"),
    [
        # the text never says the 险情's name: 车祸 is a 交通事故, 滑坡 a 自然灾害, 落水 溺水
        ("滨江区一路口两车相撞", "城乡建设", "交通事故", "gongan"),
        ("云山县发生山体滑坡，3人被困", "商贸旅游", "自然灾害", "yingji"),
        ("青石县两名儿童在河边玩耍时落水", "教育文体", "溺水", "yingji"),
        ("滨江区一居民楼有人跳楼", "劳动和社会保障", "坠楼", "gongan"),
    ],
)
def test_the_owner_of_a_hazard_that_opened_the_incident_leads_it_though_the_text_never_names_it(
    responders: Responders, text: str, topic: str, hazard: str, lead: str
) -> None:
    req = RouteRequest(topic=topic, regions=("binjiang",), text=text, hazards=(hazard,))
    rt = route(responders, req)
    assert rt.lead == lead
    assert any(f"主管险情：{hazard}" in x for x in rt.reasons), rt.reasons
    # only mentioned (a 12345 complaint's 火灾隐患, 交通事故频发): the topic's department keeps it
    assert route(responders, replace(req, hazards=())).lead != lead


def test_the_hazards_no_department_leads_are_listed(responders: Responders) -> None:
    found = ["爆炸", "交通事故", "中毒", "群体性事件"]
    assert hazards_without_lead(responders, found) == ["中毒", "群体性事件"]


def test_a_topic_guess_alone_names_no_supporting_department(responders: Responders) -> None:
    # a landslide: 应急管理局 leads its 险情; the topic model, which knows only 12345 complaints' seven
    # classes, guesses 商贸旅游 at 0.28 (the replay's 巴基斯坦地震 thread paged 商务文旅局 as 协办)
    req = RouteRequest(
        topic="商贸旅游",
        topic_confidence=0.28,
        regions=("yunshan",),
        text="云山县发生山体滑坡，3人被困",
        hazards=("自然灾害",),
    )
    rt = route(responders, req)
    assert rt.lead == "yingji" and "shangwen" not in roles(rt)
    assert any(x.startswith("未列为协办") and "商务和文化旅游局" in x and "0.28" in x for x in rt.reasons)
    # the same topic when the analysis is sure of it, or the department's own words, do name it
    assert roles(route(responders, replace(req, topic_confidence=0.8)))["shangwen"] == "support"
    at_a_resort = replace(req, text="云山县景区发生山体滑坡，3名游客被困")
    assert roles(route(responders, at_a_resort))["shangwen"] == "support"


def test_the_analysers_pick_alone_names_no_supporting_department(responders: Responders) -> None:
    req = RouteRequest(topic="城乡建设", regions=("jiangbei",), text="小区物业", department_hint="shengtai")
    rt = route(responders, req)
    assert rt.lead == "zhujian" and "shengtai" not in roles(rt)
    assert any(x.startswith("未列为协办") and "生态环境局" in x for x in rt.reasons)


def test_a_topic_guess_alone_does_not_lead_the_duty_desk_looks_at_it(responders: Responders) -> None:
    # a viral thread the model reads as 城乡建设 at 0.13, with no word of any department's
    req = RouteRequest(
        topic="城乡建设", topic_confidence=0.13, regions=("jiangbei",), department_hint="zhujian"
    )
    rt = route(responders, req)
    assert rt.lead == "zhengfuban" and "zhujian" not in roles(rt)
    assert any(
        x.startswith("主管部门不明：云江市住房和城乡建设局仅凭推测") and "可改派" in x for x in rt.reasons
    )
    assert not any(x.startswith("未列为协办") for x in rt.reasons)  # the guess is named once
    # every labelled 12345 message scores 0.3 or more for its own topic: from there the topic leads
    fair = route(responders, replace(req, topic_confidence=0.35))
    assert fair.lead == "zhujian" and any("置信0.35" in x for x in fair.reasons)
    # and a department's own words lead whatever the topic model thinks
    assert route(responders, replace(req, text="小区电梯故障")).lead == "zhujian"


@pytest.mark.parametrize(
    ("unit", "lead"),
    [
        ("云江市水务局", "shuiwu"),  # its name
        ("水务局", "shuiwu"),  # its short name
        ("云江水务集团", "shuiwu"),  # an alias in shuiwu.yaml
        (" 云江市 水务局 ", "shuiwu"),  # spaces as a platform pads them
        ("滨江区住建局", "binjiang-zhujian"),  # the district office, not the city's 住建局
        ("滨江区住建局望江所", "binjiang-zhujian"),  # the longest name the unit contains
        ("市住建局", "zhujian"),
        ("望江街道办事处", None),  # no department of that name: topic and keywords decide
        ("", None),
    ],
)
def test_the_department_a_12345_dispatch_names(responders: Responders, unit: str, lead: str | None) -> None:
    assert dispatched_department(responders, unit) == lead


def test_a_12345_order_is_led_by_the_unit_the_hotline_dispatched_it_to(responders: Responders) -> None:
    req = RouteRequest(
        topic="城乡建设", regions=("binjiang",), text="小区门口垃圾堆积", dispatched_to="云江水务集团"
    )
    rt = route(responders, req)
    assert rt.lead == "shuiwu" and roles(rt)["binjiang-zhujian"] == "support"
    assert any("12345派单至“云江水务集团” → 主办：云江市水务局" in x for x in rt.reasons)
    unknown = route(responders, replace(req, dispatched_to="望江街道办事处"))
    assert unknown.lead == "binjiang-zhujian"
    assert any("“望江街道办事处”不对应任何一个部门" in x and "aliases" in x for x in unknown.reasons)


def test_a_post_naming_a_bureau_calls_on_it(responders: Responders) -> None:
    text = "望江花园小区的事拖了一个月，云江市水务局能不能出来说明一下"
    rt = route(responders, RouteRequest(topic="城乡建设", regions=("binjiang",), text=text))
    assert rt.lead == "binjiang-zhujian" and roles(rt)["shuiwu"] == "support"
    # its name counts once, the longest form found (云江市水务局, not also 水务局)
    assert any(x == "协办：云江市水务局（关键词：云江市水务局）" for x in rt.reasons), rt.reasons


def test_the_units_a_12345_order_was_dispatched_to_help_support(responders: Responders) -> None:
    req = RouteRequest(
        topic="水务",
        regions=("binjiang",),
        text="望江花园小区自来水发黄",
        dispatched_to="水务局",
        dispatched_support=("滨江区住建局", "望江街道"),
    )
    rt = route(responders, req)
    assert rt.lead == "shuiwu" and roles(rt)["binjiang-zhujian"] == "support"
    assert "zhujian" not in roles(rt)  # the city's 住建局 is the same line as the district office helping
    assert any(x == "12345派单协办：滨江区住建局 → 滨江区住房和城乡建设局" for x in rt.reasons)
    assert any("12345协办单位“望江街道”不对应任何一个部门" in x for x in rt.reasons)


def test_a_word_only_other_posts_say_is_named_for_the_duty_desk_not_paged(responders: Responders) -> None:
    # the replay's "儿童流落街头" thread: its title (the weightiest post) never says 流浪, some posts do
    req = RouteRequest(
        topic="教育文体", topic_confidence=0.12, regions=("jiangbei",), text="街头发现一名儿童无人照看"
    )
    rt = route(responders, replace(req, words=("流浪", "救助", "水务局")))
    assert rt.lead == "zhengfuban" and set(roles(rt)) == {"zhengfuban"}  # a hint pages no one
    assert any(x.startswith("未列为协办") and "云江市民政局（帖文提及：救助、流浪）" in x for x in rt.reasons)
    assert any(x.startswith("未列为协办") and "（帖文提及：水务局）" in x for x in rt.reasons)  # its name too
    # the guess the desk weighs first, then the others named, for the console's 改派 and 加派 forms
    assert rt.candidates[0] == "jiaoti" and set(rt.candidates) == {"jiaoti", "minzheng", "shuiwu"}
    assert not set(rt.candidates) & set(roles(rt))
    # a word the title says is evidence, and is not repeated as a hint
    titled = route(responders, replace(req, text="街头流浪儿童无人照看", words=("流浪", "救助")))
    assert titled.lead == "minzheng"
    assert any(x.startswith("主管部门：云江市民政局（关键词：流浪；帖文提及：救助）") for x in titled.reasons)
    # hints break a tie between the title's keywords; four of them weigh less than one more keyword
    tie = replace(req, topic="其他", text="学校门口流浪儿童")
    assert route(responders, tie).lead == "jiaoti"  # 学校 against 流浪: 教体 by its id
    hinted = replace(tie, words=("救助", "低保", "养老院", "孤儿"))
    assert route(responders, hinted).lead == "minzheng"
    assert route(responders, replace(hinted, text="学校门口流浪学生")).lead == "jiaoti"  # 学校、学生
