"""The tokeniser is jieba (HMM off) with our dictionary, cut by jieba-rs: it must agree with Python jieba."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import pytest

from monitor.text.features import normalise
from monitor.text.tokenize import Tokenizer, read_user_dict

SENTENCES = [
    "滨江区江滨街道某化工厂发生爆炸，造成3人死亡、12人受伤",
    "小区物业乱收费，业主多次拨打12345热线投诉无人处理！！",
    "//@人民日报:#新型冠状病毒# 武汉加油 http://t.cn/A6PqoMKY ???",
    "iPhone11ProMax 降价了 8.5折 abc-def_ghi 100% 真香",
    "   空格  和\t制表符\n换行 ",
    "",
    "的",
    "ＡＢＣ全角字符１２３",
]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    tk = Tokenizer(["江滨街道"])
    tk.load()
    return tk


@pytest.fixture(scope="module")
def reference(tokenizer: Tokenizer) -> Any:
    """Python jieba with the same words added in the same order: what `cut` must reproduce."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for word, freq in tokenizer.words:
        tk.add_word(word, freq)
    return tk


@pytest.mark.parametrize("sentence", SENTENCES)
def test_same_tokens_as_jieba(tokenizer: Tokenizer, reference: Any, sentence: str) -> None:
    assert list(tokenizer.cut(sentence)) == list(reference.cut(sentence, HMM=False))
    assert "".join(tokenizer.cut(sentence)) == sentence


def test_agrees_with_jieba_on_real_posts(tokenizer: Tokenizer, reference: Any, shared_data: Path) -> None:
    """On 3,000 real Weibo posts, every cut partitions its text, and all but a handful (two routes scoring
    within rounding of each other) match Python jieba token for token."""
    path = shared_data / "events" / "covid19_weibo_unlabeled_daily" / "covid_weibo_daily_sample.csv"
    with path.open(encoding="utf-8") as f:
        texts = [normalise(r["text"]) for r, _ in zip(csv.DictReader(f), range(3000), strict=False)]
    differ = 0
    for text in texts:
        ours = tokenizer.cut(text)
        assert "".join(ours) == text
        differ += list(ours) != list(reference.cut(text, HMM=False))
    assert differ <= 0.005 * len(texts), f"{differ} of {len(texts)} posts cut differently from jieba"


def test_user_dictionary_and_extra_words(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.cut(normalise("江滨街道居民向应急管理局反映燃气泄漏"))
    assert "江滨街道" in tokens
    assert "应急管理局" in tokens
    assert "燃气泄漏" in tokens


def test_user_dictionary_format(tmp_path: Path) -> None:
    path = tmp_path / "dict.txt"
    path.write_text("# comment\n应急管理局 50000 nt\n燃气泄漏\n\n舆情 x # trailing\n", encoding="utf-8")
    assert read_user_dict(path) == [("应急管理局", 50000), ("燃气泄漏", None), ("舆情", None)]
    words = Tokenizer(["云江市"], user_dict=path).words
    assert words[-1] == ("云江市", None) and len(words) == 4


def test_lone_surrogate_is_cut_like_any_character(tokenizer: Tokenizer) -> None:
    """A lone surrogate (JSON's "\\ud83d" without its pair) cannot reach the Rust side as UTF-8."""
    text = "噪音\ud83d扰民问题\udc00"
    tokens = tokenizer.cut(text)
    assert "".join(tokens) == text
    assert "扰民" in tokens


def test_cached_result_is_stable(tokenizer: Tokenizer) -> None:
    first = tokenizer.cut("市民反映噪音扰民问题")
    assert tokenizer.cut("市民反映噪音扰民问题") == first


async def test_cut_async(tokenizer: Tokenizer) -> None:
    assert await tokenizer.cut_async("噪音扰民") == tokenizer.cut("噪音扰民")
