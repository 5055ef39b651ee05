"""The text analyser for the pipeline: monitor.text.TextAnalyzer, loaded lazily (models load once, on use),
in this process or in forked analysis processes that share the loaded models."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from monitor.config.responders import Responders
from monitor.events.prepared import prepared_bytes_many
from monitor.pipeline.analyse import AnalysisInput, Analyzer, encoded_row
from monitor.pipeline.forked import ForkedPool, ProcessDied, fork_available

if TYPE_CHECKING:
    from monitor.pipeline.remote import RemoteAnalysis

log = logging.getLogger(__name__)


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


def analyse_all(analyzer: Analyzer, items: Sequence[AnalysisInput]) -> list[Any]:
    """A whole batch at once when the analyser can (monitor.text's scores batches ~3x faster)."""
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


def analyse_detached(analyzer: Analyzer, items: Sequence[AnalysisInput]) -> list[RemoteAnalysis]:
    """In an analysis process: only what the stage stores goes back, as plain data (small to pickle)."""
    from monitor.pipeline.remote import detach  # remote imports this module

    return [detach(r) for r in analyse_all(analyzer, items)]


def analyse_encoded(analyzer: Analyzer, items: Sequence[AnalysisInput]) -> list[tuple[Any, ...]]:
    """In an analysis process: the post_analysis values the stage stores (all but the post id), with
    severity and explain already JSON text, so the worker process only ships them to PostgreSQL; then the
    post's grouping features (None without `group_text`), so grouping does not featurise it again."""
    results = analyse_all(analyzer, items)
    features = prepared_bytes_many([i.group_text for i in items])
    return [(*encoded_row(0, r)[1:], f) for r, f in zip(results, features, strict=True)]


def split(items: Sequence[AnalysisInput], parts: int) -> list[Sequence[AnalysisInput]]:
    """Consecutive slices of nearly equal size (order kept when the results are joined back)."""
    size = -(-len(items) // max(parts, 1))
    return [items[i : i + size] for i in range(0, len(items), size)] if items else []


class LazyAnalyzer:
    """Defers `load_analyzer` to the first post, so starting the service never waits for the models.

    With `processes` ≥ 2 the models load here, then that many analysis processes are forked to share
    them, and each batch is split across them (analysis leaves the GIL of the worker process). A batch
    whose process died is retried once on fresh processes; if that fails too, the stage falls back to
    post by post, each post in a process of its own, so only a poison post gets an error row.
    """

    def __init__(
        self,
        responders: Responders,
        *,
        processes: int = 0,
        loader: Callable[[Responders], Analyzer] = load_analyzer,
    ) -> None:
        if processes < 0:
            raise ValueError(f"processes must be 0 or more, got {processes}")
        self._responders = responders
        self._loader = loader
        self._processes = processes if processes >= 2 and fork_available() else 0
        if processes >= 2 and not self._processes:
            log.info("cannot fork analysis processes here (no fork, or a daemonic process); analysing here")
        self._analyzer: Analyzer | None = None
        self._pool: ForkedPool[Analyzer] | None = None
        self._closed = False
        self._lock = threading.Lock()

    @property
    def processes(self) -> int:
        """Analysis processes in use: 0 means in this process."""
        return self._processes

    def _get(self) -> Analyzer:
        with self._lock:
            if self._closed:
                raise RuntimeError("the analyser was closed")
            if self._analyzer is None:
                self._analyzer = self._loader(self._responders)
            return self._analyzer

    def _forked(self) -> ForkedPool[Analyzer] | None:
        if not self._processes:
            return None
        analyzer = self._get()
        with self._lock:
            if self._pool is None and not self._closed:
                load = getattr(analyzer, "load", None)
                if callable(load):
                    load()  # before forking, so every process shares the loaded dictionary and models
                pool = ForkedPool(analyzer, self._processes)
                try:
                    pool.start()
                except (OSError, RuntimeError) as exc:  # cannot fork (memory, limits): analyse here instead
                    pool.close()
                    log.warning(
                        "cannot start %d analysis processes (%s); analysing in this process",
                        self._processes,
                        exc,
                    )
                    self._processes = 0
                    return None
                self._pool = pool
            return self._pool

    def analyze(
        self,
        text: str,
        *,
        region_hint: str | None = None,
        author_verified_type: int | None = None,
        hotline_urgency: str | None = None,
    ) -> Any:
        pool = self._forked()
        if pool is not None:
            item = AnalysisInput(text, region_hint, author_verified_type, None, hotline_urgency)
            return pool.map(analyse_detached, [[item]])[0][0]
        return self._get().analyze(
            text,
            region_hint=region_hint,
            author_verified_type=author_verified_type,
            hotline_urgency=hotline_urgency,
        )

    def analyze_many(self, items: Sequence[AnalysisInput]) -> list[Any]:
        """A whole batch at once, split across the analysis processes when there are some."""
        pool = self._forked()
        if pool is None:
            return analyse_all(self._get(), items)
        return self._split_map(pool, analyse_detached, items)

    def analyse_rows(self, items: Sequence[AnalysisInput]) -> list[tuple[Any, ...]]:
        """What the analysis stage stores for each item (see `analyse_encoded`), made in the analysis
        processes when there are some: the worker process neither unpickles results nor encodes JSON."""
        pool = self._forked()
        if pool is None:
            return analyse_encoded(self._get(), items)
        return self._split_map(pool, analyse_encoded, items)

    def _split_map(
        self,
        pool: ForkedPool[Analyzer],
        fn: Callable[[Analyzer, Sequence[AnalysisInput]], list[Any]],
        items: Sequence[AnalysisInput],
    ) -> list[Any]:
        parts = split(items, pool.processes)
        try:
            done = pool.map(fn, parts)
        except ProcessDied as exc:
            log.warning("analysis process died in a batch of %d posts (%s); retrying once", len(items), exc)
            done = pool.map(fn, parts)
        return [r for part in done for r in part]

    def close(self) -> None:
        """Stop the analysis processes (if any were started); idempotent."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
