"""Sentiment fitting with NB-scaled features (Wang & Manning 2012), folded into ordinary linear weights.

Each hashed feature is scaled by how much more often it occurs in negative than in other texts
(`floor + |log-count ratio|`), after the row normalisation, before a multinomial logistic regression.
Since the scaling is per bucket and comes after the normalisation, it multiplies into the fitted
weights: the exported model is an ordinary `LinearModel`, scored exactly as before at run time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.text.features import Doc, FeatureSpec, hash_batch
from monitor.text.linear import LinearModel
from monitor.text.sentiment import NEGATIVE, is_negative

# The SMP2020 training file is the closest to the target (real Weibo, emotion labels): weighted up.
DEFAULT_SOURCE_WEIGHTS: Mapping[str, float] = {"virus_train": 5.0}


@dataclass(frozen=True)
class SentimentRecipe:
    """One sentiment candidate: features, regularisation, NB scaling floor (None: no scaling), weights, and
    whether negative texts of a known kind (`negative:angry`) keep their own class."""

    spec: FeatureSpec
    c: float = 0.5
    nb_floor: float | None = None
    source_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SOURCE_WEIGHTS))
    drop_sources: frozenset[str] = frozenset()
    kinds: bool = True


def _matrix(docs: Sequence[Doc], spec: FeatureSpec) -> Any:
    import scipy.sparse as sp  # type: ignore[import-untyped]

    b = hash_batch(docs, spec)
    return sp.csr_matrix((b.values, (b.rows, b.cols)), shape=(b.n_docs, 1 << spec.bits))


def log_count_ratio(
    x: Any, negative: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64], alpha: float = 1.0
) -> npt.NDArray[np.float64]:
    """Per column, log of (share among negative texts) / (share among the others), binarised counts."""
    present = (x > 0).astype(np.float64)
    p = alpha + present.T @ (weights * negative)
    q = alpha + present.T @ (weights * ~negative)
    ratio: npt.NDArray[np.float64] = np.log((p / p.sum()) / (q / q.sum()))
    return ratio


def fit_recipe(
    docs: Sequence[Doc], labels: Sequence[str], sources: Sequence[str], recipe: SentimentRecipe
) -> LinearModel:
    """Multinomial logistic regression over the sentiment classes, sources weighted, NB scaling folded in.
    `labels` may name negative kinds (datasets.training_label); all of them count as negative."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    keep = np.array([s not in recipe.drop_sources for s in sources])
    x = _matrix([d for d, k in zip(docs, keep, strict=True) if k], recipe.spec)
    y = np.array([label if recipe.kinds or not is_negative(label) else NEGATIVE for label in labels])[keep]
    negative = np.array([is_negative(label) for label in y])
    weights = np.array([recipe.source_weights.get(s, 1.0) for s in np.array(sources)[keep]])
    # Only buckets some training text fills can get a weight; fitting on those alone is the same fit, faster.
    used = np.flatnonzero(x.getnnz(axis=0))
    x = x[:, used]
    scale = np.ones(used.size)
    if recipe.nb_floor is not None:
        scale = recipe.nb_floor + np.abs(log_count_ratio(x, negative, weights))
        x = x @ sp.diags(scale)
    clf = LogisticRegression(C=recipe.c, max_iter=3000)
    clf.fit(x, y, sample_weight=weights)
    coef = np.zeros((1 << recipe.spec.bits, len(clf.classes_)))
    coef[used] = clf.coef_.T * scale[:, None]
    return LinearModel.from_float(recipe.spec, [str(c) for c in clf.classes_], coef, clf.intercept_)
