"""TF-IDF vectors over hashed terms, a decayed document-frequency table, centroids and decayed cosine."""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

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
    ids: np.ndarray
    hashes: list[int]
    tf: list[float]


def weigh(counts: Counter[str], hasher: Callable[[str], int], idf: IdfTable) -> Weighted:
    """Sublinear TF × IDF, L2-normalised, over hashed term ids."""
    if not counts:
        return Weighted({}, np.zeros(0, dtype=np.int64), [], [])
    hashes = [hasher(t) for t in counts]
    tf = [1.0 + math.log(c) for c in counts.values()]
    ids = np.fromiter((h & (DIM - 1) for h in hashes), dtype=np.int64, count=len(hashes))
    w = np.asarray(tf) * idf.weights(ids)
    w /= float(np.sqrt((w * w).sum())) or 1.0
    vector: SparseVector = {}
    for i, wt in zip(ids.tolist(), w.tolist(), strict=True):
        vector[i] = vector.get(i, 0.0) + wt
    return Weighted(vector, np.unique(ids), hashes, tf)


def norm(v: Mapping[int, float]) -> float:
    return math.sqrt(sum(x * x for x in v.values()))


def cosine(unit: Mapping[int, float], centroid: Mapping[int, float], centroid_norm: float) -> float:
    """Cosine between a unit vector and a centroid whose norm is given."""
    if centroid_norm <= 0:
        return 0.0
    small, large = (centroid, unit) if len(centroid) <= len(unit) else (unit, centroid)
    dot = sum(w * large.get(t, 0.0) for t, w in small.items())
    return dot / centroid_norm


def merge_centroid(
    centroid: Mapping[int, float], keep: float, vector: Mapping[int, float], top_k: int
) -> SparseVector:
    """Decay the centroid by `keep`, add the vector, and keep the `top_k` heaviest terms."""
    merged: SparseVector = {t: w * keep for t, w in centroid.items()}
    for t, w in vector.items():
        merged[t] = merged.get(t, 0.0) + w
    if len(merged) <= top_k:
        return merged
    return dict(sorted(merged.items(), key=lambda kv: kv[1], reverse=True)[:top_k])


def top_terms(vector: Mapping[int, float], k: int) -> list[int]:
    """The `k` heaviest term ids (used as the inverted-index keys)."""
    return [t for t, _ in sorted(vector.items(), key=lambda kv: kv[1], reverse=True)[:k]]
