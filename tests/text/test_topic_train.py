"""Topic training: the raw sample's out-of-fold figure never lets a held message train its own model."""

from __future__ import annotations

import numpy as np
import pytest


def test_the_raw_sample_is_scored_by_topic_models_that_never_saw_its_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each raw-sample message is predicted by a model fitted on the other folds' raw messages and on the
    training rows that are not sample messages, never on its own raw or segmented form."""
    from monitor.text.training import topic_train
    from monitor.text.training.topic_fit import svm

    rows = [(f"row{i}", None) for i in range(12)]
    y = np.array([i % 7 for i in range(12)], dtype=np.int64)
    in_sample = np.array([i < 3 for i in range(12)])  # rows 0-2 are the sample's messages, segmented
    raw = [(f"raw{i}", None) for i in range(35)]
    y_raw = np.array([i % 7 for i in range(35)], dtype=np.int64)
    fits: list[list[str]] = []

    class Fitted:
        def __init__(self, docs: list[tuple[str, None]]) -> None:
            fits.append([d for d, _ in docs])

        def scores(self, docs: list[tuple[str, None]]) -> np.ndarray:
            assert not {d for d, _ in docs} & set(fits[-1]), "a held message was in its own training set"
            out = np.zeros((len(docs), 7))
            out[:, 3] = 1.0
            return out

    monkeypatch.setattr(topic_train, "fit_docs", lambda docs, *a: Fitted(docs))
    cand = topic_train.Candidate(topic_train.SPEC, True, svm(1.0))
    pred = topic_train._raw_out_of_fold(rows, y, in_sample, raw, y_raw, cand)
    assert pred.tolist() == [3] * 35 and len(fits) == 5
    for docs in fits:
        assert not {"row0", "row1", "row2"} & set(docs) and {f"row{i}" for i in range(3, 12)} <= set(docs)
        assert sum(d.startswith("raw") for d in docs) == 28  # the other four folds of 35
