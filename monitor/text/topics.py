"""Topic: the shipped 7-class model plus responders/ keyword rules, and the department that owns it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.text.features import (
    F32,
    Doc,
    FeatureSpec,
    HashedBatch,
    count_pairs,
    hash_batch,
    occurrences,
    weighted_batch,
)
from monitor.text.linear import LinearModel, Term

MODEL_PATH = Path(__file__).resolve().parent / "models" / "topic.npz"
# Each distinct responder keyword adds this much to its topic's score (model probabilities sum to 1). Topics
# the model knows need little help (more costs accuracy on the 一级标签 dev data); topics only responders/
# declare (安全生产/应急, 水务, …) get enough that two or three keywords outweigh a confident model. A lone
# keyword of such a topic counts less: off-domain posts leave the model unsure (best topic 0.2-0.4), and one
# incidental word (河道 in a car-in-the-river rescue) should not hand them to 水务.
MODEL_TOPIC_KEYWORD_WEIGHT = 0.1
RULE_TOPIC_KEYWORD_WEIGHT = 0.4
RULE_TOPIC_LONE_KEYWORD_WEIGHT = 0.2
MAX_KEYWORD_HITS = 3
UNKNOWN_TOPIC = "其他"
_SPACE_CODE = ord(" ")


def topic_document(tokens: Iterable[str], stopwords: frozenset[str]) -> Doc:
    """Tokens without stop-words and punctuation, space-joined like the segmented training data."""
    return " ".join(t for t in tokens if t.isalnum() and t not in stopwords), None


def segmented_document(segmented: str) -> Doc:
    """A space-separated word string (the 泰迪杯 training form), spaces collapsed."""
    return " ".join(segmented.split()), None


def topic_batch(
    docs: Sequence[Doc],
    spec: FeatureSpec,
    idf: F32 | None = None,
    head_tokens: int = 0,
    keep_occurrences: bool = False,
) -> HashedBatch:
    """`hash_batch`, except that n-grams starting in a document's first `head_tokens` words count twice
    (the whole document when it is shorter): a citizen message opens with its title (留言主题), the strongest
    hint of its topic. Weighting the counts costs far less than repeating the words."""
    if head_tokens <= 0:
        return hash_batch(docs, spec, idf, keep_occurrences)
    occ = occurrences(docs, spec)
    head = np.zeros(0, dtype=np.int64)
    if occ.token_ends.size:
        codes = np.frombuffer(occ.text.encode("utf-32-le"), dtype=np.uint32)
        is_word = codes[occ.token_ends - 1] != _SPACE_CODE
        word_docs, word_ends = occ.token_docs[is_word], occ.token_ends[is_word]
        rank = np.arange(word_docs.size) - np.searchsorted(word_docs, word_docs)
        head_end = np.full(len(docs), np.iinfo(np.int64).max, dtype=np.int64)
        last = rank == head_tokens - 1
        head_end[word_docs[last]] = word_ends[last]
        head = np.flatnonzero(occ.starts < head_end[occ.docs])
    # a head occurrence is counted twice: listed once more
    rows, cols, counts = count_pairs(
        np.concatenate((occ.docs, occ.docs[head])),
        np.concatenate((occ.cols, occ.cols[head])),
        spec.bits,
        len(docs),
    )
    return weighted_batch(rows, cols, counts, len(docs), idf, occ if keep_occurrences else None)


class TopicModel:
    """The shipped classifier of the seven 一级标签 (城乡建设 … 卫生计生)."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        self.temperature = model.meta_value("temperature", 1.0)
        self.head_tokens = int(model.meta_value("head_tokens", 0))
        k = len(model.classes)
        # Row c: towards class c and away from the others on average.
        directions = np.full((k, k), -1.0 / max(1, k - 1), dtype=np.float32)
        np.fill_diagonal(directions, 1.0)
        self._towards = model.direction_weights(directions)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TopicModel:
        return cls(LinearModel.load(path))

    @property
    def topics(self) -> tuple[str, ...]:
        return self.model.classes

    def _batch(self, docs: Sequence[Doc], keep_occurrences: bool = False) -> HashedBatch:
        m = self.model
        return topic_batch(docs, m.spec, m.idf, self.head_tokens, keep_occurrences)

    def predict(self, docs: Sequence[Doc]) -> list[dict[str, float]]:
        """Topic → probability, per document."""
        probs = self.model.probabilities(self._batch(docs), self.temperature)
        return [dict(zip(self.topics, map(float, row), strict=True)) for row in probs]

    def predict_explained(
        self,
        docs: Sequence[Doc],
        chosen: Callable[[int, dict[str, float]], str],
        top: int,
    ) -> tuple[list[dict[str, float]], list[str], list[list[Term]]]:
        """Probabilities, the topic `chosen(i, probs)` settles on, and the words that support it."""
        batch = self._batch(docs, keep_occurrences=True)
        rows = self.model.probabilities(batch, self.temperature)
        probs = [dict(zip(self.topics, map(float, row), strict=True)) for row in rows]
        topics = [chosen(i, p) for i, p in enumerate(probs)]
        known = [t in self.topics for t in topics]
        choice = np.array([self.topics.index(t) if ok else 0 for t, ok in zip(topics, known, strict=True)])
        terms = self.model.top_terms(batch, self._towards, choice.astype(np.int64), top)
        return probs, topics, [t if ok else [] for t, ok in zip(terms, known, strict=True)]


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
        # the keywords a match starts with: itself and the shorter keywords that are its prefixes
        self._starting = {w: [w[:n] for n in range(len(w), 0, -1) if w[:n] in self._by_word] for w in words}

    def keywords(self) -> list[str]:
        return list(self._by_word)

    def _found(self, pattern: re.Pattern[str], text: str) -> Iterator[str]:
        """Every keyword in the text, overlapping ones included (自来水 and 水发黄 in 自来水发黄): the scan
        skips the inside of each match, so the positions inside are tried on their own."""
        starting = self._starting
        for m in pattern.finditer(text):
            yield from starting[m.group(0)]
            for p in range(m.start() + 1, m.end()):
                if inner := pattern.match(text, p):
                    yield from starting[inner.group(0)]

    def match(self, text: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(topic → keywords, department → keywords) found in the (normalised) text."""
        by_topic: dict[str, list[str]] = {}
        by_department: dict[str, list[str]] = {}
        if self._pattern is None:
            return by_topic, by_department
        for word in dict.fromkeys(self._found(self._pattern, text)):
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


def has_words(text: str) -> bool:
    """Whether the text has any letter, digit or CJK character (not only punctuation, emoji or spaces)."""
    return any(ch.isalnum() for ch in text)


def decide_topic(model_probs: dict[str, float], keyword_hits: dict[str, list[str]]) -> TopicDecision:
    """Model probability plus a weight per distinct responder keyword; keywords alone can name topics the
    model does not know (安全生产/应急, 公安/治安, 水务, …)."""
    scores = dict(model_probs)
    total_bonus = 0.0
    for topic, words in keyword_hits.items():
        weight = (
            MODEL_TOPIC_KEYWORD_WEIGHT
            if topic in model_probs
            else RULE_TOPIC_LONE_KEYWORD_WEIGHT
            if len(words) == 1
            else RULE_TOPIC_KEYWORD_WEIGHT
        )
        bonus = weight * min(len(words), MAX_KEYWORD_HITS)
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
