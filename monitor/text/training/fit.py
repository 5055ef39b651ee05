"""Metrics and the snownlp baselines for training (fitting: sentiment_fit.py and topic_fit.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from monitor.text.training.datasets import NEG, Labelled

# Candidate thresholds, rounded: each is scored exactly as the value returned (0.5, not 0.5000000000000002).
_GRID = np.round(np.arange(0.2, 0.81, 0.01), 2)


def best_threshold(p: npt.NDArray[np.float64], y: npt.NDArray[np.bool_]) -> float:
    """The decision threshold on P(negative) with the best accuracy (grid of 0.01)."""
    return _best_on_grid(p, y, lambda m: m["accuracy"])


def best_joint_threshold(p: npt.NDArray[np.float64], y: npt.NDArray[np.bool_]) -> float:
    """The threshold with the best accuracy + negative-class F1 (the two figures the model is judged by):
    accuracy alone favours a threshold that gives up negative recall."""
    return _best_on_grid(p, y, lambda m: m["accuracy"] + m["negative_f1"])


def _best_on_grid(
    p: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], objective: Callable[[dict[str, float]], float]
) -> float:
    """The first grid threshold with the highest `objective` of its binary metrics."""
    scores = [objective(binary_metrics(p, y, float(t))) for t in _GRID]
    return float(_GRID[int(np.argmax(scores))])


def binary_metrics(
    p: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], threshold: float
) -> dict[str, float]:
    pred = p >= threshold
    tp = float(np.sum(pred & y))
    precision = tp / max(1.0, float(pred.sum()))
    recall = tp / max(1.0, float(y.sum()))
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return {"accuracy": round(float(np.mean(pred == y)), 4), "negative_f1": round(f1, 4)}


def macro_f1(y: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    f1s = []
    for label in labels:
        tp = sum(1 for a, b in zip(y, pred, strict=True) if a == label and b == label)
        fp = sum(1 for a, b in zip(y, pred, strict=True) if a != label and b == label)
        fn = sum(1 for a, b in zip(y, pred, strict=True) if a == label and b != label)
        f1s.append(2 * tp / max(1, 2 * tp + fp + fn))
    return round(float(np.mean(f1s)), 4)


def snownlp_scores(texts: Sequence[str], retrain_on: Sequence[Labelled] | None) -> npt.NDArray[np.float64]:
    """P(negative) from snownlp's Bayes sentiment: its shipped model, or one retrained on `retrain_on`."""
    from snownlp import sentiment

    model = sentiment.Sentiment()
    if retrain_on is None:
        model.load()
    else:
        neg = [r.text for r in retrain_on if r.label == NEG]
        pos = [r.text for r in retrain_on if r.label != NEG]
        model.train(neg, pos)
    return np.array([1.0 - float(model.classify(t)) if t.strip() else 0.5 for t in texts])
