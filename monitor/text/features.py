"""Hashed character and word n-gram features, computed identically at training and at run time."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

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
_CHAR_SALT = 0x1000193
_WORD_SALT = 0x9E3779B97F4A7C15
_BIGRAM_SALT = 0xC2B2AE3D27D4EB4F
_PAIR_MUL = 0x2545F4914F6CDD1D

_URL = re.compile(r"https?://[!-~]+")
_SPACE = re.compile(r"\s+")
_ZERO, _NINE, _SPACE_CODE = ord("0"), ord("9"), ord(" ")


def normalise(text: str) -> str:
    """NFKC, lower case, URLs dropped, whitespace collapsed: the text every analysis step reads."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _URL.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class FeatureSpec:
    """Which n-grams to hash into how many buckets; stored with each model so both sides agree."""

    bits: int = 20
    char_min: int = 1
    char_max: int = 3
    words: bool = True
    word_bigrams: bool = True

    def as_array(self) -> I64:
        return np.array(
            [self.bits, self.char_min, self.char_max, int(self.words), int(self.word_bigrams)], np.int64
        )

    @classmethod
    def from_array(cls, a: npt.NDArray[np.integer]) -> FeatureSpec:
        bits, cmin, cmax, words, bigrams = (int(x) for x in a[:5])
        return cls(bits, cmin, cmax, bool(words), bool(bigrams))


@dataclass(frozen=True)
class HashedBatch:
    """A sparse documents × buckets matrix as (row, column, value) triples."""

    rows: I64
    cols: I64
    values: F32
    n_docs: int


@dataclass(frozen=True)
class _Powers:
    pow: U64
    inv: U64


@functools.cache
def _powers() -> _Powers:
    """B^i and B^-i modulo 2^64: any substring's polynomial hash from two prefix sums."""
    n = MAX_FEATURE_CHARS + 2
    out = []
    for base in (_BASE, _BASE_INV):
        table = np.ones(n, dtype=np.uint64)
        acc = 1
        for i in range(1, n):
            acc = acc * base % 2**64
            table[i] = acc
        out.append(table)
    return _Powers(out[0], out[1])


def mix_hashes(h: U64, bits: int) -> I64:
    """Bucket numbers from raw 64-bit hashes (a murmur-style finaliser, top `bits` bits)."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(33))
        h = h * np.uint64(_MIX)
        h = h ^ (h >> np.uint64(29))
    return (h >> np.uint64(64 - bits)).astype(np.int64)


@overload
def doc_hashes(
    text: str, token_lengths: Sequence[int], spec: FeatureSpec, origins: Literal[False] = False
) -> U64: ...
@overload
def doc_hashes(
    text: str, token_lengths: Sequence[int], spec: FeatureSpec, origins: Literal[True]
) -> tuple[U64, I64, I64]: ...
def doc_hashes(
    text: str, token_lengths: Sequence[int], spec: FeatureSpec, origins: bool = False
) -> U64 | tuple[U64, I64, I64]:
    """Raw 64-bit hashes of the document's n-grams; `token_lengths` partition `text` (may be empty).

    With `origins`, also each hash's start offset and length in the text (for explanations).
    """
    text = text[:MAX_FEATURE_CHARS]
    n = len(text)
    hashes: list[U64] = []
    starts_out: list[I64] = []
    lens_out: list[I64] = []
    if n:
        pw = _powers()
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        codes[(codes >= _ZERO) & (codes <= _NINE)] = _ZERO  # every digit is "0": numbers generalise
        with np.errstate(over="ignore"):
            prefix = np.zeros(n + 1, dtype=np.uint64)
            np.cumsum(codes * pw.inv[:n], out=prefix[1:])
            for k in range(spec.char_min, min(spec.char_max, n) + 1):
                starts = np.arange(0, n - k + 1, dtype=np.int64)
                ends = starts + k
                hashes.append(pw.pow[ends - 1] * (prefix[ends] - prefix[starts]) + np.uint64(k * _CHAR_SALT))
                starts_out.append(starts)
                lens_out.append(np.full(starts.size, k, dtype=np.int64))
            if spec.words and token_lengths:
                ends = np.cumsum(np.asarray(token_lengths, dtype=np.int64))
                ends = ends[ends <= n]
                starts = np.concatenate(([0], ends[:-1])).astype(np.int64)
                keep = ends > starts
                keep[keep] &= codes[starts[keep]] != _SPACE_CODE  # spaces separate words, they are not words
                starts, ends = starts[keep], ends[keep]
                if starts.size:
                    wh = pw.pow[ends - 1] * (prefix[ends] - prefix[starts])
                    hashes.append(wh ^ np.uint64(_WORD_SALT))
                    starts_out.append(starts)
                    lens_out.append(ends - starts)
                    if spec.word_bigrams and wh.size > 1:
                        hashes.append((wh[:-1] * np.uint64(_PAIR_MUL) + wh[1:]) ^ np.uint64(_BIGRAM_SALT))
                        starts_out.append(starts[:-1])
                        lens_out.append(ends[1:] - starts[:-1])
    if not hashes:
        empty_h = np.zeros(0, dtype=np.uint64)
        empty_i = np.zeros(0, dtype=np.int64)
        return (empty_h, empty_i, empty_i) if origins else empty_h
    all_hashes = np.concatenate(hashes)
    if origins:
        return all_hashes, np.concatenate(starts_out), np.concatenate(lens_out)
    return all_hashes


def hash_batch(
    docs: Sequence[tuple[str, Sequence[int]]], spec: FeatureSpec, idf: F32 | None = None
) -> HashedBatch:
    """Feature triples for (normalised text, token lengths) documents: log-tf (× idf), L2-normalised rows."""
    per_doc = [doc_hashes(text, lengths, spec) for text, lengths in docs]
    sizes = np.fromiter((h.size for h in per_doc), dtype=np.int64, count=len(per_doc))
    if not sizes.sum():
        empty = np.zeros(0, dtype=np.int64)
        return HashedBatch(empty, empty, np.zeros(0, dtype=np.float32), len(docs))
    cols = mix_hashes(np.concatenate(per_doc), spec.bits)
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), sizes)
    keys, counts = np.unique((rows << np.int64(spec.bits)) | cols, return_counts=True)
    rows = keys >> np.int64(spec.bits)
    cols = keys & np.int64((1 << spec.bits) - 1)
    values = (1.0 + np.log(counts)).astype(np.float32)
    if idf is not None:
        values *= idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=values.astype(np.float64) ** 2, minlength=len(docs)))
    values /= np.maximum(norms[rows], 1e-9).astype(np.float32)
    return HashedBatch(rows, cols, values, len(docs))
