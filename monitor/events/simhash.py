"""64-bit simhash fingerprints, Hamming distance, and the 4×16-bit bands that find near-duplicates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BITS = 64
BANDS = 4
BAND_BITS = BITS // BANDS
NEAR_DUPLICATE_DISTANCE = 3  # Manku et al. (WWW 2007): 64-bit fingerprints, k = 3
_SHIFTS = np.arange(BITS, dtype=np.uint64)
_ONE = np.uint64(1)


def simhash64(hashes: Sequence[int], weights: Sequence[float]) -> int:
    """Charikar's simhash: each bit is the sign of the weighted vote of the features' hash bits."""
    if len(hashes) != len(weights):
        raise ValueError("hashes and weights differ in length")
    if not hashes:
        return 0
    h = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    bits = ((h[:, None] >> _SHIFTS) & _ONE).astype(np.float64)
    votes = np.asarray(weights, dtype=np.float64) @ (bits * 2.0 - 1.0)
    return int(((votes > 0).astype(np.uint64) << _SHIFTS).sum())


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
