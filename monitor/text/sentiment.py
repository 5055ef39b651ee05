"""Negativity: the probability that a text is negative (angry/sad/fear) and its polarity.

The model may split the negative class by kind (`negative:angry`, `negative:sad`, …: anger and grief are
said in different words, and one linear score per kind fits them better than one for all); P(negative) is
then the sum over the negative classes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from monitor.text.features import Doc
from monitor.text.linear import LinearModel, Term

MODEL_PATH = Path(__file__).resolve().parent / "models" / "sentiment.npz"
NEGATIVE, POSITIVE, NEUTRAL = "negative", "positive", "neutral"
_KIND = ":"


def negative_kind(kind: str) -> str:
    """The class name of one kind of negative text: `negative:angry`."""
    return f"{NEGATIVE}{_KIND}{kind}"


def is_negative(label: str) -> bool:
    """The negative class itself or one of its kinds."""
    return label == NEGATIVE or label.startswith(NEGATIVE + _KIND)


@dataclass(frozen=True)
class SentimentResult:
    """`negative` is calibrated so that 0.5 is the decision boundary; `probs` are the model's raw classes."""

    negative: float
    polarity: str
    probs: dict[str, float]
    terms: list[Term] = field(default_factory=list)


class SentimentModel:
    """The shipped sentiment classes (negative kinds, positive, neutral, surprise) as a polarity."""

    def __init__(self, model: LinearModel) -> None:
        negative = [is_negative(c) for c in model.classes]
        if not any(negative):
            raise ValueError(f"sentiment model has no {NEGATIVE!r} class: {model.classes}")
        self.model = model
        self._neg = np.array(negative)
        # Logit shift that moves the tuned decision threshold to 0.5 (stored by the training script).
        self._offset = model.meta_value("negative_logit_offset", 0.0)
        n_neg = int(self._neg.sum())
        # Towards the negative classes on average and away from the others on average.
        direction = np.where(self._neg, 1.0 / n_neg, -1.0 / max(1, self._neg.size - n_neg))
        self._towards_negative = model.direction_weights(direction[None, :].astype(np.float32))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SentimentModel:
        return cls(LinearModel.load(path))

    def negative_probability(self, docs: Sequence[Doc]) -> npt.NDArray[np.float64]:
        """The model's P(negative) per document, before the threshold shift (what training tunes)."""
        probs = self.model.probabilities(self.model.featurise(docs))
        return np.asarray(probs[:, self._neg].sum(axis=1), dtype=np.float64)

    def predict(self, docs: Sequence[Doc], explain: int = 0) -> list[SentimentResult]:
        """One result per (normalised text, token lengths) document, with up to `explain` negative terms."""
        batch = self.model.featurise(docs, keep_occurrences=explain > 0)
        probs = self.model.probabilities(batch)
        p_negative = probs[:, self._neg].sum(axis=1).tolist()
        terms: list[list[Term]] = [[] for _ in docs]
        if explain:
            choice = np.zeros(len(docs), dtype=np.int64)
            terms = self.model.top_terms(batch, self._towards_negative, choice, explain)
        out: list[SentimentResult] = []
        for row, summed in zip(probs, p_negative, strict=True):
            p_neg = min(max(summed, 1e-6), 1 - 1e-6)
            negative = 1.0 / (1.0 + math.exp(-(math.log(p_neg / (1 - p_neg)) - self._offset)))
            named = {c: round(float(p), 4) for c, p in zip(self.model.classes, row, strict=True)}
            out.append(
                SentimentResult(round(negative, 4), self._polarity(negative, named), named, terms[len(out)])
            )
        return out

    @staticmethod
    def _polarity(negative: float, probs: dict[str, float]) -> str:
        if negative >= 0.5:
            return NEGATIVE
        rest = sum(p for c, p in probs.items() if not is_negative(c)) or 1.0
        return POSITIVE if probs.get(POSITIVE, 0.0) / rest >= 0.5 else NEUTRAL
