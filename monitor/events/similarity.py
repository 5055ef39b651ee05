"""TF-IDF vectors over hashed terms, a decayed document-frequency table, centroids and decayed cosine."""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import add, itemgetter, mul

import numpy as np
import numpy.typing as npt

from monitor.events.text import TermTable

DIM_BITS = 18
DIM = 1 << DIM_BITS  # hashed term space: 256 Ki counters, 1 MiB as float32, whatever the stream size

DECAY_STEP_S = 3600.0

SparseVector = dict[int, float]


def decay_factor(seconds: float, half_life_s: float) -> float:
    """Weight of something `seconds` old under exponential decay; never above 1."""
    if half_life_s <= 0:
        raise ValueError("half-life must be positive")
    return float(0.5 ** (max(seconds, 0.0) / half_life_s))


@dataclass
class IdfTable:
    """Exponentially decayed document frequencies in a fixed-size hashed table (constant memory)."""

    df: np.ndarray = field(default_factory=lambda: np.zeros(DIM, dtype=np.float32))
    docs: float = 0.0
    at: float | None = None  # epoch seconds the counts were last decayed to

    def decay_to(self, t: float, half_life_s: float) -> None:
        """Age the counts to time `t` (a no-op for earlier times: the stream is roughly ordered)."""
        if self.at is None:
            self.at = t
            return
        if t - self.at < DECAY_STEP_S:  # ageing 1 MiB per post is waste: an hour is little to a week
            return
        f = decay_factor(t - self.at, half_life_s)
        self.df *= np.float32(f)
        self.docs *= f
        self.at = t

    def weights(self, ids: np.ndarray) -> np.ndarray:
        """Smoothed inverse document frequency of each term id."""
        out: np.ndarray = np.log((1.0 + self.docs) / (1.0 + self.df[ids].astype(np.float64))) + 1.0
        return out

    def add(self, ids: np.ndarray) -> None:
        """Count one document containing these (distinct) term ids."""
        self.df[ids] += np.float32(1.0)
        self.docs += 1.0

    def to_bytes(self) -> bytes:
        return zlib.compress(self.df.tobytes(), 1)

    @classmethod
    def from_bytes(cls, blob: bytes | None, docs: float, at: float | None) -> IdfTable:
        if not blob:
            return cls(docs=0.0, at=at)
        df = np.frombuffer(zlib.decompress(blob), dtype=np.float32).copy()
        if df.shape != (DIM,):
            return cls(docs=0.0, at=at)
        return cls(df=df, docs=docs, at=at)


@dataclass(frozen=True)
class Weighted:
    """A post's unit TF-IDF vector, plus the raw (hash, tf) features its simhash is built from."""

    vector: SparseVector
    ids: np.ndarray  # distinct term ids
    hashes: np.ndarray  # uint64, one per term; empty when prepared ahead (monitor.events.prepared)
    tf: np.ndarray  # float64, one per term


_MAX_TF_COUNT = 256
# sublinear tf of the counts a post can have, so a post's tf is one gather (the same doubles as math.log)
_TF = np.array([0.0] + [1.0 + math.log(c) for c in range(1, _MAX_TF_COUNT)], dtype=np.float64)
EMPTY = Weighted({}, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64), np.zeros(0))


def sublinear_tf(counts: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
    """1 + ln(count) for each count (a gather for the usual small counts: the same doubles as math.log)."""
    if counts.size and int(counts.max()) < _MAX_TF_COUNT:
        tf: npt.NDArray[np.float64] = _TF[counts]
        return tf
    return np.array([1.0 + math.log(c) for c in counts.tolist()], dtype=np.float64)


def weigh_ids(
    ids: npt.NDArray[np.int64], tf: npt.NDArray[np.float64], idf: IdfTable
) -> tuple[SparseVector, npt.NDArray[np.int64]]:
    """The unit TF × IDF vector of these term ids (one per distinct term), and its distinct ids."""
    w = tf * idf.weights(ids)
    w /= float(np.sqrt((w * w).sum())) or 1.0
    id_list, weights = ids.tolist(), w.tolist()
    vector: SparseVector = dict(zip(id_list, weights, strict=True))
    if len(vector) < len(id_list):  # two terms hashed to one id: their weights add up
        vector = {}
        for i, wt in zip(id_list, weights, strict=True):
            vector[i] = vector.get(i, 0.0) + wt
        ids = np.unique(ids)
    return vector, ids


def weigh(counts: Counter[str], table: TermTable, idf: IdfTable) -> Weighted:
    """Sublinear TF × IDF, L2-normalised, over hashed term ids."""
    if not counts:
        return EMPTY
    rows = table.rows(counts)
    tf = sublinear_tf(np.fromiter(counts.values(), dtype=np.intp, count=len(counts)))
    vector, ids = weigh_ids(table.ids[rows], tf, idf)
    return Weighted(vector, ids, table.hashes[rows], tf)


def norm(v: Mapping[int, float]) -> float:
    return math.sqrt(sum(map(mul, v.values(), v.values())))


_ZEROS = repeat(0.0)
_WEIGHT = itemgetter(1)


def cosine(unit: Mapping[int, float], centroid: Mapping[int, float], centroid_norm: float) -> float:
    """Cosine between a unit vector and a centroid whose norm is given."""
    if centroid_norm <= 0:
        return 0.0
    small, large = (centroid, unit) if len(centroid) <= len(unit) else (unit, centroid)
    # summed in the small side's order, as a generator would: the same double whatever the speed-up
    dot: float = sum(map(mul, small.values(), map(large.get, small, _ZEROS)))
    return dot / centroid_norm


def merge_centroid(
    centroid: Mapping[int, float], keep: float, vector: Mapping[int, float], top_k: int
) -> SparseVector:
    """Decay the centroid by `keep`, add the vector, and keep the `top_k` heaviest terms."""
    merged: SparseVector = dict(zip(centroid, map(mul, centroid.values(), repeat(keep)), strict=True))
    # merged.get(t, 0.0) + w for each term, in the vector's order (new terms go last, as one by one)
    merged.update(zip(vector, map(add, map(merged.get, vector, _ZEROS), vector.values()), strict=True))
    if len(merged) <= top_k:
        return merged
    return dict(sorted(merged.items(), key=_WEIGHT, reverse=True)[:top_k])


def top_terms(vector: Mapping[int, float], k: int) -> list[int]:
    """The `k` heaviest term ids (used as the inverted-index keys)."""
    return [t for t, _ in sorted(vector.items(), key=_WEIGHT, reverse=True)[:k]]
