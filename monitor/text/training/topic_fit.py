"""Topic model fitting and selection: serving-form documents, NB-SVM / SVM learners, cross-validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.text.features import Doc, FeatureSpec, normalise
from monitor.text.linear import LinearModel
from monitor.text.tokenize import Tokenizer
from monitor.text.topics import topic_batch, topic_document

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
SEED = 0
FOLDS = 5
TEMPERATURE_GRID = np.arange(0.05, 2.0, 0.05)
# Laplace smoothing of the naive-Bayes counts behind NB-SVM's log-count ratios.
NB_ALPHA = 1.0


def serving_document(tok: Tokenizer, stopwords: frozenset[str], text: str) -> Doc:
    """What the analyzer feeds the topic model for `text`: jieba tokens without stop-words, space-joined.

    Applied to the training rows too (their spaces removed first), so both sides are cut by the same
    tokenizer: the 泰迪杯 rows were segmented by another jieba setup, and its word boundaries differ."""
    return topic_document(tok.cut(normalise("".join(text.split()))), stopwords)


@dataclass(frozen=True)
class Learner:
    """A named way to fit class weights on tf-idf rows: fit(x, y, sample_weight) → (buckets × k, k)."""

    name: str
    fit: Callable[[Any, I64, F64], tuple[F64, F64]]


def svm(c: float) -> Learner:
    """One-vs-rest linear SVM (squared hinge), as shipped before."""

    def fit(x: Any, y: I64, weight: F64) -> tuple[F64, F64]:
        from sklearn.svm import LinearSVC

        clf = LinearSVC(C=c, random_state=SEED).fit(x, y, sample_weight=weight)
        return np.asarray(clf.coef_.T, np.float64), np.asarray(clf.intercept_, np.float64)

    return Learner(f"SVM C={c:g}", fit)


def nb_svm(c: float) -> Learner:
    """NB-SVM (Wang & Manning 2012): per class, features scaled by their naive-Bayes log-count ratio,
    then a binary SVM; the product of ratio and weight is again one linear weight per bucket."""

    def fit(x: Any, y: I64, weight: F64) -> tuple[F64, F64]:
        from sklearn.svm import LinearSVC

        present = x.copy()
        present.data[:] = 1.0
        k = int(y.max()) + 1
        w_out = np.zeros((x.shape[1], k))
        b_out = np.zeros(k)
        for c_idx in range(k):
            pos = y == c_idx
            p = NB_ALPHA + np.asarray(present[pos].sum(axis=0)).ravel()
            q = NB_ALPHA + np.asarray(present[~pos].sum(axis=0)).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            clf = LinearSVC(C=c, random_state=SEED)
            clf.fit(x.multiply(ratio).tocsr(), pos.astype(np.int64), sample_weight=weight)
            w_out[:, c_idx] = ratio * clf.coef_.ravel()
            b_out[c_idx] = float(clf.intercept_[0])
        return w_out, b_out

    return Learner(f"NB-SVM C={c:g}", fit)


def balanced(learner: Learner) -> Learner:
    """The learner with each row weighted inversely to its class's size: macro-F1 counts the small classes
    (交通运输 has a third of 城乡建设's rows) as much as the large."""

    def fit(x: Any, y: I64, weight: F64) -> tuple[F64, F64]:
        counts = np.bincount(y)
        per_class = len(y) / (len(counts) * np.maximum(counts, 1))
        return learner.fit(x, y, weight * per_class[y])

    return Learner(f"{learner.name}, classes balanced", fit)


def idf_of(docs: Sequence[Doc], spec: FeatureSpec) -> npt.NDArray[np.float32]:
    """Smoothed idf, rounded through float16 as it is stored."""
    counts = matrix(docs, spec)
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    return (np.log((1 + len(docs)) / (1 + df)) + 1).astype(np.float16).astype(np.float32)


def matrix(
    docs: Sequence[Doc], spec: FeatureSpec, idf: npt.NDArray[np.float32] | None = None, head_tokens: int = 0
) -> Any:
    """The documents' feature rows exactly as the run-time TopicModel computes them."""
    import scipy.sparse as sp  # type: ignore[import-untyped]

    b = topic_batch(docs, spec, idf, head_tokens)
    return sp.csr_matrix((b.values, (b.rows, b.cols)), shape=(b.n_docs, 1 << spec.bits))


@dataclass(frozen=True)
class Fitted:
    """Float weights over tf-idf rows, before quantisation."""

    spec: FeatureSpec
    head_tokens: int
    weights: F64
    bias: F64
    idf: npt.NDArray[np.float32]

    def scores(self, docs: Sequence[Doc]) -> F64:
        x = matrix(docs, self.spec, self.idf, self.head_tokens)
        return np.asarray(x @ self.weights + self.bias, np.float64)


def fit_docs(
    docs: Sequence[Doc], y: I64, spec: FeatureSpec, learner: Learner, head_tokens: int = 0
) -> Fitted:
    idf = idf_of(docs, spec)
    weights, bias = learner.fit(matrix(docs, spec, idf, head_tokens), y, np.ones(len(y)))
    return Fitted(spec, head_tokens, weights, bias, idf)


def out_of_fold(
    docs: Sequence[Doc],
    y: I64,
    spec: FeatureSpec,
    learner: Learner,
    head_tokens: int = 0,
    groups: I64 | None = None,
) -> F64:
    """Scores of every document from the model fitted on the other folds (stratified, seeded; with
    `groups`, a group never spans folds)."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    k = int(y.max()) + 1
    oof = np.zeros((len(docs), k))
    folds = (
        StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y)
        if groups is None
        else StratifiedGroupKFold(FOLDS, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y, groups)
    )
    for train_idx, test_idx in folds:
        fitted = fit_docs([docs[i] for i in train_idx], y[train_idx], spec, learner, head_tokens)
        oof[test_idx] = fitted.scores([docs[i] for i in test_idx])
    return oof


def near_duplicate_groups(texts: Sequence[str], overlap: float = 0.5) -> I64:
    """Group ids joining messages whose character-bigram sets overlap by Jaccard >= `overlap` (the board
    holds many reposts of one complaint); folds keep a group together so a repost is never its own test."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, text in enumerate(texts):
        chars = "".join(text.split())
        grams = {chars[j : j + 2] for j in range(len(chars) - 1)}
        cols += [vocab.setdefault(g, len(vocab)) for g in grams]
        rows += [i] * len(grams)
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), max(1, len(vocab))))
    sizes = np.asarray(x.sum(axis=1)).ravel()
    inter = (x @ x.T).tocoo()
    union = sizes[inter.row] + sizes[inter.col] - inter.data
    same = inter.data >= overlap * np.maximum(union, 1)
    edges = (np.ones(int(same.sum())), (inter.row[same], inter.col[same]))
    graph = sp.csr_matrix(edges, shape=(len(texts), len(texts)))
    return np.asarray(connected_components(graph, directed=False)[1], np.int64)


def temperature(scores: F64, y: I64) -> float:
    """The softmax temperature with the least negative log-likelihood on out-of-fold scores."""
    return float(min((_nll(scores / t, y), t) for t in TEMPERATURE_GRID)[1])


def _nll(scores: F64, truth: I64) -> float:
    s = scores - scores.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(truth)), truth].mean())


def to_linear(fitted: Fitted, topics: Sequence[str], temp: float) -> LinearModel:
    """The int8 artefact; its meta carries what TopicModel needs to score as training did."""
    meta = {"temperature": temp, "head_tokens": float(fitted.head_tokens)}
    return LinearModel.from_float(fitted.spec, list(topics), fitted.weights, fitted.bias, fitted.idf, meta)
