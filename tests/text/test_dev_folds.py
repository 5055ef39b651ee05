"""Out-of-fold scoring for a model that also trains on its dev set (pure)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from monitor.text.training.dev_folds import assign_folds, nested_threshold_accuracy, out_of_fold, pick
from monitor.text.training.fit import best_joint_threshold, best_threshold, binary_metrics


def test_folds_are_even_within_each_group_and_deterministic() -> None:
    groups = ["virus"] * 2000 + ["usual"] * 2000 + ["rare"] * 7
    fold = assign_folds(groups)
    assert fold.tolist() == assign_folds(groups).tolist()
    assert fold.tolist() != assign_folds(groups, seed=1).tolist()
    for g in ("virus", "usual"):
        assert Counter(fold[np.array(groups) == g].tolist()) == dict.fromkeys(range(5), 400)
    assert sorted(Counter(fold[-7:].tolist()).values()) == [1, 1, 1, 2, 2]


def test_every_item_is_scored_by_a_fit_that_never_saw_it() -> None:
    fold = assign_folds(["a"] * 10 + ["b"] * 13, folds=4)
    seen: list[tuple[set[int], set[int]]] = []

    def fit_and_score(fit_idx: np.ndarray, held: np.ndarray) -> np.ndarray:
        seen.append((set(fit_idx.tolist()), set(held.tolist())))
        return held.astype(np.float64) / 100  # each item's own index: shows where its score landed

    started: list[int] = []
    scores = out_of_fold(fold, fit_and_score, started.append)
    assert started == [0, 1, 2, 3]
    assert scores.tolist() == [i / 100 for i in range(23)]
    assert all(not (fit & held) and len(fit | held) == 23 for fit, held in seen)
    assert set().union(*(held for _, held in seen)) == set(range(23))
    assert pick(list("abcdef"), np.array([4, 0])) == ["e", "a"]


def test_a_nested_threshold_never_sees_its_own_fold() -> None:
    # Fold 0 (12 texts) turns negative above 0.3, fold 1 (4 texts) above 0.7. A threshold tuned on all of
    # them suits fold 0; chosen on the other fold only, each fold gets the threshold that suits the other.
    p = np.array([0.1, 0.4, 0.5, 0.9] * 4, dtype=np.float64)
    fold = np.array([0] * 12 + [1] * 4)
    y = np.where(fold == 0, p > 0.3, p > 0.7)
    assert binary_metrics(p, y, best_threshold(p, y))["accuracy"] == 0.875
    assert nested_threshold_accuracy(p, y, fold, best_threshold) == 0.5
    assert nested_threshold_accuracy(p, y, fold, lambda *_: 0.45) == binary_metrics(p, y, 0.45)["accuracy"]


def test_the_joint_threshold_weighs_negative_f1_too() -> None:
    # Few negatives: accuracy alone prefers to miss some of them, accuracy + F1 does not.
    p = np.array([0.45] * 3 + [0.9] * 2 + [0.1] * 10 + [0.5] * 2, dtype=np.float64)
    y = np.array([True] * 3 + [True] * 2 + [False] * 10 + [False] * 2)
    by_accuracy, joint = best_threshold(p, y), best_joint_threshold(p, y)
    assert binary_metrics(p, y, joint)["negative_f1"] >= binary_metrics(p, y, by_accuracy)["negative_f1"]
    assert 0.2 <= joint <= 0.8
