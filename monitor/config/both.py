"""Both configuration files at once, so one run names the problems of each (not the first file's only)."""

from __future__ import annotations

from pathlib import Path

from monitor.config.errors import ConfigError, ConfigProblem
from monitor.config.responders import Responders, load_responders
from monitor.config.sources import Source, load_sources


def load_both(
    responders_path: Path, sources_path: Path
) -> tuple[Responders | None, list[Source] | None, list[ConfigProblem]]:
    """responders/ and sources.yaml, each None if it has problems, and every problem of both. Sources are
    checked against the region tree when responders/ loaded, and on their own otherwise."""
    problems: list[ConfigProblem] = []
    responders: Responders | None = None
    sources: list[Source] | None = None
    try:
        responders = load_responders(responders_path)
    except ConfigError as err:
        problems.extend(err.problems)
    try:
        sources = load_sources(sources_path, known_regions=responders.regions if responders else None)
    except ConfigError as err:
        problems.extend(err.problems)
    return responders, sources, problems
