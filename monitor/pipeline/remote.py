"""Runs the text analyser in a child process, so analysis and grouping use both cores at once (replay)."""

from __future__ import annotations

import multiprocessing as mp
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from monitor.pipeline.analyse import AnalysisInput, plain
from monitor.pipeline.analyzer import AnalyzerUnavailable

_FIELDS = (
    "negative",
    "polarity",
    "topic",
    "topic_score",
    "department",
    "region",
    "severity",
    "explain",
    "keywords",
)


@dataclass(frozen=True)
class RemoteAnalysis:
    """What came back from the child: the attributes the analysis stage reads."""

    negative: float = 0.0
    polarity: str = "neutral"
    topic: str = "其他"
    topic_score: float = 0.0
    department: str | None = None
    region: str | None = None
    severity: dict[str, Any] = field(default_factory=dict)
    explain: dict[str, Any] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)


def detach(result: Any) -> RemoteAnalysis:
    """The attributes the analysis stage reads, as plain data: small to pickle between processes."""
    values = {k: plain(getattr(result, k, None)) for k in _FIELDS}
    return RemoteAnalysis(**{k: v for k, v in values.items() if v is not None})


def serve(responders_dir: str, conn: Connection) -> None:
    """The child's loop: build the analyser once, then answer batches until told to stop (None)."""
    from monitor.config.responders import load_responders
    from monitor.pipeline.analyzer import load_analyzer

    try:
        analyzer = load_analyzer(load_responders(responders_dir))
        load = getattr(analyzer, "load", None)
        if callable(load):
            load()  # jieba and the models, now rather than inside the first batch
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        conn.close()
        return
    conn.send(("ready", None))
    many = getattr(analyzer, "analyze_many", None)
    while True:
        batch = conn.recv()
        if batch is None:
            break
        try:
            if many is not None:
                results = many(batch)
            else:
                results = [analyzer.analyze(i.text, region_hint=i.region_hint) for i in batch]
            conn.send(("ok", [{k: plain(getattr(r, k, None)) for k in _FIELDS} for r in results]))
        except Exception as exc:  # reported to the parent, which falls back post by post
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    conn.close()


class RemoteAnalyzer:
    """An `Analyzer` whose work happens in another process; waiting on it releases the GIL."""

    def __init__(self, responders_dir: Path) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=serve, args=(str(responders_dir), child), daemon=True)
        self._proc.start()
        child.close()
        self._lock = threading.Lock()
        try:
            status, payload = self._conn.recv()
        except EOFError:
            status, payload = "error", "the worker exited while loading"
        if status != "ready":
            self._proc.join(timeout=5)
            raise AnalyzerUnavailable(f"analysis worker: {payload}")

    def analyze_many(self, items: list[AnalysisInput]) -> list[RemoteAnalysis]:
        with self._lock:
            self._conn.send(list(items))
            status, payload = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"analysis worker: {payload}")
        return [RemoteAnalysis(**{k: v for k, v in r.items() if v is not None}) for r in payload]

    def analyze(
        self,
        text: str,
        *,
        region_hint: str | None = None,
        author_verified_type: int | None = None,
        hotline_urgency: str | None = None,
    ) -> RemoteAnalysis:
        item = AnalysisInput(text, region_hint, author_verified_type, None, hotline_urgency)
        return self.analyze_many([item])[0]

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.terminate()
