"""Normalisation, terms, and 64-bit simhash near-duplicate detection (Hamming ≤ 3 via four bands)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from monitor.events.simhash import _CHUNK, bands, hamming, simhash64, simhash_many, to_signed, to_unsigned
from monitor.events.text import TermTable, normalise, term_hash, terms, text_key


def fingerprint(text: str) -> int:
    counts = terms(normalise(text))
    return simhash64([term_hash(t) for t in counts], [float(c) for c in counts.values()])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("转发理由//@人民日报:滨江区化工厂爆炸", "转发理由 滨江区化工厂爆炸"),
        ("看这里 https://t.cn/A6xyz 好吓人", "看这里   好吓人"),
        ("@江滨街道办 快来处理[怒][怒]", "快来处理"),
        ("{%#滨江爆炸#%}现场", "#滨江爆炸# 现场"),
        ("ＭＵ５７３５ 客机", "mu5735 客机"),
    ],
)
def test_normalise_strips_links_mentions_emoticons_and_repost_markers(raw: str, expected: str) -> None:
    assert normalise(raw).split() == expected.split()


def test_terms_are_cjk_bigrams_and_whole_latin_tokens() -> None:
    t = terms("东航mu5735坠毁 a")
    assert t == {"东航": 1, "mu5735": 1, "坠毁": 1}
    assert terms("爆") == {"爆": 1}


def test_term_hash_is_stable_across_processes() -> None:
    # blake2b, not Python's salted hash(): these values must never change between runs, since workers
    # share fingerprints and centroid term ids through PostgreSQL
    assert term_hash("东航") == 0x3027A93EFB9E9B75
    assert term_hash("东航") != term_hash("航东")
    assert text_key("滨江 爆炸!") == text_key("滨江爆炸")


def test_term_table_gives_each_term_its_hash_and_masked_id_once() -> None:
    table = TermTable(id_bits=18, max_terms=4)
    rows = table.rows(["东航", "航东", "东航mu"])
    assert [int(table.hashes[r]) for r in rows] == [term_hash(t) for t in ("东航", "航东", "东航mu")]
    assert [int(table.ids[r]) for r in rows] == [
        term_hash(t) & ((1 << 18) - 1) for t in ("东航", "航东", "东航mu")
    ]
    assert table.rows(["航东"]).tolist() == [rows[1]] and len(table) == 3
    again = table.rows(["坠毁", "客机"])  # over max_terms: the table starts again, the values don't change
    assert len(table) == 2 and [int(table.hashes[r]) for r in again] == [term_hash("坠毁"), term_hash("客机")]
    for i in range(5000):  # the arrays grow
        table.rows([f"t{i}"])
    assert int(table.hashes[table.rows(["t4999"])[0]]) == term_hash("t4999")
    table = TermTable(id_bits=18)
    rows = table.rows(["爆炸", "浓烟", "爆炸", "浓烟", "t1"])  # repeats, as a batch of posts has them
    assert rows[0] == rows[2] and rows[1] == rows[3] and len(table) == 3
    assert [int(table.hashes[r]) for r in rows[:2]] == [term_hash("爆炸"), term_hash("浓烟")]


def test_simhash_bits_follow_the_weighted_vote() -> None:
    # bit j is set when the features with bit j set outweigh those without it
    assert simhash64([0b01, 0b10], [2.0, 1.0]) == 0b01
    assert simhash64([0b01, 0b10], [1.0, 2.0]) == 0b10
    assert simhash64([(1 << 64) - 1], [1.0]) == (1 << 64) - 1
    assert simhash64([1 << 63, 1 << 63, 1], [1.0, 1.0, 1.0]) == 1 << 63


def test_simhash_many_gives_each_run_its_own_fingerprint() -> None:
    """Runs of every size, empty ones included, across more than one chunk of summed votes."""
    rng = np.random.default_rng(7)
    sizes = rng.integers(0, 120, size=400)
    sizes[[0, 17, 399]] = 0
    hashes = rng.integers(0, 2**63, size=int(sizes.sum()), dtype=np.int64).astype(np.uint64) * np.uint64(3)
    weights = rng.random(hashes.size) * 3
    assert hashes.size > 2 * _CHUNK
    got = simhash_many(hashes, weights, sizes)
    ends = np.cumsum(sizes)
    expected = [simhash64(hashes[e - n : e], weights[e - n : e]) for n, e in zip(sizes, ends, strict=True)]
    assert got == expected and got[0] == got[17] == got[399] == 0 and len(set(got)) > 390
    bits = np.unpackbits(
        hashes[: sizes[1] + sizes[2]][sizes[1] :].view(np.uint8).reshape(-1, 8), axis=1, bitorder="little"
    ).astype(np.float64)
    votes = weights[sizes[1] : sizes[1] + sizes[2]] @ (2 * bits - 1)  # the plain formula
    assert got[2] == int.from_bytes(np.packbits(votes > 0, bitorder="little").tobytes(), "little")
    assert simhash_many(hashes[:0], weights[:0], []) == []
    with pytest.raises(ValueError, match="do not add up"):
        simhash_many(hashes, weights, sizes[:-3])


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        (
            "滨江区临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援",
            "滨江区临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援！！",
            True,
        ),
        (
            "滨江区临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援",
            "江北区北湖街道一小区停水三天，物业和自来水公司互相推诿，居民生活受到严重影响",
            False,
        ),
    ],
)
def test_near_duplicates_are_within_three_bits(a: str, b: str, near: bool) -> None:
    assert (hamming(fingerprint(a), fingerprint(b)) <= 3) is near


def test_identical_text_gives_identical_fingerprint_and_empty_gives_zero() -> None:
    text = "云江市江北区北湖街道自来水发黄已经三天了"
    assert fingerprint(text) == fingerprint(text)
    assert simhash64([], []) == 0
    with pytest.raises(ValueError):
        simhash64([1], [])


def test_any_two_fingerprints_within_three_bits_share_a_band() -> None:
    rng = random.Random(7)
    for _ in range(500):
        a = rng.getrandbits(64)
        b = a
        for bit in rng.sample(range(64), rng.randint(0, 3)):
            b ^= 1 << bit
        assert hamming(a, b) <= 3
        assert any(x == y for x, y in zip(bands(a), bands(b), strict=True))


def test_signed_round_trip_for_postgres_bigint() -> None:
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        s = to_signed(value)
        assert -(1 << 63) <= s < 1 << 63
        assert to_unsigned(s) == value
