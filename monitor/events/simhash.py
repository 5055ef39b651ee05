"""64-bit simhash fingerprints, Hamming distance, and the 4×16-bit bands that find near-duplicates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BITS = 64
BANDS = 4
BAND_BITS = BITS // BANDS
NEAR_DUPLICATE_DISTANCE = 3  # Manku et al. (WWW 2007): 64-bit fingerprints, k = 3


def simhash64(hashes: Sequence[int] | np.ndarray, weights: Sequence[float] | np.ndarray) -> int:
    """Charikar's simhash: each bit is the sign of the weighted vote of the features' hash bits."""
    if len(hashes) != len(weights):
        raise ValueError("hashes and weights differ in length")
    if not len(hashes):
        return 0
    h = np.asarray(hashes, dtype="<u8")
    bits = np.unpackbits(h.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")  # bit j of hash i
    signs = bits.astype(np.float64)
    signs *= 2.0
    signs -= 1.0
    votes = np.asarray(weights, dtype=np.float64) @ signs
    return int.from_bytes(np.packbits(votes > 0, bitorder="little").tobytes(), "little")


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
