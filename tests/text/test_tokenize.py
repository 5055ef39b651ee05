"""The tokeniser is jieba (HMM off) with our dictionary: the fast path must agree with jieba exactly."""

from __future__ import annotations

import pytest

from monitor.text.features import normalise
from monitor.text.tokenize import Tokenizer

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


@pytest.mark.parametrize("sentence", SENTENCES)
def test_same_tokens_as_jieba(tokenizer: Tokenizer, sentence: str) -> None:
    assert list(tokenizer.cut(sentence)) == tokenizer.jieba_cut(sentence)
    assert "".join(tokenizer.cut(sentence)) == sentence


def test_user_dictionary_and_extra_words(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.cut(normalise("江滨街道居民向应急管理局反映燃气泄漏"))
    assert "江滨街道" in tokens
    assert "应急管理局" in tokens
    assert "燃气泄漏" in tokens


def test_cached_result_is_stable(tokenizer: Tokenizer) -> None:
    first = tokenizer.cut("市民反映噪音扰民问题")
    assert tokenizer.cut("市民反映噪音扰民问题") == first


async def test_cut_async(tokenizer: Tokenizer) -> None:
    assert await tokenizer.cut_async("噪音扰民") == tokenizer.cut("噪音扰民")
