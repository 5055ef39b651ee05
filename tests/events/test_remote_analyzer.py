"""The analyser in a child process (replay uses both cores): answers batches, reports a failed start."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.pipeline.analyse import AnalysisInput, analysis_row
from monitor.pipeline.analyzer import AnalyzerUnavailable
from monitor.pipeline.remote import RemoteAnalyzer

ROOT = Path(__file__).resolve().parents[2]


def test_child_process_analyses_batches_like_the_analyser() -> None:
    remote = RemoteAnalyzer(ROOT / "responders")
    try:
        items = [
            AnalysisInput("青石县临港化工园区化工厂爆炸，造成3人死亡", author_verified_type=1),
            AnalysisInput("今天天气很好", region_hint="jiangbei"),
        ]
        first, second = remote.analyze_many(items)
        row = analysis_row(1, first)
        assert row[6] == "qingshi-lingang" and row[8]["deaths"] == 3 and "爆炸" in row[8]["hazards"]
        assert 0.0 <= second.negative <= 1.0 and second.polarity in ("negative", "neutral", "positive")
        assert remote.analyze("江北区停水三天了").topic
    finally:
        remote.close()


def test_a_worker_that_cannot_start_is_reported(tmp_path: Path) -> None:
    with pytest.raises(AnalyzerUnavailable):
        RemoteAnalyzer(tmp_path / "no-such-responders")
