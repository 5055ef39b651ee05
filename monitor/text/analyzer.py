"""TextAnalyzer: text in, every signal out (negativity, topic, department, region, severity), explained."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.text.features import normalise
from monitor.text.places import read_places
from monitor.text.regions import RegionMatcher, entries_from_config
from monitor.text.sentiment import SentimentModel
from monitor.text.severity import (
    DEFAULT_CRITERIA,
    GRADE_LABELS,
    CasualtyRule,
    SeveritySignals,
    account_involvement,
    criteria_from_policy,
    extract_casualties,
    find_hazards,
    grade_casualties,
    hotline_urgent,
    load_account_rules,
    load_hazards,
)
from monitor.text.tokenize import STOPWORDS, Tokenizer, read_word_list
from monitor.text.topics import (
    DepartmentInfo,
    KeywordRule,
    KeywordRules,
    TopicDecision,
    TopicModel,
    choose_department,
    decide_topic,
    has_words,
    topic_document,
)

if TYPE_CHECKING:
    from monitor.config.responders import Responders

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_URGENT_LEVELS = ("紧急",)
EXPLAIN_TERMS = 5


@dataclass(frozen=True)
class TextInput:
    """A text and what the source knows about it (Weibo region_name, verified type, 12345 urgency)."""

    text: str
    region_hint: str | None = None
    author_verified_type: int | None = None
    author_name: str | None = None
    hotline_urgency: str | None = None


@dataclass(frozen=True)
class Analysis:
    """Every signal the later steps use; `explain` holds the terms and rules that decided each one."""

    negative: float
    polarity: str
    topic: str
    topic_score: float
    department: str | None
    region: str | None
    region_reason: str | None
    severity: SeveritySignals
    tokens: tuple[str, ...]
    keywords: tuple[str, ...]
    explain: dict[str, object] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "negative": self.negative,
            "polarity": self.polarity,
            "topic": self.topic,
            "topic_score": self.topic_score,
            "department": self.department,
            "region": self.region,
            "region_reason": self.region_reason,
            "severity": self.severity.to_json(),
            "keywords": list(self.keywords),
            "explain": self.explain,
        }


class TextAnalyzer:
    """Built from the responders config; jieba and the models load lazily, once, on first use or `load()`."""

    def __init__(self, responders: Responders | None = None, *, models_dir: Path = MODELS_DIR) -> None:
        self._models_dir = models_dir
        self._departments: list[DepartmentInfo] = []
        keyword_rules: list[KeywordRule] = []
        extra_words: list[str] = []
        self._criteria: tuple[CasualtyRule, ...] = DEFAULT_CRITERIA
        self._urgent_levels: tuple[str, ...] = DEFAULT_URGENT_LEVELS
        self._risk_words: tuple[str, ...] = ()
        self._city: str | None = None
        self._regions = RegionMatcher([])
        if responders is not None:
            self._regions = RegionMatcher(entries_from_config(responders.regions), read_places())
            self._city = responders.city.id
            for d in responders.departments.values():
                if d.kind == "department":
                    self._departments.append(DepartmentInfo(d.id, tuple(d.topics), tuple(d.regions)))
                keyword_rules += [KeywordRule(k, d.id, tuple(d.topics)) for k in d.keywords]
                if d.kind == "department":
                    # A post or 12345 order naming the bureau ("水务局能不能出来说明") points at its owner.
                    names = dict.fromkeys(n for n in (d.name, d.short_name) if n and n not in d.keywords)
                    keyword_rules += [KeywordRule(n, d.id, tuple(d.topics)) for n in names]
                extra_words += [d.name, d.short_name, *d.keywords]
            policy = responders.policy
            self._criteria = criteria_from_policy(policy.casualty_criteria)
            self._urgent_levels = tuple(policy.hotline.open_incident_urgencies)
            self._risk_words = tuple(w.lower() for w in policy.hotline.risk_words)
        self._keywords = KeywordRules(keyword_rules)
        self._tokenizer = Tokenizer([*extra_words, *self._regions.names()])
        self._lock = threading.Lock()
        self._models: tuple[SentimentModel, TopicModel, frozenset[str]] | None = None

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokeniser, with the responders' department, keyword and region names added to jieba."""
        return self._tokenizer

    @classmethod
    def from_path(cls, responders_dir: Path | str, *, models_dir: Path = MODELS_DIR) -> TextAnalyzer:
        """Load and validate `responders/` (raises monitor.config.errors.ConfigError) and build on it."""
        from monitor.config.responders import load_responders

        return cls(load_responders(responders_dir), models_dir=models_dir)

    def load(self) -> None:
        """Load jieba, the user dictionary and both models now (under 2 s); idempotent and thread-safe."""
        self._loaded()

    def _loaded(self) -> tuple[SentimentModel, TopicModel, frozenset[str]]:
        if self._models is None:
            with self._lock:
                if self._models is None:
                    self._tokenizer.load()
                    load_hazards()
                    load_account_rules()
                    self._models = (
                        SentimentModel.load(self._models_dir / "sentiment.npz"),
                        TopicModel.load(self._models_dir / "topic.npz"),
                        frozenset(read_word_list(STOPWORDS)),
                    )
        return self._models

    @property
    def topics(self) -> tuple[str, ...]:
        """Topics the model knows plus those only keyword rules name."""
        model_topics = self._loaded()[1].topics
        rule_topics = [t for d in self._departments for t in d.topics if t not in model_topics]
        return (*model_topics, *dict.fromkeys(rule_topics))

    def analyze(
        self,
        text: str,
        *,
        region_hint: str | None = None,
        author_verified_type: int | None = None,
        author_name: str | None = None,
        hotline_urgency: str | None = None,
    ) -> Analysis:
        """Analyse one text (blocking: call `analyze_async` from the event loop)."""
        item = TextInput(text, region_hint, author_verified_type, author_name, hotline_urgency)
        return self.analyze_many([item])[0]

    async def analyze_async(
        self,
        text: str,
        *,
        region_hint: str | None = None,
        author_verified_type: int | None = None,
        author_name: str | None = None,
        hotline_urgency: str | None = None,
    ) -> Analysis:
        """`analyze` in a worker thread, so jieba and the models never block the event loop."""
        item = TextInput(text, region_hint, author_verified_type, author_name, hotline_urgency)
        return (await asyncio.to_thread(self.analyze_many, [item]))[0]

    async def analyze_many_async(self, items: Sequence[TextInput | str]) -> list[Analysis]:
        return await asyncio.to_thread(self.analyze_many, items)

    def analyze_many(self, items: Sequence[TextInput | str]) -> list[Analysis]:
        """Analyse a batch; both models score the whole batch at once (much faster than one by one)."""
        sentiment, topic_model, stopwords = self._loaded()
        inputs = [TextInput(i) if isinstance(i, str) else i for i in items]
        cleans = [normalise(i.text) for i in inputs]
        tokens = [self._tokenizer.cut(c) for c in cleans]
        sent_docs = [(c, list(map(len, toks))) for c, toks in zip(cleans, tokens, strict=True)]
        topic_docs = [topic_document(toks, stopwords) for toks in tokens]
        sentiments = sentiment.predict(sent_docs, explain=EXPLAIN_TERMS)
        matches = [self._keywords.match(c) for c in cleans]
        decisions: list[TopicDecision] = []

        def choose(i: int, probs: dict[str, float]) -> str:
            # a text of punctuation or emoji alone gives the model nothing: its scores would be the classes'
            # priors, so it names no domain (keywords still can) rather than the most common one
            decisions.append(decide_topic(probs if has_words(cleans[i]) else {}, matches[i][0]))
            return decisions[-1].topic

        _, _, topic_terms = topic_model.predict_explained(topic_docs, choose, EXPLAIN_TERMS)
        out: list[Analysis] = []
        for k, item in enumerate(inputs):
            clean, s, decision = cleans[k], sentiments[k], decisions[k]
            by_department = matches[k][1]
            region = self._regions.match(clean, item.region_hint, tokens[k])
            chain = (
                self._regions.ancestors(region.region)
                if region.region
                else ([self._city] if self._city else [])
            )
            department, department_reason = choose_department(
                decision.topic, chain, self._departments, by_department
            )
            severity = self._severity(clean, item)
            named: dict[str, object] = {"reason": region.reason, "mentions": region.mentions}
            if region.outside:
                named["outside"] = region.outside
            explain: dict[str, object] = {
                "negative": {"classes": s.probs, "terms": s.terms},
                "topic": {
                    "source": decision.source,
                    "model": decision.model_top,
                    "keywords": decision.keywords,
                    "terms": topic_terms[k],
                },
                "department": department_reason,
                "region": named,
                "severity": severity.explain,
            }
            keywords = tuple(dict.fromkeys(w for ws in by_department.values() for w in ws))
            out.append(
                Analysis(
                    s.negative,
                    s.polarity,
                    decision.topic,
                    decision.score,
                    department,
                    region.region,
                    region.reason,
                    severity,
                    tokens[k],
                    keywords,
                    explain,
                )
            )
        return out

    def _severity(self, clean: str, item: TextInput) -> SeveritySignals:
        casualties = extract_casualties(clean)
        grade = grade_casualties(casualties, self._criteria)
        hazards = find_hazards(clean, load_hazards())
        official, media, account_reasons = account_involvement(
            clean, item.author_name, item.author_verified_type, load_account_rules()
        )
        urgent, urgent_reason = hotline_urgent(
            clean, item.hotline_urgency, self._urgent_levels, self._risk_words
        )
        explain: dict[str, object] = {}
        if casualties.evidence:
            explain["casualties"] = list(casualties.evidence)
        if casualties.serious is not None and casualties.serious != casualties.injured:
            explain["serious_injured"] = casualties.serious  # what the criteria table graded
        if casualties.none_stated:
            explain["no_casualties_stated"] = True
        if grade is not None:
            explain["casualty_grade"] = GRADE_LABELS.get(grade, str(grade))
        if hazards:
            explain["hazards"] = hazards
        if account_reasons:
            explain["accounts"] = account_reasons
        if urgent_reason:
            explain["urgent"] = urgent_reason
        return SeveritySignals(
            casualties.deaths,
            casualties.injured,
            casualties.missing,
            grade,
            tuple(hazards),
            official,
            media,
            urgent,
            explain,
            casualties.serious,
        )
