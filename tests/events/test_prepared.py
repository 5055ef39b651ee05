"""Grouping features prepared where the post is analysed give grouping the very result it computes itself."""

from __future__ import annotations

import itertools
import random
import struct
from dataclasses import replace

import numpy as np
import pytest

from monitor.events.clusterer import GroupingParams, WindowIndex
from monitor.events.model import PostIn
from monitor.events.prepared import (
    Prepared,
    decode,
    encode,
    grouping_text,
    prepare,
    prepare_many,
    prepared_bytes,
    prepared_bytes_many,
)
from monitor.events.simhash import simhash64
from monitor.events.similarity import DIM_BITS, IdfTable, weigh
from monitor.events.text import TermTable, normalise, terms, text_key

TEXTS = [
    "云江市青石县临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援",
    "青石县临港化工园区化工厂爆炸事故：消防救援力量已赶赴现场处置，浓烟滚滚",
    "//@人民日报:【#东航MU5735#】搜救仍在进行 https://t.cn/A6xyz [蜡烛][蜡烛]",
    "爆",
    "转发微博",
    "",
    "哈" * 300 + " 重复很多次的字 mu5735 " * 3,  # counts beyond the tf table
]


def _post(i: int, text: str, title: str = "", t: float = 1_780_000_000.0, prepared: bool = False) -> PostIn:
    post = PostIn(i, "s", "weibo", f"m{i}", t + i * 60.0, text, title=title)
    return replace(post, prepared=prepared_bytes(grouping_text(title, text))) if prepared else post


@pytest.mark.parametrize("text", TEXTS)
def test_prepared_features_equal_the_ones_grouping_computes(text: str) -> None:
    plain, ready = WindowIndex(), WindowIndex()
    for i, seen in enumerate(TEXTS):  # the same document frequencies on both sides
        plain.features(_post(i, seen))
        ready.features(_post(i, seen, prepared=True))
    w1, fp1, short1 = plain.features(_post(99, text, title="标题"))
    w2, fp2, short2 = ready.features(_post(99, text, title="标题", prepared=True))
    assert (w2.vector, fp2, short2) == (w1.vector, fp1, short1)
    assert w2.ids.tolist() == w1.ids.tolist() and w2.tf.tolist() == w1.tf.tolist()
    assert np.array_equal(ready.idf.df, plain.idf.df) and ready.idf.docs == plain.idf.docs


def test_colliding_term_ids_add_up_as_grouping_does() -> None:
    table = TermTable(1)  # two ids: every text collides
    p = prepare("化工厂爆炸浓烟滚滚", table)
    assert p.n_terms == 8 and set(p.ids.tolist()) <= {0, 1}
    assert decode(encode(p)) is not None
    idx = WindowIndex()
    w, _, _ = idx._weigh_prepared(p)
    assert sorted(w.vector) == sorted(set(p.ids.tolist())) and w.ids.tolist() == sorted(set(p.ids.tolist()))


def test_a_stream_groups_alike_with_and_without_prepared_features() -> None:
    rng = random.Random(5)
    words = ["".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(3)) for _ in range(120)]
    posts = []
    for i in range(300):
        topic = rng.randrange(12)
        text = "，".join(words[(topic * 9 + rng.randrange(15)) % 120] for _ in range(rng.randint(1, 12)))
        posts.append((i, text, "标题" if i % 7 == 0 else ""))
    params = GroupingParams(threshold=0.25)
    joins = []
    for prepared in (False, True):
        idx, new_id = WindowIndex(params), itertools.count(1).__next__
        joins.append(
            [idx.assign(_post(i, text, title, prepared=prepared), None, new_id) for i, text, title in posts]
        )
    plain, ready = joins
    assert [(j.event_id, j.how, j.score) for j in ready] == [(j.event_id, j.how, j.score) for j in plain]
    assert len({j.event_id for j in plain}) < 200 and {j.how for j in plain} >= {"new", "similar"}


