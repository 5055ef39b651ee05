"""Hashed character and word n-gram features, computed identically at training and at run time."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# A document: normalised text and the lengths of the tokens partitioning it, or None when the text is
# space-separated words (then every space is a token of its own and the words are the rest).
Doc = tuple[str, Sequence[int] | None]
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
_SEPARATOR = "\x00"  # between documents in a batch; no n-gram may contain it

_URL = re.compile(r"https?://[!-~]+")
_SPACE = re.compile(r"\s+")
_ZERO, _NINE, _SPACE_CODE = ord("0"), ord("9"), ord(" ")


def normalise(text: str) -> str:
    """NFKC, lower case, URLs dropped, whitespace collapsed: the text every analysis step reads."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _URL.sub(" ", text)
    return _SPACE.sub(" ", text.replace(_SEPARATOR, " ")).strip()


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
class Occurrences:
    """Every n-gram occurrence in a batch: its document, bucket, and where it starts in the batch text."""

    docs: I64
    cols: I64
    starts: I64
    text: str  # the documents joined by _SEPARATOR; `starts` index into it
    doc_offsets: I64  # where each document starts in `text`
    token_ends: I64  # end offsets (in `text`) of every token of every document, ascending
    token_docs: I64  # the document of each token


@dataclass(frozen=True)
class HashedBatch:
    """A sparse documents × buckets matrix as (row, column, value) triples sorted by row then column, plus
    the occurrences."""

    rows: I64
    cols: I64
    values: F32
    n_docs: int
    occurrences: Occurrences | None = None


@functools.cache
def _powers(n: int) -> tuple[U64, U64]:
    """B^i and B^-i modulo 2^64 for i < n (n rounded up by the caller so this is computed rarely)."""
    with np.errstate(over="ignore"):
        pw = np.cumprod(np.full(n, _BASE, dtype=np.uint64))
        inv = np.cumprod(np.full(n, _BASE_INV, dtype=np.uint64))
    one = np.ones(1, dtype=np.uint64)
    return np.concatenate((one, pw[:-1])), np.concatenate((one, inv[:-1]))


def mix_hashes(h: U64, bits: int) -> I64:
    """Bucket numbers from raw 64-bit hashes (a murmur-style finaliser, top `bits` bits)."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(33))
        h = h * np.uint64(_MIX)
        h = h ^ (h >> np.uint64(29))
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def occurrences(docs: Sequence[Doc], spec: FeatureSpec) -> Occurrences:
    """All n-grams of all documents at once; `token_lengths` partition each text (may be empty).

    Substring hashes are polynomial (sum of c_j·B^(e-1-j) mod 2^64), so one prefix sum over the whole
    batch gives every n-gram's hash in a few vector operations, independent of where it sits.
    """
    texts = [t[:MAX_FEATURE_CHARS] for t, _ in docs]
    big = _SEPARATOR.join(texts)
    n = len(big)
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    doc_offsets = np.concatenate(([0], np.cumsum(lens + 1)[:-1])).astype(np.int64)
    if n == 0:
        token_ends = token_docs = np.zeros(0, dtype=np.int64)
        e = np.zeros(0, dtype=np.int64)
        return Occurrences(e, e, e, big, doc_offsets, token_ends, token_docs)
    size = 1 << max(12, (n + 1).bit_length())
    pw, inv = _powers(size)
    codes = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    codes[(codes >= _ZERO) & (codes <= _NINE)] = _ZERO  # every digit is "0": numbers generalise
    is_sep = codes == 0
    seps = np.concatenate(([0], np.cumsum(is_sep)))
    doc_of = np.concatenate(([0], np.cumsum(is_sep)[:-1])).astype(np.int64)
    if all(lengths is None for _, lengths in docs):
        token_ends, token_docs = _space_token_bounds(codes, is_sep, doc_of)
    else:
        token_ends, token_docs = _token_bounds(docs, texts, doc_offsets)
    hashes: list[U64] = []
    starts_out: list[I64] = []
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(codes * inv[:n], out=prefix[1:])
        for k in range(spec.char_min, min(spec.char_max, n) + 1):
            starts = np.arange(0, n - k + 1, dtype=np.int64)
            starts = starts[seps[starts + k] == seps[starts]]
            ends = starts + k
            hashes.append(pw[ends - 1] * (prefix[ends] - prefix[starts]) + np.uint64(k * _CHAR_SALT))
            starts_out.append(starts)
        if spec.words and token_ends.size:
            ends = token_ends
            starts = np.concatenate(([0], ends[:-1]))
            starts = np.where(
                np.concatenate(([True], token_docs[1:] != token_docs[:-1])), doc_offsets[token_docs], starts
            )
            keep = (ends > starts) & (codes[np.minimum(starts, n - 1)] != _SPACE_CODE)
            starts, ends, tdocs = starts[keep], ends[keep], token_docs[keep]
            if starts.size:
                wh = pw[ends - 1] * (prefix[ends] - prefix[starts])
                hashes.append(wh ^ np.uint64(_WORD_SALT))
                starts_out.append(starts)
                if spec.word_bigrams and wh.size > 1:
                    same = tdocs[1:] == tdocs[:-1]
                    pair = wh[:-1] * np.uint64(_PAIR_MUL) + wh[1:]
                    hashes.append(pair[same] ^ np.uint64(_BIGRAM_SALT))
                    starts_out.append(starts[:-1][same])
    all_starts = np.concatenate(starts_out) if starts_out else np.zeros(0, dtype=np.int64)
    all_hashes = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
    return Occurrences(
        doc_of[all_starts],
        mix_hashes(all_hashes, spec.bits),
        all_starts,
        big,
        doc_offsets,
        token_ends,
        token_docs,
    )


def _space_token_bounds(codes: U64, is_sep: npt.NDArray[np.bool_], doc_of: I64) -> tuple[I64, I64]:
    """Token ends for space-separated documents: each space is a token, each run of non-spaces a word."""
    is_space = codes == _SPACE_CODE
    nxt_sep = np.concatenate((is_sep[1:], [True]))
    nxt_space = np.concatenate((is_space[1:], [False]))
    last = ~is_sep & (nxt_sep | is_space | nxt_space)
    idx = np.flatnonzero(last).astype(np.int64)
    return idx + 1, doc_of[idx]


def _token_bounds(docs: Sequence[Doc], texts: Sequence[str], doc_offsets: I64) -> tuple[I64, I64]:
    """Token end offsets in the joined text (tokens cut at the feature limit), and each token's document."""
    per_doc = [
        np.asarray(lengths if lengths is not None else [len(w) for w in _spaced(t)], dtype=np.int64)
        for t, lengths in docs
    ]
    counts = np.fromiter((a.size for a in per_doc), dtype=np.int64, count=len(per_doc))
    if not counts.sum():
        e = np.zeros(0, dtype=np.int64)
        return e, e
    token_docs = np.repeat(np.arange(len(docs), dtype=np.int64), counts)
    local_ends = np.concatenate([np.cumsum(a) for a in per_doc if a.size])
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    keep = local_ends <= lens[token_docs]
    return (local_ends + doc_offsets[token_docs])[keep], token_docs[keep]


