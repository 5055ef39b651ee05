"""Negativity: the probability that a text is negative (angry/sad/fear) and its polarity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from monitor.text.features import Doc
from monitor.text.linear import LinearModel, Term

MODEL_PATH = Path(__file__).resolve().parent / "models" / "sentiment.npz"
NEGATIVE, POSITIVE, NEUTRAL = "negative", "positive", "neutral"


@dataclass(frozen=True)
class SentimentResult:
    """`negative` is calibrated so that 0.5 is the decision boundary; `probs` are the model's raw classes."""

    negative: float
    polarity: str
    probs: dict[str, float]
    terms: list[Term] = field(default_factory=list)


class SentimentModel:
    """The shipped sentiment classes (negative / positive / neutral / surprise) turned into a polarity."""

    def __init__(self, model: LinearModel) -> None:
        if NEGATIVE not in model.classes:
            raise ValueError(f"sentiment model has no {NEGATIVE!r} class: {model.classes}")
        self.model = model
        self._neg = model.classes.index(NEGATIVE)
        # Logit shift that moves the tuned decision threshold to 0.5 (stored by the training script).
        self._offset = model.meta_value("negative_logit_offset", 0.0)
        direction = -np.ones(len(model.classes), dtype=np.float32) / max(1, len(model.classes) - 1)
        direction[self._neg] = 1.0
        self._towards_negative = model.direction_weights(direction[None, :])

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SentimentModel:
        return cls(LinearModel.load(path))

    def predict(self, docs: Sequence[Doc], explain: int = 0) -> list[SentimentResult]:
        """One result per (normalised text, token lengths) document, with up to `explain` negative terms."""
        batch = self.model.featurise(docs, keep_occurrences=explain > 0)
        probs = self.model.probabilities(batch)
        terms: list[list[Term]] = [[] for _ in docs]
        if explain:
            choice = np.zeros(len(docs), dtype=np.int64)
            terms = self.model.top_terms(batch, self._towards_negative, choice, explain)
        out: list[SentimentResult] = []
        for row in probs:
            p_neg = float(min(max(row[self._neg], 1e-6), 1 - 1e-6))
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
        rest = sum(p for c, p in probs.items() if c != NEGATIVE) or 1.0
        return POSITIVE if probs.get(POSITIVE, 0.0) / rest >= 0.5 else NEUTRAL
