"""NB-scaled sentiment fitting: the scaling folds into plain linear weights the run-time code scores."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.text.features import Doc, FeatureSpec
from monitor.text.sentiment import NEGATIVE, SentimentModel, is_negative, negative_kind
from monitor.text.training.datasets import Labelled, training_label
from monitor.text.training.sentiment_fit import SentimentRecipe, _matrix, fit_recipe, log_count_ratio

pytest.importorskip("sklearn")

SPEC = FeatureSpec(12, 1, 2, False, False)
TEXTS = {
    "negative": ["气死我了真恶心", "太难过了想哭", "好害怕怎么办", "垃圾物业真恶心", "心痛想哭"],
    "positive": ["今天真开心", "好喜欢谢谢你", "太棒了开心", "谢谢大家好开心", "喜欢这个礼物"],
    "neutral": ["明天上午开会", "通知如下请查收", "地铁二号线运营时间", "会议通知如下", "今天上午十点"],
}


def _data() -> tuple[list[Doc], list[str], list[str]]:
    docs: list[Doc] = [(t, None) for texts in TEXTS.values() for t in texts]
    labels = [c for c, texts in TEXTS.items() for _ in texts]
    return docs, labels, ["weibo2018"] * len(docs)  # a source of weight 1


def test_log_count_ratio_sign() -> None:
    docs, labels, _ = _data()
    x = _matrix(docs, SPEC)
    r = log_count_ratio(x, np.array([y == NEGATIVE for y in labels]), np.ones(len(docs)))
    neg_col = _matrix([("害怕", None)], SPEC).indices
    pos_col = _matrix([("喜欢", None)], SPEC).indices
    assert r[neg_col].min() > 0 > r[pos_col].max()


def test_nb_scaling_is_folded_into_the_weights() -> None:
    """The exported int8 model reproduces the fitted classifier on scaled features (up to rounding)."""
    import scipy.sparse as sp  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression

    docs, labels, sources = _data()
    recipe = SentimentRecipe(SPEC, c=1.0, nb_floor=0.5)
    model = fit_recipe(docs, labels, sources, recipe)
    x = _matrix(docs, SPEC)
    x = x[:, np.flatnonzero(x.getnnz(axis=0))]
    scale = 0.5 + np.abs(log_count_ratio(x, np.array([y == NEGATIVE for y in labels]), np.ones(len(docs))))
    clf = LogisticRegression(C=1.0, max_iter=3000).fit(x @ sp.diags(scale), labels)
    expected = clf.predict_proba(x @ sp.diags(scale))[:, list(clf.classes_).index(NEGATIVE)]
    got = [r.probs[NEGATIVE] for r in SentimentModel(model).predict(docs)]
    assert np.allclose(got, expected, atol=0.02)
    assert all((p > 0.5) == (y == NEGATIVE) for p, y in zip(got, labels, strict=True))


KINDS = ["angry", "sad", "fear", "angry", "sad"]  # of TEXTS["negative"], in order


def test_negative_kinds_are_classes_whose_sum_is_p_negative() -> None:
    """Negative texts of a known kind keep their own class; P(negative) and the polarity use their sum."""
    docs, labels, sources = _data()
    kinds = iter(KINDS)
    labels = [negative_kind(next(kinds)) if y == NEGATIVE else y for y in labels]
    model = SentimentModel(fit_recipe(docs, labels, sources, SentimentRecipe(SPEC, c=1.0, nb_floor=0.5)))
    assert set(model.model.classes) == {
        "negative:angry", "negative:sad", "negative:fear", "positive", "neutral"
    }  # fmt: skip
    results = model.predict(docs, explain=3)
    summed = [sum(p for c, p in r.probs.items() if is_negative(c)) for r in results]
    assert np.allclose(model.negative_probability(docs), summed, atol=1e-3)
    assert [r.polarity == NEGATIVE for r in results] == [is_negative(y) for y in labels]
    assert all(r.terms for r, y in zip(results, labels, strict=True) if is_negative(y))
    collapsed = fit_recipe(docs, labels, sources, SentimentRecipe(SPEC, c=1.0, nb_floor=0.5, kinds=False))
    assert set(collapsed.classes) == {NEGATIVE, "positive", "neutral"}


def test_training_label_names_the_kind_of_negative_texts_only() -> None:
    assert training_label(Labelled("气死了", NEGATIVE, "virus_train", "angry")) == "negative:angry"
    assert training_label(Labelled("差评", NEGATIVE, "waimai_10k")) == NEGATIVE
    assert training_label(Labelled("开心", "positive", "virus_train")) == "positive"
    assert is_negative("negative:fear") and is_negative(NEGATIVE) and not is_negative("negatively")


def test_a_model_without_a_negative_class_is_refused() -> None:
    docs, labels, sources = _data()
    only = [(d, y, s) for d, y, s in zip(docs, labels, sources, strict=True) if y != NEGATIVE]
    model = fit_recipe(
        [d for d, _, _ in only], [y for _, y, _ in only], [s for _, _, s in only], SentimentRecipe(SPEC)
    )
    with pytest.raises(ValueError, match="no 'negative' class"):
        SentimentModel(model)
