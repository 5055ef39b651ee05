"""The text analyser for the pipeline: monitor.text.TextAnalyzer, loaded lazily (models load once, on use)."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from typing import Any

from monitor.config.responders import Responders
from monitor.pipeline.analyse import AnalysisInput, Analyzer


class AnalyzerUnavailable(RuntimeError):
    """monitor.text could not be imported or has no TextAnalyzer."""


def load_analyzer(responders: Responders) -> Analyzer:
    """Build monitor.text's analyser for these responders (imports jieba and the models)."""
    try:
        # jieba and the models load on first use, not here
        factory = importlib.import_module("monitor.text.analyzer").TextAnalyzer
    except (ImportError, AttributeError) as exc:
        raise AnalyzerUnavailable(
            f"the text analyser (monitor.text.analyzer.TextAnalyzer) is not available: {exc}"
        ) from exc
    analyzer: Analyzer = factory(responders)
    return analyzer


class LazyAnalyzer:
    """Defers `load_analyzer` to the first post, so starting the service never waits for the models."""

    def __init__(self, responders: Responders) -> None:
        self._responders = responders
        self._analyzer: Analyzer | None = None
        self._lock = threading.Lock()

    def _get(self) -> Analyzer:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = load_analyzer(self._responders)
            return self._analyzer

    def analyze(
        self,
        text: str,
        *,
        region_hint: str | None = None,
        author_verified_type: int | None = None,
        hotline_urgency: str | None = None,
    ) -> Any:
        return self._get().analyze(
            text,
            region_hint=region_hint,
            author_verified_type=author_verified_type,
            hotline_urgency=hotline_urgency,
        )

    def analyze_many(self, items: Sequence[AnalysisInput]) -> list[Any]:
        """A whole batch at once when the loaded analyser can (monitor.text's scores batches ~3x faster)."""
        analyzer = self._get()
        many = getattr(analyzer, "analyze_many", None)
        if many is not None:
            return list(many(items))
        return [
            analyzer.analyze(
                i.text,
                region_hint=i.region_hint,
                author_verified_type=i.author_verified_type,
                hotline_urgency=i.hotline_urgency,
            )
            for i in items
        ]
