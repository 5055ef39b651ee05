"""`yuqing route`'s dry run (pure, with a rule analyser): analysis, grade, route, clocks and chains."""

from __future__ import annotations

from monitor.commands.route import render
from monitor.config.responders import Responders
from monitor.incidents.dry_run import Arrival, dry_run
from tests.events.fakes import RuleAnalyzer

TEXT = "青石县临港化工园区化工厂爆炸，已造成死亡12人，河道有污染"


def test_dry_run_explains_grade_route_clocks_and_chains(responders: Responders) -> None:
    analysis = RuleAnalyzer(responders).analyze(TEXT)
    alone = dry_run(responders, TEXT, analysis)
    assert alone["grade"]["grade"] == "II" and not alone["grade"]["opens_incident"]  # one unvouched post
    out = dry_run(responders, TEXT, analysis, Arrival(verified_type=1))
    assert out["analysis"]["region"] == "qingshi-lingang" and out["analysis"]["topic"] == "安全生产/应急"
    assert out["grade"]["grade"] == "II" and out["grade"]["opens_incident"]
    assert any(x["code"] == "casualties" for x in out["grade"]["reasons"])
    roles = {d["id"]: d["role"] for d in out["route"]["departments"]}
    assert out["route"]["lead"] == "yingji" and roles["shengtai"] == "support"
    assert roles["zhengfuban"] == "coordinator" and roles["xuanchuan"] == "support"
    assert [c["kind"] for c in out["clocks"]] == ["statement", "press_conference"]
    assert "yingji" in out["chains"] and out["breach_escalation"][0] == ["person:yingji.head"]
    text = render(out, responders)
    assert "Ⅱ级 重大" in text and "主办 云江市应急管理局" in text and "发布权威信息：5h" in text


def test_region_override_and_hotline_urgency(responders: Responders) -> None:
    text = "路灯坏了很久没人修"
    analysis = RuleAnalyzer(responders).analyze(text)
    out = dry_run(responders, text, analysis, Arrival(region="jiangbei", hotline_urgency="紧急"))
    assert out["analysis"]["region_used"] == "jiangbei" and out["route"]["region"] == "jiangbei"
    assert out["grade"]["opens_incident"] and out["grade"]["reasons"][0]["code"] == "hotline_urgency"
    assert ("hotline", 7200.0) in [(c["kind"], c["within_s"]) for c in out["clocks"]]
    # nobody owns street lights in this city: the duty desk takes it, it is never dropped
    assert out["route"]["lead"] == "zhengfuban"


def test_a_word_past_the_title_is_named_as_a_candidate_not_paged(responders: Responders) -> None:
    text = TEXT + "。" + "现场" * 40 + "，附近有流浪人员受伤"  # 流浪 after the 80 characters of the title
    out = dry_run(responders, text, RuleAnalyzer(responders).analyze(text), Arrival(verified_type=1))
    assert {"id": "minzheng", "name": "云江市民政局"} in out["route"]["candidates"]
    assert "minzheng" not in {d["id"] for d in out["route"]["departments"]}
    assert any(x.endswith("云江市民政局（帖文提及：流浪）") for x in out["route"]["reasons"])