def _spaced(text: str) -> list[str]:
    """Space-separated words as tokens, spaces included (the None form of a document, in Python)."""
    out: list[str] = []
    for i, word in enumerate(text.split(" ")):
        if i:
            out.append(" ")
        if word:
            out.append(word)
    return out


def hash_batch(
    docs: Sequence[Doc],
    spec: FeatureSpec,
    idf: F32 | None = None,
    keep_occurrences: bool = False,
) -> HashedBatch:
    """Feature triples for (normalised text, token lengths) documents: log-tf (× idf), L2-normalised rows."""
    occ = occurrences(docs, spec)
    rows, cols, counts = count_pairs(occ.docs, occ.cols, spec.bits, len(docs))
    return weighted_batch(rows, cols, counts, len(docs), idf, occ if keep_occurrences else None)


def count_pairs(docs: I64, cols: I64, bits: int, n_docs: int) -> tuple[I64, I64, I64]:
    """The distinct (document, bucket) pairs, by document then bucket, and how often each occurs.

    `np.unique(keys, return_counts=True)`, with the keys sorted as 32-bit integers when they fit (a batch
    of up to 2^(32-bits) documents): about half the time of sorting them as 64-bit ones.
    """
    keys = (docs << np.int64(bits)) | cols
    if keys.size == 0:
        return keys, keys, keys
    if n_docs << bits <= 1 << 32:
        keys = keys.astype(np.uint32)
    keys.sort()
    starts = run_starts(keys)
    counts = np.diff(np.append(starts, keys.size))
    distinct = keys[starts].astype(np.int64)
    return distinct >> np.int64(bits), distinct & np.int64((1 << bits) - 1), counts


def run_starts(ordered: npt.NDArray[np.integer]) -> I64:
    """Where each run of equal values starts in a sorted, non-empty array."""
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return np.flatnonzero(first)


def weighted_batch(
    rows: I64, cols: I64, counts: I64, n_docs: int, idf: F32 | None, occ: Occurrences | None
) -> HashedBatch:
    """log-tf (× idf) values of counted pairs, each document's row L2-normalised."""
    values = (1.0 + np.log(counts)).astype(np.float32)
    if idf is not None:
        values *= idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=values.astype(np.float64) ** 2, minlength=n_docs))
    values /= np.maximum(norms[rows], 1e-9).astype(np.float32)
    return HashedBatch(rows, cols, values, n_docs, occ)
