"""The committed artefacts: small, loadable with numpy alone, and right on obvious sentences."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.text.analyzer import TextAnalyzer

MODELS = Path(__file__).resolve().parents[2] / "monitor" / "text" / "models"


@pytest.fixture(scope="module")
def analyzer() -> TextAnalyzer:
    a = TextAnalyzer()
    a.load()
    return a


def test_artefacts_are_small() -> None:
    sizes = {p.name: p.stat().st_size for p in MODELS.glob("*.npz")}
    assert set(sizes) == {"sentiment.npz", "topic.npz"}
    assert sum(sizes.values()) < 8 * 2**20


@pytest.mark.parametrize(
    "text",
    [
        "太恶心了，这种黑心商家必须严惩！气死我了",
        "孩子发烧三天了医院还不给床位，我真的好绝望，好害怕",
        "垃圾物业，收钱不办事，投诉了无数次没人管，愤怒",
        "看到这个新闻心里好难过，一路走好，泪目",
    ],
)
def test_obviously_negative(analyzer: TextAnalyzer, text: str) -> None:
    a = analyzer.analyze(text)
    assert a.negative > 0.5 and a.polarity == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "今天和家人一起去公园玩，特别开心，天气也超级好！",
        "感谢医护人员的辛苦付出，致敬最美逆行者，武汉加油！",
        "收到了朋友送的生日礼物，好喜欢，谢谢你们",
    ],
)
def test_obviously_positive(analyzer: TextAnalyzer, text: str) -> None:
    a = analyzer.analyze(text)
    assert a.negative < 0.5 and a.polarity == "positive"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("小区旁边的工厂每天晚上偷排废气，气味刺鼻，严重污染环境", "环境保护"),
        ("公司拖欠工资半年了，社保也没有缴纳，劳动仲裁不受理", "劳动和社会保障"),
        ("孩子的学校违规补课收费，教育局能不能管一管", "教育文体"),
        ("医院挂号难，医生态度差，看病排队一整天", "卫生计生"),
        ("出租车司机拒载还绕路多收费，客运站管理混乱", "交通运输"),
        ("小区开发商延期交房，房屋质量问题严重，违规建设", "城乡建设"),
        ("景区门票乱涨价，商家宰客，游客投诉无门", "商贸旅游"),
    ],
)
def test_obvious_topics(analyzer: TextAnalyzer, text: str, topic: str) -> None:
    a = analyzer.analyze(text)
    assert a.topic == topic, a.explain["topic"]


def test_runtime_does_not_import_scikit_learn() -> None:
    code = (
        "import sys; from monitor.text.analyzer import TextAnalyzer; "
        "a = TextAnalyzer(); a.analyze('测试一下'); "
        "print('sklearn' in sys.modules or 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
