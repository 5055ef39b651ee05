"""Model fitting and metrics for training (scikit-learn lives here, never in the runtime modules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.text.features import Doc, FeatureSpec, hash_batch
from monitor.text.linear import LinearModel
from monitor.text.training.datasets import NEG, Labelled

# The SMP2020 training file is the closest to the target (real Weibo, emotion labels): weighted up.
SOURCE_WEIGHTS = {"virus_train": 5.0}
SENTIMENT_C = 0.5
TOPIC_C = 3.0


def _matrix(docs: Sequence[Doc], spec: FeatureSpec, idf: npt.NDArray[np.float32] | None = None) -> Any:
    import scipy.sparse as sp  # type: ignore[import-untyped]

    b = hash_batch(docs, spec, idf)
    return sp.csr_matrix((b.values, (b.rows, b.cols)), shape=(b.n_docs, 1 << spec.bits))


def fit_sentiment(
    docs: Sequence[Doc], labels: Sequence[str], sources: Sequence[str], spec: FeatureSpec
) -> LinearModel:
    """Multinomial logistic regression over the four sentiment classes, sources weighted."""
    from sklearn.linear_model import LogisticRegression

    x = _matrix(docs, spec)
    weights = np.array([SOURCE_WEIGHTS.get(s, 1.0) for s in sources])
    clf = LogisticRegression(C=SENTIMENT_C, max_iter=3000)
    clf.fit(x, list(labels), sample_weight=weights)
    classes = [str(c) for c in clf.classes_]
    return LinearModel.from_float(spec, classes, clf.coef_.T, clf.intercept_)


def fit_topic(
    docs: Sequence[Doc], labels: Sequence[str], spec: FeatureSpec, topics: Sequence[str]
) -> LinearModel:
    """Linear SVM over log-tf·idf features; a softmax temperature fitted on 3-fold out-of-fold scores."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    counts = _matrix(docs, spec)
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    idf = (np.log((1 + len(docs)) / (1 + df)) + 1).astype(np.float16).astype(np.float32)
    x = _matrix(docs, spec, idf)
    y = np.array(labels)
    oof = np.zeros((len(docs), len(topics)))
    for train_idx, test_idx in StratifiedKFold(3, shuffle=True, random_state=0).split(x, y):
        fold = LinearSVC(C=TOPIC_C).fit(x[train_idx], y[train_idx])
        order = [list(fold.classes_).index(t) for t in topics]
        oof[test_idx] = fold.decision_function(x[test_idx])[:, order]
    truth = np.array([list(topics).index(label) for label in labels])
    temperature = min((_nll(oof / t, truth), t) for t in np.arange(0.05, 2.0, 0.05))[1]
    clf = LinearSVC(C=TOPIC_C).fit(x, y)
    order = [list(clf.classes_).index(t) for t in topics]
    return LinearModel.from_float(
        spec,
        list(topics),
        clf.coef_.T[:, order],
        clf.intercept_[order],
        idf,
        {"temperature": float(temperature)},
    )


def _nll(scores: npt.NDArray[np.float64], truth: npt.NDArray[np.int64]) -> float:
    s = scores - scores.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(truth)), truth].mean())


def best_threshold(p: npt.NDArray[np.float64], y: npt.NDArray[np.bool_]) -> float:
    """The decision threshold on P(negative) with the best accuracy (grid of 0.01)."""
    grid = np.arange(0.2, 0.81, 0.01)
    accs = [float(np.mean((p >= t) == y)) for t in grid]
    return round(float(grid[int(np.argmax(accs))]), 2)


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
