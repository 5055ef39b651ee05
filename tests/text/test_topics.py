"""Topic rules: model probabilities combined with responder keywords, and the owning department."""

from __future__ import annotations

import numpy as np

from monitor.text.features import FeatureSpec, hash_batch
from monitor.text.linear import LinearModel
from monitor.text.topics import (
    MODEL_TOPIC_KEYWORD_WEIGHT,
    RULE_TOPIC_KEYWORD_WEIGHT,
    DepartmentInfo,
    KeywordRule,
    KeywordRules,
    TopicModel,
    choose_department,
    decide_topic,
    segmented_document,
    topic_batch,
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


def test_a_lone_keyword_names_a_rule_topic_only_when_the_model_is_unsure() -> None:
    unsure = {"城乡建设": 0.15, "商贸旅游": 0.14, "交通运输": 0.13}
    assert decide_topic(unsure, {"水务": ["河道"]}).topic == "水务"
    assert decide_topic({"城乡建设": 0.23, "商贸旅游": 0.21}, {"水务": ["河道"]}).topic == "城乡建设"
    assert decide_topic({"城乡建设": 0.74}, {"安全生产/应急": ["化工厂", "爆炸"]}).topic == "安全生产/应急"


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


def test_keywords_that_overlap_or_share_a_start_all_count() -> None:
    # the regex scan alone skips the inside of a match: 水发黄 would hide behind 自来水, 水质 behind 水质差
    rules = KeywordRules(
        [
            KeywordRule("自来水", "shuiwu", ("水务",)),
            KeywordRule("水发黄", "shuiwu", ("水务",)),
            KeywordRule("水质", "shuiwu", ("水务",)),
            KeywordRule("水质差", "shuiwu", ("水务",)),
            KeywordRule("发黄", "shengtai", ("环境保护",)),
        ]
    )
    by_topic, by_dept = rules.match("小区自来水发黄，水质差")
    assert by_topic == {"水务": ["自来水", "水发黄", "水质差", "水质"], "环境保护": ["发黄"]}
    assert by_dept == {"shuiwu": ["自来水", "水发黄", "水质差", "水质"], "shengtai": ["发黄"]}
    assert rules.match("停水") == ({}, {})


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


def test_topic_batch_without_a_head_is_hash_batch() -> None:
    docs = [("小区 物业 乱收费 停车", None), ("", None), ("学校 补课", None)]
    spec = FeatureSpec(12, 1, 2, True, True)
    plain, topic = hash_batch(docs, spec), topic_batch(docs, spec)
    for name in ("rows", "cols", "values"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(topic, name))


def test_topic_batch_head_counts_like_repeating_the_opening_words() -> None:
    spec = FeatureSpec(16, 1, 0, True, False)  # words only: no n-gram spans the repetition's seam
    repeated = hash_batch([("小区 物业 小区 物业 乱收费 停车", None), ("物业 物业", None)], spec)
    weighted = topic_batch([("小区 物业 乱收费 停车", None), ("物业", None)], spec, head_tokens=2)
    for name in ("rows", "cols", "values"):
        np.testing.assert_allclose(getattr(repeated, name), getattr(weighted, name), rtol=1e-6)


def test_topic_model_applies_the_head_its_artefact_names() -> None:
    spec = FeatureSpec(16, 1, 0, True, False)
    buckets = hash_batch([("物业", None), ("收费", None)], spec).cols
    weights = np.zeros((1 << spec.bits, 2), dtype=np.float32)
    weights[buckets[0], 0] = weights[buckets[1], 1] = 1.0  # 物业 → "a", 收费 → "b"

    def p_a(head: int) -> float:
        meta = {"head_tokens": float(head)}
        model = TopicModel(LinearModel.from_float(spec, ["a", "b"], weights, np.zeros(2), None, meta))
        return model.predict([("物业 收费 收费", None)])[0]["a"]

    assert p_a(0) < 0.5  # 收费 twice
    assert p_a(1) == 0.5  # the opening 物业 counts twice too
