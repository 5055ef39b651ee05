"""Hashed character and word n-gram features, computed identically at training and at run time."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]

# Characters beyond this are not featurised: a post's opening decides its class, and cost stays bounded.
MAX_FEATURE_CHARS = 1000
_BASE = 0x100000001B3
_BASE_INV = pow(_BASE, -1, 2**64)
_MIX = 0xFF51AFD7ED558CCD
_WORD_SALT = 0x9E3779B97F4A7C15
_BIGRAM_SALT = 0xC2B2AE3D27D4EB4F
_PAIR_MUL = 0x2545F4914F6CDD1D

_URL = re.compile(r"https?://[!-~]+")
_MENTION = re.compile(r"@[\w\-·]{1,30}")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, lower case, URLs/@names/digit runs folded to placeholders, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _URL.sub("U", text)
    text = _MENTION.sub("@", text)
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class FeatureSpec:
    """Which n-grams to hash into how many buckets; stored with each model so both sides agree."""

    bits: int = 20
    char_min: int = 1
    char_max: int = 3
    words: bool = True
    word_bigrams: bool = True

    def as_array(self) -> npt.NDArray[np.int64]:
        return np.array(
            [self.bits, self.char_min, self.char_max, int(self.words), int(self.word_bigrams)], np.int64
        )

    @classmethod
    def from_array(cls, a: npt.NDArray[np.int64]) -> FeatureSpec:
        bits, cmin, cmax, words, bigrams = (int(x) for x in a[:5])
        return cls(bits, cmin, cmax, bool(words), bool(bigrams))


@dataclass(frozen=True)
class HashedBatch:
    """A sparse documents × buckets matrix as (row, column, value) triples, rows L2-normalised."""

    rows: I64
    cols: I64
    values: F32
    n_docs: int


class _Powers:
    """B^i and B^-i modulo 2^64, for O(1) polynomial hashes of any substring."""

    def __init__(self, n: int) -> None:
        idx = np.arange(n + 1, dtype=np.uint64)
        self.pow = _pow_table(_BASE, idx)
        self.inv = _pow_table(_BASE_INV, idx)


def _pow_table(base: int, idx: U64) -> U64:
    out = np.ones(idx.shape[0], dtype=np.uint64)
    b = np.uint64(base)
    acc = np.uint64(1)
    with np.errstate(over="ignore"):
        for i in range(1, idx.shape[0]):
            acc = acc * b
            out[i] = acc
    return out


@functools.cache
def _powers() -> _Powers:
    return _Powers(MAX_FEATURE_CHARS + 1)


def _mix(h: U64, bits: int) -> I64:
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(33))
        h = h * np.uint64(_MIX)
        h = h ^ (h >> np.uint64(29))
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def doc_hashes(text: str, token_lengths: Sequence[int], spec: FeatureSpec) -> U64:
    """Unmixed 64-bit hashes of the document's n-grams; `token_lengths` partition `text` (may be empty)."""
    text = text[:MAX_FEATURE_CHARS]
    n = len(text)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    pw = _powers()
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(codes * pw.inv[:n], out=prefix[1:])
        parts: list[U64] = []
        for k in range(spec.char_min, spec.char_max + 1):
            if k > n:
                break
            starts = np.arange(0, n - k + 1)
            ends = starts + k
            h = pw.pow[ends - 1] * (prefix[ends] - prefix[starts])
            parts.append(h + np.uint64(k * 0x1000193))
        if spec.words and token_lengths:
            bounds = np.cumsum(np.asarray(token_lengths, dtype=np.int64))
            bounds = bounds[bounds <= n]
            if bounds.size:
                starts = np.concatenate(([0], bounds[:-1]))
                ends = bounds
                keep = ends - starts > 0
                starts, ends = starts[keep], ends[keep]
                wh = pw.pow[ends - 1] * (prefix[ends] - prefix[starts])
                parts.append(wh ^ np.uint64(_WORD_SALT))
                if spec.word_bigrams and wh.size > 1:
                    parts.append((wh[:-1] * np.uint64(_PAIR_MUL) + wh[1:]) ^ np.uint64(_BIGRAM_SALT))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def hash_batch(docs: Sequence[tuple[str, Sequence[int]]], spec: FeatureSpec) -> HashedBatch:
    """Feature triples for many (normalised text, token lengths) documents, log-tf weighted, L2-normalised."""
    per_doc = [doc_hashes(text, lengths, spec) for text, lengths in docs]
    sizes = np.fromiter((h.size for h in per_doc), dtype=np.int64, count=len(per_doc))
    if sizes.sum() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return HashedBatch(empty, empty, np.zeros(0, dtype=np.float32), len(docs))
    cols = _mix(np.concatenate(per_doc), spec.bits)
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), sizes)
    keys, counts = np.unique((rows << np.int64(spec.bits)) | cols, return_counts=True)
    rows = keys >> np.int64(spec.bits)
    cols = keys & np.int64((1 << spec.bits) - 1)
    values = (1.0 + np.log(counts)).astype(np.float32)
    norms = np.sqrt(np.bincount(rows, weights=values.astype(np.float64) ** 2, minlength=len(docs)))
    values /= np.maximum(norms[rows], 1e-9).astype(np.float32)
    return HashedBatch(rows, cols, values, len(docs))


def linear_scores(
    batch: HashedBatch, weights: npt.NDArray[np.floating], bias: npt.NDArray[np.floating]
) -> F32:
    """Scores = X · W + b for W of shape (buckets, classes); returns (docs, classes)."""
    n_classes = weights.shape[1]
    contrib = weights[batch.cols].astype(np.float32) * batch.values[:, None]
    out = np.empty((batch.n_docs, n_classes), dtype=np.float32)
    for c in range(n_classes):
        out[:, c] = np.bincount(batch.rows, weights=contrib[:, c], minlength=batch.n_docs)
    out += bias.astype(np.float32)
    return out
