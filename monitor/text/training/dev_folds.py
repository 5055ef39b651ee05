"""Training on the dev set without losing an honest dev figure: out-of-fold predictions.

The SMP2020 eval files are the only labelled data of the kind the model is judged on (and the only general
Weibo emotion data: there is no usual_train). The shipped model therefore trains on them too. Its dev
figures come from k folds of the dev set: each fold is scored by a model fitted on the training sources plus
the other folds, so every dev text is scored by a model that never saw it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

T = TypeVar("T")
FOLDS = 5
SEED = 0


def assign_folds(groups: Sequence[str], folds: int = FOLDS, seed: int = SEED) -> npt.NDArray[np.int64]:
    """A fold number per item: shuffled within each group (the dev domain), dealt out in turn, so every fold
    holds the same share of each group. Deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    names = np.array(groups)
    out = np.zeros(len(names), dtype=np.int64)
    for g in sorted(set(groups)):
        idx = np.flatnonzero(names == g)
        rng.shuffle(idx)
        out[idx] = np.arange(idx.size) % folds
    return out


def out_of_fold(
    fold: npt.NDArray[np.int64],
    fit_and_score: Callable[[npt.NDArray[np.int64], npt.NDArray[np.int64]], npt.NDArray[np.float64]],
    on_fold: Callable[[int], None] | None = None,
) -> npt.NDArray[np.float64]:
    """Scores for every item, each from `fit_and_score(train_idx, score_idx)` of the fold it is not in."""
    scores = np.zeros(fold.size, dtype=np.float64)
    for k in sorted(set(fold.tolist())):
        if on_fold is not None:
            on_fold(k)
        held = np.flatnonzero(fold == k)
        scores[held] = fit_and_score(np.flatnonzero(fold != k), held)
    return scores


def nested_threshold_accuracy(
    p: npt.NDArray[np.float64],
    y: npt.NDArray[np.bool_],
    fold: npt.NDArray[np.int64],
    choose: Callable[[npt.NDArray[np.float64], npt.NDArray[np.bool_]], float],
) -> float:
    """Accuracy when each fold's threshold is chosen on the other folds only (no threshold sees its fold)."""
    hits = 0
    for k in sorted(set(fold.tolist())):
        mine = fold == k
        threshold = choose(p[~mine], y[~mine])
        hits += int(np.sum((p[mine] >= threshold) == y[mine]))
    return round(hits / max(1, y.size), 4)


def pick(items: Sequence[T], idx: npt.NDArray[np.int64]) -> list[T]:
    return [items[i] for i in idx.tolist()]