def test_encode_round_trips() -> None:
    p = prepare("江北区北湖街道停水三天了，自来水公司和物业互相推诿")
    back = decode(encode(p))
    assert back is not None
    assert (back.ids.tolist(), back.counts.tolist(), back.fingerprint, back.key) == (
        p.ids.tolist(),
        p.counts.tolist(),
        p.fingerprint,
        p.key,
    )
    empty = decode(encode(prepare("")))
    assert empty is not None and empty.n_terms == 0 and empty.fingerprint == 0


BAD = [
    b"",
    b"\x01",  # shorter than the header
    b"\x02" + encode(prepare("停水三天"))[1:],  # another version
    encode(prepare("停水三天"))[:-1],  # truncated
    struct.pack("<BQQI", 1, 0, 0, 1) + struct.pack("<II", 1 << DIM_BITS, 1),  # an id out of the space
    struct.pack("<BQQI", 1, 0, 0, 1) + struct.pack("<II", 5, 0),  # a term counted zero times
]


@pytest.mark.parametrize("blob", BAD)
def test_bad_bytes_are_ignored_and_grouping_featurises_the_text_itself(blob: bytes) -> None:
    assert decode(blob) is None
    text = TEXTS[0]
    expected = WindowIndex().features(_post(1, text))
    got = WindowIndex().features(replace(_post(1, text), prepared=blob))
    assert (got[0].vector, got[1], got[2]) == (expected[0].vector, expected[1], expected[2])


def test_a_batch_is_prepared_as_each_text_alone() -> None:
    """The analysis processes prepare a batch at once; terms repeat across its texts, some have none."""
    texts = [*TEXTS, *TEXTS[:3], "又一条：" + TEXTS[1]]
    alone = [prepare(t, TermTable(DIM_BITS)) for t in texts]
    batch = prepare_many(texts, TermTable(DIM_BITS, max_terms=50))  # the table also starts over midway
    for a, b in zip(alone, batch, strict=True):
        assert (a.ids.tolist(), a.counts.tolist(), a.fingerprint, a.key) == (
            b.ids.tolist(),
            b.counts.tolist(),
            b.fingerprint,
            b.key,
        )
    assert prepared_bytes_many([None, TEXTS[0], None, ""]) == [
        None,
        prepared_bytes(TEXTS[0]),
        None,
        encode(alone[5]),
    ]
    assert prepare_many([]) == [] and prepared_bytes_many([]) == []


def test_grouping_text_is_title_then_text() -> None:
    assert grouping_text("标题", "正文") == "标题 正文"
    assert grouping_text(None, "正文") == grouping_text("", "正文") == "正文"
    assert grouping_text(None, None) == "" and grouping_text("标题", None) == "标题 "
    assert prepared_bytes(None) is None
    assert isinstance(prepare("x"), Prepared)


@pytest.mark.parametrize("text", TEXTS)
def test_grouping_features_equal_the_reference_weighing(text: str) -> None:
    """Both paths share `prepare`; this pins them to `weigh` and simhash64 over its hashes (themselves
    pinned to the plain formulas in test_fast_paths)."""
    idf = IdfTable()
    for seen in TEXTS:
        ref = weigh(terms(normalise(seen)), TermTable(DIM_BITS), idf)
        if len(ref.ids):
            idf.add(ref.ids)
    counts = terms(normalise(text))
    ref = weigh(counts, TermTable(DIM_BITS), idf)
    short = len(counts) < GroupingParams().min_simhash_terms
    fingerprint = text_key(normalise(text)) if short else simhash64(ref.hashes, ref.tf)
    for prepared in (False, True):
        got, fp, is_short = WindowIndex(idf=replace(idf, df=idf.df.copy())).features(
            _post(99, text, prepared=prepared)
        )
        assert (got.vector, fp, is_short) == (ref.vector, fingerprint, short)
