"""This package's worker jobs (analysis, grouping), built from the composition root's services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.pipeline.analyse import AnalysisStage
from monitor.pipeline.analyzer import LazyAnalyzer
from monitor.pipeline.group import GroupingStage
from monitor.worker import Job

if TYPE_CHECKING:
    from monitor.app import Services

ANALYSE_INTERVAL_S = 1.0
GROUP_INTERVAL_S = 1.0


def pipeline_jobs(services: Services) -> list[Job]:
    """Analyse new posts, then group analysed ones into events and incidents; both drain while busy."""
    s = services
    analyzer = LazyAnalyzer(s.responders, processes=s.settings.analysis_processes)
    s.cleanup.callback(analyzer.close)  # the analysis processes stop with the service
    analyse = AnalysisStage(
        s.pool,
        s.clock,
        analyzer,
        metrics=s.metrics,
        regions=s.responders.regions,
    )
    group = GroupingStage(s.pool, s.clock, s.responders, metrics=s.metrics)
    return [
        Job("analyse", analyse.run_once, interval=ANALYSE_INTERVAL_S, busy_interval=0.0, wakeable=True),
        Job("group", group.run_once, interval=GROUP_INTERVAL_S, busy_interval=0.0, wakeable=True),
    ]
