"""Compact linear models over hashed features: int8 weights in an .npz, scored with numpy alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.text.features import F32, FeatureSpec, HashedBatch, doc_hashes, hash_batch, mix_hashes


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

    def featurise(self, docs: Sequence[tuple[str, Sequence[int]]]) -> HashedBatch:
        return hash_batch(docs, self.spec, self.idf)

    def scores(self, batch: HashedBatch) -> F32:
        """(documents, classes) raw scores."""
        if batch.n_docs == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        contrib = self.weights[batch.cols].astype(np.float32) * (batch.values[:, None] * self.scale)
        out = np.empty((batch.n_docs, len(self.classes)), dtype=np.float32)
        for c in range(len(self.classes)):
            out[:, c] = np.bincount(batch.rows, weights=contrib[:, c], minlength=batch.n_docs)
        out += self.bias
        return out

    def probabilities(self, batch: HashedBatch, temperature: float = 1.0) -> F32:
        """Softmax of the scores (optionally sharpened or flattened by a fitted temperature)."""
        s = self.scores(batch) / np.float32(temperature)
        s -= s.max(axis=1, keepdims=True)
        e = np.exp(s)
        probs: F32 = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        return probs

    def term_contributions(
        self, text: str, token_lengths: Sequence[int], direction: npt.NDArray[np.floating[Any]], top: int = 5
    ) -> list[tuple[str, float]]:
        """The words whose features pushed the score most along `direction` (a per-class weighting)."""
        hashes, starts, _ = doc_hashes(text, token_lengths, self.spec, origins=True)
        if hashes.size == 0 or not token_lengths:
            return []
        cols = mix_hashes(hashes, self.spec.bits)
        per_feature = (self.weights[cols].astype(np.float32) * self.scale) @ direction
        if self.idf is not None:
            per_feature *= self.idf[cols]
        bounds = np.cumsum(np.asarray(token_lengths, dtype=np.int64))
        token_of = np.searchsorted(bounds, starts, side="right")
        n_tokens = len(token_lengths)
        totals = np.bincount(np.minimum(token_of, n_tokens - 1), weights=per_feature, minlength=n_tokens)
        offsets = np.concatenate(([0], bounds[:-1]))
        order = np.argsort(-totals)
        out: list[tuple[str, float]] = []
        for i in order:
            if totals[i] <= 0 or len(out) >= top:
                break
            word = text[offsets[i] : bounds[i]].strip()
            if word and all(w != word for w, _ in out):
                out.append((word, round(float(totals[i]), 3)))
        return out
