"""TextAnalyzer on a fixed responders/ directory: every output present, consistent and explained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.text.analyzer import Analysis, TextAnalyzer, TextInput


@pytest.fixture(scope="module")
def analyzer(responders_dir: Path) -> TextAnalyzer:
    return TextAnalyzer.from_path(responders_dir)


def test_an_accident_report(analyzer: TextAnalyzer) -> None:
    a = analyzer.analyze("滨江区江滨街道一化工厂发生爆炸，楼体坍塌，造成12人死亡、30人受伤，现场一片狼藉")
    assert a.region == "binjiang-jiangbin"
    assert a.region_reason is not None and "江滨街道" in a.region_reason
    assert (a.severity.deaths, a.severity.injured) == (12, 30)
    assert a.severity.casualty_grade == 2
    assert {"爆炸", "坍塌"} <= set(a.severity.hazards)
    assert a.topic == "安全生产/应急" and a.department == "yingji"
    assert {"化工厂", "爆炸"} <= set(a.keywords)


def test_department_follows_the_region(analyzer: TextAnalyzer) -> None:
    text = "小区物业乱收费，违建也不管，业主投诉无门"
    assert analyzer.analyze("滨江区" + text).department == "binjiang-zhujian"
    assert analyzer.analyze("江北区" + text).department == "zhujian"
    assert analyzer.analyze(text).department == "zhujian"


def test_a_keyword_only_topic_routes(analyzer: TextAnalyzer) -> None:
    a = analyzer.analyze("江北区大面积停水两天了，自来水公司电话打不通，供水什么时候恢复？")
    assert a.topic == "水务" and a.department == "shuiwu" and a.region == "jiangbei"


def test_hints_accounts_and_urgency(analyzer: TextAnalyzer) -> None:
    a = analyzer.analyze(
        "楼上天天漏水",
        region_hint="339902",
        author_name="云江日报",
        author_verified_type=3,
        hotline_urgency="紧急",
    )
    assert a.region == "binjiang"
    assert a.severity.media_account and not a.severity.official_account
    assert a.severity.urgent
    assert analyzer.analyze("工地欠薪，有人说要跳楼", hotline_urgency="一般").severity.urgent


def test_explanations_and_json(analyzer: TextAnalyzer) -> None:
    a = analyzer.analyze("垃圾物业，收钱不办事，气死了")
    explain = a.explain
    assert set(explain) >= {"negative", "topic", "department", "region", "severity"}
    negative = explain["negative"]
    assert isinstance(negative, dict) and negative["terms"], "the words behind the score are listed"
    data = json.loads(json.dumps(a.to_json(), ensure_ascii=False))
    assert data["polarity"] in ("negative", "neutral", "positive")
    assert 0.0 <= data["negative"] <= 1.0 and 0.0 <= data["topic_score"] <= 1.0
    assert a.tokens and "".join(a.tokens).replace(" ", "") == "垃圾物业,收钱不办事,气死了"


def test_batch_equals_one_by_one(analyzer: TextAnalyzer) -> None:
    texts = ["滨江区小区停水", "今天很开心", "化工厂爆炸3人死亡", "a" * 5000, "！！！"]
    batch = analyzer.analyze_many([TextInput(t) for t in texts])
    single = [analyzer.analyze(t) for t in texts]
    assert [b.to_json() for b in batch] == [s.to_json() for s in single]


def test_without_responders() -> None:
    a = TextAnalyzer().analyze("滨江区化工厂爆炸")
    assert a.department is None and a.region is None
    assert isinstance(a, Analysis)


async def test_async(analyzer: TextAnalyzer) -> None:
    a = await analyzer.analyze_async("小区停水")
    many = await analyzer.analyze_many_async(["小区停水"])
    assert a.to_json() == many[0].to_json()


def test_empty_batch(analyzer: TextAnalyzer) -> None:
    assert analyzer.analyze_many([]) == []


@pytest.mark.parametrize("text", ["！！！？？？", "😡😡😡 …", "？？ !!"])
def test_a_text_without_words_names_no_domain(analyzer: TextAnalyzer, text: str) -> None:
    # the model's scores for it would be the classes' priors; routing then falls to the duty desk
    (result,) = analyzer.analyze_many([text])
    assert (result.topic, result.topic_score, result.department) == ("其他", 0.0, None)


def test_a_word_among_the_punctuation_still_counts(analyzer: TextAnalyzer) -> None:
    (result,) = analyzer.analyze_many(["！！！化工厂爆炸？？？"])
    assert result.topic != "其他" and result.topic_score > 0
