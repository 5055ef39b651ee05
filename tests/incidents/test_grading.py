"""Grading (pure): thresholds from policy.grading, casualty criteria only raise, every step has a reason."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import ValidationError

from monitor.config.policy import GradingPolicy
from monitor.config.responders import Responders
from monitor.incidents.grading import Decision, Signals, casualty_grade, grade_event, upgrade_to

QUIET = Signals(posts=1, heat=2.0, negative_share=0.2)
ANGRY = Signals(posts=5, heat=40.0, negative_share=0.8)
BOTH = (("坍塌", 2), ("疫情", 2))


def grade(r: Responders, s: Signals, **policy: object) -> Decision:
    p = r.policy.grading.model_copy(update=policy) if policy else r.policy.grading
    return grade_event(s, p, r.policy.casualty_criteria)


def codes(d: Decision) -> list[str]:
    return [x.code for x in (*d.open_reasons, *d.reasons)]


@pytest.mark.parametrize(
    ("signals", "opens", "grade_no", "open_code"),
    [
        (QUIET, False, 4, None),
        (ANGRY, True, 4, "open_heat"),
        (replace(ANGRY, negative_share=0.3), False, 4, None),  # loud but not negative: not an incident
        (replace(ANGRY, posts=2), False, 4, None),  # below open_min_posts
        (replace(ANGRY, heat=250.0), True, 3, "open_heat"),
        (replace(ANGRY, heat=1500.0), True, 2, "open_heat"),
        # heat alone stops at Ⅱ: Ⅰ 特别重大 needs the objective criteria (the shipped policy has no Ⅰ heat)
        (replace(ANGRY, heat=60000.0), True, 2, "open_heat"),
        (replace(QUIET, posts=4, negative_share=0.7, bursting=True), True, 3, "open_burst"),
        (replace(QUIET, posts=2, hazards=("爆炸",), negative_share=0.8), True, 3, "open_hazard"),
        (
            replace(QUIET, posts=1, hazards=("爆炸",), negative_share=0.8),
            False,
            3,
            None,
        ),  # one post alone: no
        (
            replace(QUIET, posts=1, hazards=("爆炸",), media_posts=1, negative_share=0.8),
            True,
            3,
            "open_hazard",
        ),
        (replace(QUIET, posts=9, hazards=("疫情",), negative_share=0.2), False, 3, None),  # calm 防疫 advice
        # news reports an explosion or a collapse calmly (0.1-0.45 negative): still an incident
        (
            replace(QUIET, posts=2, hazards=("爆炸",), hazard_posts=(("爆炸", 2),), negative_share=0.3),
            True,
            3,
            "open_hazard",
        ),
        (
            replace(QUIET, posts=2, hazards=("坍塌", "疫情"), hazard_posts=BOTH, negative_share=0.15),
            True,
            3,
            "open_hazard",
        ),
        (  # 防火小知识: posts under factual_hazard_min_negative read as advice
            replace(QUIET, posts=2, hazards=("火灾",), hazard_posts=(("火灾", 2),), negative_share=0.05),
            False,
            3,
            None,
        ),
        # one calm bulletin is information already given; a second post makes it public opinion
        (
            replace(
                QUIET,
                posts=1,
                hazards=("火灾",),
                hazard_posts=(("火灾", 1),),
                official_posts=1,
                negative_share=0.3,
            ),
            False,
            3,
            None,
        ),
        # 冲突, 维权: everyday words, so a calm 群体性事件 is no incident
        (
            replace(
                QUIET, posts=9, hazards=("群体性事件",), hazard_posts=(("群体性事件", 9),), negative_share=0.3
            ),
            False,
            3,
            None,
        ),
        (replace(QUIET, posts=2, deaths=1), True, 4, "open_casualties"),
        (replace(QUIET, posts=2, deaths=3), True, 3, "open_casualties"),
        (replace(QUIET, posts=2, deaths=12), True, 2, "open_casualties"),
        (replace(QUIET, posts=2, injured=120), True, 1, "open_casualties"),
        (replace(QUIET, posts=2, casualty_grade=2), True, 2, "open_casualties"),
        (replace(QUIET, posts=1, deaths=40), False, 1, None),  # one unvouched claim of deaths: not yet
        (replace(QUIET, posts=1, deaths=40, official_posts=1), True, 1, "open_casualties"),
        (replace(ANGRY, channels=("hotline", "news", "weibo")), True, 3, "open_corroborated"),
    ],
)
def test_grade_table(
    responders: Responders, signals: Signals, opens: bool, grade_no: int, open_code: str | None
) -> None:
    d = grade(responders, signals)
    assert (d.opens, d.grade) == (opens, grade_no)
    if open_code is not None:
        assert open_code in codes(d)
    assert d.reasons, "every decision says why"


def test_casualty_grade_can_only_raise(responders: Responders) -> None:
    hot = replace(ANGRY, heat=6000.0, deaths=1)
    d = grade(responders, hot)
    assert d.grade == 2 and "casualties" not in codes(d)
    d = grade(responders, replace(ANGRY, heat=250.0, deaths=10))
    assert d.grade == 2 and codes(d)[-1] == "casualties"


def test_a_casualty_criterion_met_at_the_grade_reached_is_still_a_reason(responders: Responders) -> None:
    # 爆炸 alone reaches Ⅲ; three deaths meet the 493号 table's Ⅲ too, and that is the reason to cite
    d = grade(responders, replace(ANGRY, hazards=("爆炸",), deaths=3))
    assert d.grade == 3
    assert [(r.code, r.grade) for r in d.reasons] == [("hazard", 3), ("casualties", 3)]
    assert "死亡3人" in d.reasons[-1].message


@pytest.mark.parametrize(
    ("deaths", "injured", "missing", "expected"),
    [
        (0, 0, 0, None),
        (1, 0, 0, 4),
        (2, 9, 0, 4),
        (3, 0, 0, 3),
        (0, 10, 0, 3),
        (9, 49, 0, 3),
        (10, 0, 0, 2),
        (0, 50, 0, 2),
        (29, 99, 0, 2),
        (30, 0, 0, 1),
        (0, 100, 0, 1),
        (0, 0, 5, None),
    ],
)
def test_casualty_criteria_boundaries_include_the_number(
    responders: Responders, deaths: int, injured: int, missing: int, expected: int | None
) -> None:
    """国务院令493号: "以上"包括本数, so 3 deaths is 较大 and 10 is 重大."""
    assert casualty_grade(deaths, injured, missing, responders.policy.casualty_criteria)[0] == expected


def test_corroboration_raises_one_grade_but_not_above_its_cap(responders: Responders) -> None:
    three = ("news", "wechat", "weibo")
    assert grade(responders, replace(ANGRY, heat=250.0, channels=three)).grade == 2
    assert grade(responders, replace(ANGRY, heat=1500.0, channels=three)).grade == 2  # cap Ⅱ
    assert grade(responders, replace(ANGRY, channels=("news", "weibo"))).grade == 4
    assert grade(responders, replace(ANGRY, channels=three), corroboration_sources=4).grade == 4


def test_policy_fields_change_the_outcome(responders: Responders) -> None:
    hazard = replace(QUIET, posts=2, hazards=("爆炸",), negative_share=0.8)
    assert grade(responders, hazard, hazard_raises_to=None).grade == 4
    assert grade(responders, replace(QUIET, posts=2, deaths=1), open_on_casualties=False).opens is False
    assert grade(responders, replace(QUIET, posts=1, deaths=1), casualty_open_min_posts=1).opens
    assert grade(responders, ANGRY, open_min_heat=100.0).opens is False
    assert grade(responders, replace(ANGRY, bursting=True), burst_raises_to="II").grade == 2


def test_calm_reports_open_only_for_the_factual_hazards_the_policy_names(responders: Responders) -> None:
    calm = replace(QUIET, posts=2, hazards=("坍塌", "疫情"), hazard_posts=BOTH, negative_share=0.3)
    opened = grade(responders, calm)
    assert [r.message for r in opened.open_reasons] == ["险情：坍塌，负面占比30%"]
    assert grade(responders, calm, factual_hazards=()).opens is False
    assert grade(responders, calm, factual_hazard_min_negative=0.4).opens is False
    assert grade(responders, replace(calm, hazards=("疫情",)), factual_hazards=("疫情",)).opens


def test_a_calm_hazard_must_be_what_the_posts_are_about(responders: Responders) -> None:
    # one comment saying 火灾 in a 600-post thread about house prices is not a fire
    thread = replace(QUIET, posts=600, hazards=("火灾",), hazard_posts=(("火灾", 3),), negative_share=0.3)
    assert grade(responders, thread).opens is False
    assert grade(responders, replace(thread, hazard_posts=(("火灾", 200),))).opens
    assert grade(responders, thread, factual_hazard_min_share=0.0).opens


def test_factual_hazards_must_be_in_the_hazard_table() -> None:
    with pytest.raises(ValidationError, match=r"unknown 险情 爆破.*the hazard table has: 爆炸"):
        GradingPolicy(factual_hazards=("爆炸", "爆破"))


def test_defaults_exist_without_a_grading_section() -> None:
    p = GradingPolicy()
    assert p.corroboration_raises_to == "II" and p.hazard_raises_to == "III" and p.open_on_casualties


@pytest.mark.parametrize(
    ("current", "computed", "expected"), [(4, 3, 3), (3, 3, None), (2, 4, None), (3, 1, 1)]
)
def test_upgrade_never_downgrades(current: int, computed: int, expected: int | None) -> None:
    assert upgrade_to(current, Decision(True, computed)) == expected


def test_an_event_about_no_local_place_is_held_when_the_policy_requires_one(responders: Responders) -> None:
    angry = Signals(posts=5, heat=500.0, negative_share=0.9, hazards=("爆炸",), local=False)
    strict = responders.policy.grading
    assert strict.require_local_region  # the shipped default: a city office answers for its own city
    held = grade_event(angry, strict, responders.policy.casualty_criteria)
    assert not held.opens and [r.code for r in held.held] == ["not_local"] and held.grade == 3
    loose = grade_event(
        angry, strict.model_copy(update={"require_local_region": False}), responders.policy.casualty_criteria
    )
    assert loose.opens and not loose.held and loose.grade == held.grade
    local = grade_event(replace(angry, local=True), strict, responders.policy.casualty_criteria)
    assert local.opens


def test_the_decision_names_the_hazards_that_opened_it(responders: Responders) -> None:
    angry = replace(ANGRY, hazards=("交通事故", "疫情"), hazard_posts=(("交通事故", 5), ("疫情", 1)))
    assert grade(responders, angry).hazards == ("交通事故", "疫情")
    # calm: only the factual hazards open, and only they are named
    calm = replace(QUIET, posts=5, hazards=("坍塌", "疫情"), hazard_posts=BOTH, negative_share=0.3)
    assert grade(responders, calm).hazards == ("坍塌",)
    assert grade(responders, replace(QUIET, hazards=("疫情",))).hazards == ()  # mentioned, did not open
    # a calm report of an earthquake's dead opens on the casualties: the quake is the emergency
    quake = grade(responders, replace(QUIET, posts=3, deaths=5, hazards=("自然灾害",)))
    assert quake.opens and quake.hazards == ("自然灾害",)
    far = grade(responders, replace(angry, local=False))  # held: no incident, so no emergency
    assert not far.opens and far.hazards == ()


def test_the_seriously_injured_are_graded_when_the_posts_say_how_many(responders: Responders) -> None:
    # 57 injured of whom 5 重伤: 493号's Ⅳ, not the Ⅱ that 57 would reach; the reason names 重伤
    told = grade(responders, replace(QUIET, posts=2, injured=57, serious=5))
    assert told.grade == 4 and "重伤5人≥1" in told.reasons[-1].message
    assert grade(responders, replace(QUIET, posts=2, injured=57)).grade == 2  # not said: all count
    assert grade(responders, replace(QUIET, posts=2, injured=57, serious=57)).grade == 2
    light = grade(responders, replace(QUIET, posts=2, injured=108, serious=0))  # 108人轻伤
    assert light.grade == 4 and light.opens  # still casualties, and they open


def test_the_casualty_reason_names_only_the_counts_reported(responders: Responders):
    def said(s: Signals) -> list[str]:
        return [r.message for r in grade(responders, s).open_reasons if r.code == "open_casualties"]

    assert said(replace(QUIET, posts=2, deaths=3)) == ["出现伤亡（死亡3人）"]
    assert said(replace(QUIET, posts=2, deaths=1, missing=2)) == ["出现伤亡（死亡1人、失踪2人）"]
    assert said(replace(QUIET, posts=2, casualty_grade=2)) == ["出现伤亡（人数未报）"]
