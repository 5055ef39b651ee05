"""Topic rules: model probabilities combined with responder keywords, and the owning department."""

from __future__ import annotations

from monitor.text.topics import (
    MODEL_TOPIC_KEYWORD_WEIGHT,
    RULE_TOPIC_KEYWORD_WEIGHT,
    DepartmentInfo,
    KeywordRule,
    KeywordRules,
    choose_department,
    decide_topic,
    segmented_document,
    topic_document,
)

MODEL = {"城乡建设": 0.6, "环境保护": 0.3, "交通运输": 0.1}


def test_model_alone_decides_without_keywords() -> None:
    d = decide_topic(MODEL, {})
    assert (d.topic, d.source) == ("城乡建设", "model")
    assert d.score == 0.6


def test_keywords_name_a_topic_the_model_does_not_know() -> None:
    d = decide_topic(MODEL, {"安全生产/应急": ["爆炸", "坍塌", "伤亡"]})
    assert (d.topic, d.source) == ("安全生产/应急", "keywords")
    assert 0 < d.score <= 1


def test_one_keyword_does_not_override_a_confident_model() -> None:
    d = decide_topic({"城乡建设": 0.9, "环境保护": 0.1}, {"公安/治安": ["报警"]})
    assert d.topic == "城乡建设"
    assert d.score < 0.9  # the keyword's evidence is counted in the denominator


def test_keywords_can_tip_between_close_model_topics() -> None:
    close = {"城乡建设": 0.45, "环境保护": 0.4, "交通运输": 0.15}
    assert close["环境保护"] + MODEL_TOPIC_KEYWORD_WEIGHT > close["城乡建设"]
    d = decide_topic(close, {"环境保护": ["污染"]})
    assert (d.topic, d.source) == ("环境保护", "model+keywords")
    assert decide_topic(MODEL, {"环境保护": ["污染"]}).topic == "城乡建设"  # not when the model is clear


def test_two_rule_keywords_outweigh_a_fairly_sure_model() -> None:
    assert 2 * RULE_TOPIC_KEYWORD_WEIGHT > 0.6
    assert decide_topic(MODEL, {"水务": ["停水", "供水"]}).topic == "水务"


def test_keyword_rules_match_once_per_word() -> None:
    rules = KeywordRules(
        [
            KeywordRule("爆炸", "yingji", ("安全生产/应急",)),
            KeywordRule("化工厂", "yingji", ("安全生产/应急",)),
            KeywordRule("污染", "shengtai", ("环境保护",)),
        ]
    )
    by_topic, by_dept = rules.match("化工厂爆炸，爆炸后污染河道")
    assert by_topic == {"安全生产/应急": ["化工厂", "爆炸"], "环境保护": ["污染"]}
    assert by_dept == {"yingji": ["化工厂", "爆炸"], "shengtai": ["污染"]}


DEPARTMENTS = [
    DepartmentInfo("zhujian", ("城乡建设",), ("city",)),
    DepartmentInfo("binjiang-zhujian", ("城乡建设",), ("binjiang",)),
    DepartmentInfo("yingji", ("安全生产/应急",), ("city",)),
]


def test_department_nearest_the_region() -> None:
    assert (
        choose_department("城乡建设", ["jiangbin", "binjiang", "city"], DEPARTMENTS, {})[0]
        == "binjiang-zhujian"
    )
    assert choose_department("城乡建设", ["jiangbei", "city"], DEPARTMENTS, {})[0] == "zhujian"
    assert choose_department("城乡建设", [], DEPARTMENTS, {})[0] == "zhujian"
    assert choose_department("安全生产/应急", ["binjiang", "city"], DEPARTMENTS, {})[0] == "yingji"


def test_no_owner_gives_none_with_a_reason() -> None:
    dept, reason = choose_department("民政", ["city"], DEPARTMENTS, {})
    assert dept is None and reason is not None and "民政" in reason


def test_topic_document_drops_stopwords_and_punctuation() -> None:
    doc = topic_document(["小区", "的", "物业", "，", "乱收费", "！"], frozenset({"的"}))
    assert doc == ("小区 物业 乱收费", None)
    assert segmented_document("小区  物业 乱收费") == doc
