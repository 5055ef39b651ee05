"""`yuqing check`: validate sources.yaml, responders/ and the SMTP settings, printing every problem with its
path; then warn about the environment variables they refer to that are not set here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from monitor.channels.email import smtp_env_problems
from monitor.config.both import load_both
from monitor.config.errors import ConfigProblem
from monitor.incidents.routing import hazards_without_lead
from monitor.secrets import EnvReference, referenced_env, unset_env
from monitor.text.severity import load_hazards


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="validate sources.yaml and responders/; exit 1 listing every error; warn about unset env vars",
    )
    p.add_argument("--sources", type=Path, default=Path("sources.yaml"))
    p.add_argument("--responders", type=Path, default=Path("responders"))


def collect_problems(
    sources: Path, responders: Path
) -> tuple[list[ConfigProblem], str, list[EnvReference], list[str]]:
    """Both files' problems together, a one-line summary when there are none, the environment variables
    whatever did load refers to, and notes on what the configuration leaves to defaults."""
    loaded, srcs, problems = load_both(responders, sources)
    summary = ""
    notes: list[str] = []
    if loaded is not None:
        people = len(loaded.people)
        summary = f"{len(loaded.departments)} departments, {len(loaded.regions)} regions, {people} people"
        unled = hazards_without_lead(loaded, (h.name for h in load_hazards()))
        if unled:
            notes.append(
                f"险情 with no lead department: {'、'.join(unled)} (list a 险情 in a department's keywords "
                "to make it lead those emergencies); their incidents go where their topic and keywords point"
            )
    if srcs is not None:
        summary += f", {len(srcs)} sources"
    refs = referenced_env(loaded, srcs or [], str(sources)) if loaded is not None else []
    return problems, summary, refs, notes


def environment_problems(env: Mapping[str, str]) -> list[ConfigProblem]:
    """Settings in the environment that `yuqing run` refuses to start with (the SMTP port and TLS mode)."""
    problems = []
    for line in smtp_env_problems(env):
        name, _, message = line.partition(": ")
        problems.append(ConfigProblem("environment", name, message))
    return problems


def print_env_warnings(
    refs: list[EnvReference], env: Mapping[str, str], out: TextIO, prefix: str = "warning"
) -> int:
    """One line per referenced variable that is not set, then a count; returns how many."""
    lines = unset_env(refs, env)
    for line in lines:
        print(f"{prefix}: {line}", file=out)
    if lines:
        print(
            f"{prefix}: {len(lines)} environment variable(s) the configuration refers to are not set here: "
            "messages, polls or intake that need them will fail until they are",
            file=out,
        )
    return len(lines)


def run(args: argparse.Namespace) -> int:
    problems, summary, refs, notes = collect_problems(args.sources, args.responders)
    problems += environment_problems(os.environ)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        print_env_warnings(refs, os.environ, sys.stderr)
        return 1
    print(f"configuration OK: {summary}", flush=True)
    for note in notes:
        print(f"note: {note}", flush=True)
    print_env_warnings(refs, os.environ, sys.stderr)
    return 0
