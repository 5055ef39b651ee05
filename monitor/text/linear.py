"""Compact linear models over hashed features: int8 weights in an .npz, scored with numpy alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.text.features import F32, Doc, FeatureSpec, HashedBatch, hash_batch, run_starts

Term = tuple[str, float]


@dataclass(frozen=True)
class LinearModel:
    """Class scores = W·x + b over `spec` features; W stored as int8 columns with one scale per class."""

    spec: FeatureSpec
    classes: tuple[str, ...]
    weights: npt.NDArray[np.int8]  # (buckets, classes)
    scale: F32  # (classes,)
    bias: F32  # (classes,)
    idf: F32 | None = None
    meta: tuple[tuple[str, float], ...] = ()

    def meta_value(self, key: str, default: float) -> float:
        return next((v for k, v in self.meta if k == key), default)

    @classmethod
    def from_float(
        cls,
        spec: FeatureSpec,
        classes: Sequence[str],
        weights: npt.NDArray[np.floating],
        bias: npt.NDArray[np.floating],
        idf: npt.NDArray[np.floating] | None = None,
        meta: dict[str, float] | None = None,
    ) -> LinearModel:
        """Quantise float weights (buckets × classes) to int8, per class."""
        w = np.asarray(weights, dtype=np.float32)
        scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0
        q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
        idf32 = None if idf is None else np.asarray(idf, dtype=np.float32)
        bias32 = np.asarray(bias, np.float32)
        return cls(
            spec, tuple(classes), q, scale.astype(np.float32), bias32, idf32, tuple((meta or {}).items())
        )

    def save(self, path: Path) -> None:
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "spec": self.spec.as_array(),
            "classes": np.array(self.classes),
            "weights": self.weights,
            "scale": self.scale,
            "bias": self.bias,
        }
        if self.idf is not None:
            arrays["idf"] = self.idf.astype(np.float16)
        if self.meta:
            arrays["meta_keys"] = np.array([k for k, _ in self.meta])
            arrays["meta_values"] = np.array([v for _, v in self.meta], dtype=np.float64)
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        with np.load(path, allow_pickle=False) as z:
            idf = z["idf"].astype(np.float32) if "idf" in z.files else None
            meta: tuple[tuple[str, float], ...] = ()
            if "meta_keys" in z.files:
                meta = tuple(
                    (str(k), float(v)) for k, v in zip(z["meta_keys"], z["meta_values"], strict=True)
                )
            return cls(
                FeatureSpec.from_array(z["spec"]),
                tuple(str(c) for c in z["classes"]),
                z["weights"],
                z["scale"].astype(np.float32),
                z["bias"].astype(np.float32),
                idf,
                meta,
            )

    def featurise(self, docs: Sequence[Doc], keep_occurrences: bool = False) -> HashedBatch:
        return hash_batch(docs, self.spec, self.idf, keep_occurrences)

    def scores(self, batch: HashedBatch) -> F32:
        """(documents, classes) raw scores."""
        if batch.n_docs == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        contrib = self.weights[batch.cols].astype(np.float32) * (batch.values[:, None] * self.scale)
        sums = np.zeros((batch.n_docs, len(self.classes)), dtype=np.float64)
        if batch.rows.size:
            # rows come sorted: each document's features are one run, summed in order in doubles
            starts = run_starts(batch.rows)
            sums[batch.rows[starts]] = np.add.reduceat(contrib.astype(np.float64), starts, axis=0)
        out = sums.astype(np.float32)
        out += self.bias
        return out

    def probabilities(self, batch: HashedBatch, temperature: float = 1.0) -> F32:
        """Softmax of the scores (optionally sharpened or flattened by a fitted temperature)."""
        s = self.scores(batch) / np.float32(temperature)
        s -= s.max(axis=1, keepdims=True)
        e = np.exp(s)
        probs: F32 = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        return probs

    def direction_weights(self, directions: npt.NDArray[np.floating[Any]]) -> F32:
        """Each bucket's weight along each direction (directions: m × classes) → buckets × m, idf included."""
        dirs = np.asarray(directions, dtype=np.float32) * self.scale
        out: F32 = (self.weights.astype(np.float32) @ dirs.T).astype(np.float32)
        if self.idf is not None:
            out *= self.idf[:, None]
        return out

    def top_terms(
        self, batch: HashedBatch, per_bucket: F32, choice: npt.NDArray[np.int64], top: int
    ) -> list[list[Term]]:
        """Per document, the words whose features pushed its score most along the direction `choice[doc]`
        (a column of `direction_weights`), strongest first; needs a batch made with `keep_occurrences`."""
        occ = batch.occurrences
        if occ is None:
            raise ValueError("top_terms needs featurise(..., keep_occurrences=True)")
        out: list[list[Term]] = [[] for _ in range(batch.n_docs)]
        if occ.cols.size == 0 or occ.token_ends.size == 0:
            return out
        contrib = per_bucket[occ.cols, choice[occ.docs]]
        n_tokens = occ.token_ends.size
        # the token an n-gram starts in: how many token ends lie at or before its start (one pass over the
        # text rather than a binary search per n-gram)
        ends_upto = np.cumsum(np.bincount(occ.token_ends, minlength=len(occ.text) + 1))
        token = np.minimum(ends_upto[occ.starts], n_tokens - 1)
        ok = occ.token_docs[token] == occ.docs
        totals = np.bincount(token[ok], weights=contrib[ok], minlength=n_tokens)
        token_starts = np.concatenate(([0], occ.token_ends[:-1]))
        first = np.concatenate(([True], occ.token_docs[1:] != occ.token_docs[:-1]))
        token_starts = np.where(first, occ.doc_offsets[occ.token_docs], token_starts)
        order = np.flatnonzero(totals > 0)
        order = order[np.lexsort((-totals[order], occ.token_docs[order]))]
        docs = occ.token_docs[order]
        rank = np.arange(order.size) - np.searchsorted(docs, docs)  # place within its document
        order = order[rank < top + 4]  # enough candidates to survive dropping punctuation and repeats
        text = occ.text
        seen: set[tuple[int, str]] = set()
        for d, a, b, total in zip(
            occ.token_docs[order].tolist(),
            token_starts[order].tolist(),
            occ.token_ends[order].tolist(),
            totals[order].tolist(),
            strict=True,
        ):
            word = text[a:b]
            if word.isalnum() and (d, word) not in seen and len(out[d]) < top:
                seen.add((d, word))
                out[d].append((word, round(total, 3)))
        return out
