"""`yuqing check`: validate sources.yaml and responders/, printing every problem with its path."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from monitor.config.errors import ConfigError, ConfigProblem
from monitor.config.responders import load_responders
from monitor.config.sources import load_sources


def add_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="validate sources.yaml and responders/; exit 1 listing every error")
    p.add_argument("--sources", type=Path, default=Path("sources.yaml"))
    p.add_argument("--responders", type=Path, default=Path("responders"))


def collect_problems(sources: Path, responders: Path) -> tuple[list[ConfigProblem], str]:
    """Both files' problems together, and a one-line summary when there are none."""
    problems: list[ConfigProblem] = []
    regions: list[str] | None = None
    summary = ""
    try:
        loaded = load_responders(responders)
        regions = list(loaded.regions)
        people = len(loaded.people)
        summary = f"{len(loaded.departments)} departments, {len(loaded.regions)} regions, {people} people"
    except ConfigError as err:
        problems.extend(err.problems)
    try:
        srcs = load_sources(sources, known_regions=regions)
        summary += f", {len(srcs)} sources"
    except ConfigError as err:
        problems.extend(err.problems)
    return problems, summary


def run(args: argparse.Namespace) -> int:
    problems, summary = collect_problems(args.sources, args.responders)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"configuration OK: {summary}")
    return 0
