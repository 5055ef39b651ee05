"""Hashed features: stable, batch-independent, and bounded."""

from __future__ import annotations

import numpy as np

from monitor.text.features import MAX_FEATURE_CHARS, FeatureSpec, count_pairs, hash_batch, normalise

SPEC = FeatureSpec(bits=16, char_min=1, char_max=3, words=True, word_bigrams=True)


def _row(batch_docs: list[tuple[str, list[int]]], index: int) -> dict[int, float]:
    b = hash_batch(batch_docs, SPEC)
    return {int(c): float(v) for r, c, v in zip(b.rows, b.cols, b.values, strict=True) if r == index}


def test_a_document_hashes_the_same_alone_or_in_a_batch() -> None:
    doc = ("今天 天气 不错", [2, 1, 2, 1, 2])
    other = ("完全 不同 的 内容", [2, 1, 2, 1, 1, 1, 2])
    assert _row([doc], 0) == _row([other, doc, ("", [])], 1)


def test_rows_are_unit_length_and_empty_documents_are_empty() -> None:
    b = hash_batch([("abc", [3]), ("", []), ("小区 物业", [2, 1, 2])], SPEC)
    norms = np.bincount(b.rows, weights=b.values.astype(np.float64) ** 2, minlength=3)
    assert np.allclose(norms, [1.0, 0.0, 1.0], atol=1e-5)


def test_digits_generalise() -> None:
    assert _row([("死亡3人", [2, 1, 1])], 0) == _row([("死亡7人", [2, 1, 1])], 0)


def test_known_bucket_values_do_not_drift() -> None:
    # Shipped models depend on these exact buckets; a change here means retraining.
    b = hash_batch([("今天天气不错", [2, 2, 2])], FeatureSpec(20, 1, 3, True, True))
    assert sorted(b.cols.tolist())[:5] == [15716, 64454, 129243, 182982, 184282]


def test_long_text_is_cut_at_the_feature_limit() -> None:
    long = "好" * (MAX_FEATURE_CHARS * 3)
    b = hash_batch([(long, [1] * len(long))], SPEC)
    assert b.n_docs == 1 and b.cols.size > 0


def test_normalise() -> None:
    assert normalise("  ＡＢＣ１２３\t看 http://t.cn/A6PqoMKY 这个\n") == "abc123 看 这个"


def test_space_separated_documents_match_explicit_tokens() -> None:
    spaced = ["小区 物业 乱收费 投诉 无门", "出租车 拒载", "a0 区 大道"]
    explicit = []
    for text in spaced:
        lengths: list[int] = []
        for i, word in enumerate(text.split(" ")):
            lengths += ([1] if i else []) + [len(word)]
        explicit.append((text, lengths))
    a = hash_batch(explicit, SPEC)
    b = hash_batch([(t, None) for t in spaced], SPEC)
    assert a.rows.tolist() == b.rows.tolist() and a.cols.tolist() == b.cols.tolist()
    assert np.allclose(a.values, b.values)


def test_count_pairs_is_numpy_unique_with_counts() -> None:
    """Counting sorts 32-bit keys when the batch allows it, 64-bit ones otherwise: the same pairs."""
    rng = np.random.default_rng(3)
    for n_docs, bits in ((300, 20), (5000, 20)):  # 300 << 20 fits 32 bits; 5000 << 20 does not
        docs = rng.integers(0, n_docs, 20_000)
        cols = rng.integers(0, 1 << bits, 20_000) % 977  # repeats within a document
        keys, counts = np.unique((docs << bits) | cols, return_counts=True)
        rows, got_cols, got_counts = count_pairs(docs, cols, bits, n_docs)
        np.testing.assert_array_equal(rows, keys >> bits)
        np.testing.assert_array_equal(got_cols, keys & ((1 << bits) - 1))
        np.testing.assert_array_equal(got_counts, counts)
        assert rows.dtype == got_cols.dtype == np.int64
    empty = np.zeros(0, dtype=np.int64)
    assert all(a.size == 0 for a in count_pairs(empty, empty, 20, 0))
