"""64-bit simhash fingerprints, Hamming distance, and the 4×16-bit bands that find near-duplicates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BITS = 64
BANDS = 4
BAND_BITS = BITS // BANDS
_CHUNK = 8192  # features summed at once by simhash_many (a 4 MB vote matrix)
NEAR_DUPLICATE_DISTANCE = 3  # Manku et al. (WWW 2007): 64-bit fingerprints, k = 3


def simhash64(hashes: Sequence[int] | np.ndarray, weights: Sequence[float] | np.ndarray) -> int:
    """Charikar's simhash: each bit is the sign of the weighted vote of the features' hash bits."""
    if len(hashes) != len(weights):
        raise ValueError("hashes and weights differ in length")
    h, w = np.asarray(hashes, dtype="<u8"), np.asarray(weights, dtype=np.float64)
    return simhash_many(h, w, [len(h)])[0]


def simhash_many(hashes: np.ndarray, weights: np.ndarray, sizes: Sequence[int] | np.ndarray) -> list[int]:
    """`simhash64` of consecutive runs of features (`sizes[i]` of them for the i-th), 0 for an empty run.

    The votes of all runs are summed in one pass (a few thousand features at a time), so a batch of posts
    costs a handful of array operations rather than a handful per post; every run gets the same sums
    whichever batch it is in.
    """
    counts = np.asarray(sizes, dtype=np.int64)
    if int(counts.sum()) != len(hashes) or len(weights) != len(hashes):
        raise ValueError("the run sizes do not add up to the number of features and weights")
    out = [0] * counts.size
    ends = np.cumsum(counts)
    begins = ends - counts
    first = 0
    while first < counts.size:
        # the runs that end within _CHUNK features of this chunk's start (at least one)
        last = max(first + 1, int(np.searchsorted(ends, begins[first] + _CHUNK, side="right")))
        lo, hi = int(begins[first]), int(ends[last - 1])
        runs = np.flatnonzero(counts[first:last])
        if runs.size:
            h = np.ascontiguousarray(hashes[lo:hi], dtype="<u8")
            signs = np.unpackbits(h.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
            votes = signs.astype(np.float64)
            votes *= 2.0
            votes -= 1.0
            votes *= np.asarray(weights[lo:hi], dtype=np.float64)[:, None]
            sums = np.add.reduceat(votes, begins[first:last][runs] - lo, axis=0)
            packed = np.packbits(sums > 0, axis=1, bitorder="little").view("<u8").ravel()
            for run, fingerprint in zip(runs.tolist(), packed.tolist(), strict=True):
                out[first + run] = fingerprint
        first = last
    return out


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two unsigned 64-bit fingerprints."""
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()


def bands(fingerprint: int) -> tuple[int, ...]:
    """The four 16-bit bands; two fingerprints within distance 3 share at least one band exactly."""
    mask = (1 << BAND_BITS) - 1
    return tuple((fingerprint >> (BAND_BITS * i)) & mask for i in range(BANDS))


def to_signed(fingerprint: int) -> int:
    """Unsigned 64-bit → PostgreSQL bigint."""
    return fingerprint - (1 << BITS) if fingerprint >= 1 << (BITS - 1) else fingerprint


def to_unsigned(value: int) -> int:
    """PostgreSQL bigint → unsigned 64-bit."""
    return value + (1 << BITS) if value < 0 else value
