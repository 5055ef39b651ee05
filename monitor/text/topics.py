"""Topic (which government domain): the shipped 7-class model plus keyword rules from responders/, and the
department that owns the topic in the matched region."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.text.linear import LinearModel

MODEL_PATH = Path(__file__).resolve().parent / "models" / "topic.npz"
# Each distinct responder keyword adds this much to its topics' score (model probabilities sum to 1).
KEYWORD_WEIGHT = 0.3
MAX_KEYWORD_HITS = 3
UNKNOWN_TOPIC = "其他"


def topic_document(tokens: Iterable[str], stopwords: frozenset[str]) -> tuple[str, list[int]]:
    """Tokens without stop-words and punctuation, space-joined like the segmented training data."""
    words = [t for t in tokens if t.strip() and t not in stopwords and any(ch.isalnum() for ch in t)]
    return segmented_document(" ".join(words))


def segmented_document(segmented: str) -> tuple[str, list[int]]:
    """A space-separated word string and the lengths partitioning it (words and single spaces)."""
    text = " ".join(segmented.split())
    lengths: list[int] = []
    for i, word in enumerate(text.split(" ")):
        if i:
            lengths.append(1)
        lengths.append(len(word))
    return text, lengths if text else []


class TopicModel:
    """The shipped classifier of the seven 一级标签 (城乡建设 … 卫生计生)."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        self.temperature = model.meta_value("temperature", 1.0)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TopicModel:
        return cls(LinearModel.load(path))

    @property
    def topics(self) -> tuple[str, ...]:
        return self.model.classes

    def predict(self, docs: Sequence[tuple[str, Sequence[int]]]) -> list[dict[str, float]]:
        """Topic → probability, per document."""
        probs = self.model.probabilities(self.model.featurise(docs), self.temperature)
        return [dict(zip(self.topics, map(float, row), strict=True)) for row in probs]

    def terms(self, doc: tuple[str, Sequence[int]], topic: str, top: int = 5) -> list[tuple[str, float]]:
        """Words that pushed the document towards `topic`."""
        k = len(self.topics)
        direction = -np.ones(k, dtype=np.float32) / max(1, k - 1)
        direction[self.topics.index(topic)] = 1.0
        return self.model.term_contributions(doc[0], doc[1], direction, top)


@dataclass(frozen=True)
class KeywordRule:
    """A responder department's keyword: which department declared it and the topics it signals."""

    keyword: str
    department: str
    topics: tuple[str, ...]


class KeywordRules:
    """All responder keywords in one pattern; a keyword counts once per text however often it appears."""

    def __init__(self, rules: Iterable[KeywordRule]) -> None:
        self._by_word: dict[str, list[KeywordRule]] = {}
        for rule in rules:
            self._by_word.setdefault(rule.keyword.lower(), []).append(rule)
        words = sorted(self._by_word, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, words))) if words else None

    def keywords(self) -> list[str]:
        return list(self._by_word)

    def match(self, text: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(topic → keywords, department → keywords) found in the (normalised) text."""
        by_topic: dict[str, list[str]] = {}
        by_department: dict[str, list[str]] = {}
        if self._pattern is None:
            return by_topic, by_department
        for word in dict.fromkeys(m.group(0) for m in self._pattern.finditer(text)):
            for rule in self._by_word[word]:
                for topic in rule.topics:
                    hits = by_topic.setdefault(topic, [])
                    if word not in hits:
                        hits.append(word)
                hits = by_department.setdefault(rule.department, [])
                if word not in hits:
                    hits.append(word)
        return by_topic, by_department


@dataclass(frozen=True)
class TopicDecision:
    """The topic, its score in 0..1, and how it was reached."""

    topic: str
    score: float
    source: str  # "model", "keywords" or "model+keywords"
    model_top: tuple[tuple[str, float], ...]
    keywords: dict[str, list[str]]


def decide_topic(model_probs: dict[str, float], keyword_hits: dict[str, list[str]]) -> TopicDecision:
    """Model probability plus KEYWORD_WEIGHT per distinct keyword; keywords alone can name topics the
    model does not know (安全生产/应急, 公安/治安, 水务, …)."""
    scores = dict(model_probs)
    total_bonus = 0.0
    for topic, words in keyword_hits.items():
        bonus = KEYWORD_WEIGHT * min(len(words), MAX_KEYWORD_HITS)
        scores[topic] = scores.get(topic, 0.0) + bonus
        total_bonus += bonus
    model_top = tuple(sorted(((t, round(p, 4)) for t, p in model_probs.items()), key=lambda x: -x[1])[:3])
    if not scores:
        return TopicDecision(UNKNOWN_TOPIC, 0.0, "none", model_top, keyword_hits)
    topic = max(scores, key=lambda t: scores[t])
    score = scores[topic] / ((sum(model_probs.values()) or 0.0) + total_bonus or 1.0)
    in_model, by_words = topic in model_probs, topic in keyword_hits
    source = "model+keywords" if in_model and by_words else "keywords" if by_words else "model"
    return TopicDecision(topic, round(min(score, 1.0), 4), source, model_top, keyword_hits)


@dataclass(frozen=True)
class DepartmentInfo:
    """What department choice needs from a responder file."""

    id: str
    topics: tuple[str, ...]
    regions: tuple[str, ...]


def choose_department(
    topic: str,
    region_chain: Sequence[str],
    departments: Sequence[DepartmentInfo],
    keyword_departments: dict[str, list[str]],
) -> tuple[str | None, str | None]:
    """The department owning `topic` whose jurisdiction is nearest the region (属地 first, then up the
    tree); more keyword hits break ties. Returns (department id, reason)."""
    owners = [d for d in departments if topic in d.topics]
    if not owners:
        return None, f"no department in responders/ owns topic {topic!r}"

    def hits(d: DepartmentInfo) -> int:
        return len(keyword_departments.get(d.id, []))

    for level, region in enumerate(region_chain):
        here = [d for d in owners if region in d.regions]
        if here:
            best = max(here, key=lambda d: (hits(d), -departments.index(d)))
            where = "the matched region" if level == 0 else f"the enclosing region {region!r}"
            return best.id, f"owns {topic!r} in {where}"
    best = max(owners, key=lambda d: (hits(d), -departments.index(d)))
    return best.id, f"owns {topic!r} (no region matched)"
