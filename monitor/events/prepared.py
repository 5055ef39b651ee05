"""A post's grouping features made ahead of grouping, where its analysis runs (the analysis processes).

Everything about a post's grouping features but their IDF weights depends on its text alone: the terms,
their hashed-space ids and sublinear counts, the simhash fingerprint and the exact-text key. The analysis
stage computes them beside the analysis and stores them with the post until it is grouped, so the grouping
stage, which runs in one process at a time, only weighs the ids by the stream's document frequencies.
A post without them (analysed by an older version, or in a stage that made none) is featurised by grouping
itself, with the same result.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from monitor.events.simhash import simhash_many
from monitor.events.similarity import DIM_BITS, sublinear_tf
from monitor.events.text import TermTable, normalise, terms, text_key

VERSION = 1
# Each analysis process keeps its own table of term hashes: the common terms (Zipf) are most of the gain,
# and a smaller table than grouping's keeps each process's memory low (about 20 MB at most).
TABLE_TERMS = 100_000
_HEAD = struct.Struct("<BQQI")  # version, simhash, text key, number of terms
_tables = threading.local()  # one term table per thread: TermTable is not thread-safe


@dataclass(frozen=True)
class Prepared:
    """The text-only grouping features of one post."""

    ids: npt.NDArray[np.int64]  # hashed-space id of each distinct term, in first-occurrence order
    counts: npt.NDArray[np.int64]  # how often each term occurs
    fingerprint: int  # simhash64 over (term hash, sublinear tf); 0 without terms
    key: int  # text_key of the normalised text (identical-text matching for short posts)

    @property
    def n_terms(self) -> int:
        return int(self.ids.size)


def grouping_text(title: str | None, text: str | None) -> str:
    """What grouping reads of a post: its title and text."""
    return f"{title} {text or ''}" if title else text or ""


def _thread_table() -> TermTable:
    table: TermTable | None = getattr(_tables, "table", None)
    if table is None:
        table = _tables.table = TermTable(DIM_BITS, max_terms=TABLE_TERMS)
    return table


def prepare(text: str, table: TermTable | None = None) -> Prepared:
    """The features of `grouping_text(...)`, as WindowIndex computes them."""
    return prepare_many([text], table)[0]


def prepare_many(texts: Sequence[str], table: TermTable | None = None) -> list[Prepared]:
    """`prepare` of each text; the term look-ups and fingerprints are done for the whole batch at once."""
    if table is None:
        table = _thread_table()
    cleans = [normalise(t) for t in texts]
    counted = [terms(c) for c in cleans]
    sizes = np.fromiter(map(len, counted), dtype=np.int64, count=len(counted))
    every = list(chain.from_iterable(counted))  # each text's distinct terms, in first-occurrence order
    rows = table.rows(every)
    n = np.fromiter(chain.from_iterable(c.values() for c in counted), dtype=np.int64, count=len(every))
    fingerprints = simhash_many(table.hashes[rows], sublinear_tf(n), sizes)
    ids = table.ids[rows].astype(np.int64)
    out: list[Prepared] = []
    at = 0
    for clean, size, fingerprint in zip(cleans, sizes.tolist(), fingerprints, strict=True):
        out.append(Prepared(ids[at : at + size], n[at : at + size], fingerprint, text_key(clean)))
        at += size
    return out


def encode(p: Prepared) -> bytes:
    """Stored bytes: a header, then the term ids and their counts as little-endian uint32."""
    head = _HEAD.pack(VERSION, p.fingerprint, p.key, p.n_terms)
    counts = np.minimum(p.counts, np.iinfo(np.uint32).max)
    return head + p.ids.astype("<u4").tobytes() + counts.astype("<u4").tobytes()


def decode(blob: bytes | None) -> Prepared | None:
    """The features stored by `encode`, or None for no bytes, another version or a malformed blob."""
    if not blob or len(blob) < _HEAD.size:
        return None
    version, fingerprint, key, n = _HEAD.unpack_from(blob)
    if version != VERSION or len(blob) != _HEAD.size + 8 * n:
        return None
    body = np.frombuffer(blob, dtype="<u4", offset=_HEAD.size)
    ids, counts = body[:n].astype(np.int64), body[n:].astype(np.int64)
    if n and (int(ids.max()) >= 1 << DIM_BITS or int(counts.min()) < 1):
        return None
    return Prepared(ids, counts, fingerprint, key)


def prepared_bytes(text: str | None) -> bytes | None:
    """`encode(prepare(text))`, or None when there is no text to prepare (grouping then does it)."""
    return prepared_bytes_many([text])[0]


def prepared_bytes_many(texts: Sequence[str | None]) -> list[bytes | None]:
    """`prepared_bytes` of each text, prepared as one batch."""
    given = [t for t in texts if t is not None]
    encoded = iter([encode(p) for p in prepare_many(given)])
    return [None if t is None else next(encoded) for t in texts]
