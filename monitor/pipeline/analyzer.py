"""The text analyser for the pipeline: monitor.text.TextAnalyzer, loaded lazily (models load once, on use)."""

from __future__ import annotations

import importlib
import threading
from typing import Any

from monitor.config.responders import Responders
from monitor.pipeline.analyse import Analyzer


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
