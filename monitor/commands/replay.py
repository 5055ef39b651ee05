"""`yuqing replay FILE`: backtest a JSON-lines archive through the whole loop, in simulated time, fresh DB."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from monitor.clock import SystemClock
from monitor.commands._args import unwritable, whole
from monitor.config.errors import ConfigError
from monitor.config.responders import Responders, load_responders
from monitor.config.types import parse_duration
from monitor.db.pool import create_pool
from monitor.pipeline.analyzer import AnalyzerUnavailable, load_analyzer
from monitor.pipeline.archive import load_archive
from monitor.pipeline.fresh_db import fresh_database
from monitor.pipeline.remote import RemoteAnalyzer
from monitor.pipeline.replay import Replay, ReplayOptions
from monitor.pipeline.replay_report import build_report


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="backtest a timestamped JSON-lines archive through the whole loop into a fresh database",
        description=(
            'Each line: {"id", "text", "published_at", optional "source" (weibo|news|wechat|hotline), '
            '"author", "followers", "verified_type", "reposts", "comments", "likes", "region", "parent_id", '
            '"title", "url", and for a 12345 order "urgency", "handler_unit" (承办单位) and "assist_units" '
            "(协办单位, a list)}. Prints incidents, members, grades over time, routes and clock outcomes as "
            "JSON. Uses a temporary embedded PostgreSQL unless DATABASE_URL is set (then a new database on "
            "that server, dropped afterwards)."
        ),
    )
    p.add_argument("file", type=Path)
    p.add_argument("--responders", type=Path, default=Path("responders"))
    p.add_argument(
        "--tick",
        type=_tick,
        default="5m",
        help="poll cycle: a post is seen at the next multiple (default 5m, at most 1d)",
    )
    p.add_argument(
        "--drain", type=_drain, default="48h", help="how long clocks keep running after the last post"
    )
    p.add_argument("--no-engine", action="store_true", help="skip the clock engine (grouping only)")
    p.add_argument(
        "--follow-chains",
        action="store_true",
        help="also step time to each escalation step (slower; otherwise pages go out at the next clock tick)",
    )
    p.add_argument("--batch", type=whole(1), default=2000, help="posts per analysis/grouping transaction")
    p.add_argument("--members-limit", type=whole(0), default=None, help="list at most this many member ids")
    p.add_argument("--output", type=Path, default=None, help="write the JSON here instead of stdout")
    p.add_argument("--keep", action="store_true", help="keep the replay database afterwards")
    p.add_argument("--in-process", action="store_true", help="analyse in this process (one core)")
    p.add_argument(
        "--anywhere",
        action="store_true",
        help="open incidents for events that name no local place too (grading.require_local_region off): "
        "for backtests on national archives",
    )


MAX_TICK = timedelta(days=1)
MAX_DRAIN = timedelta(days=366)


def _duration(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}, got {value!r}") from None


def _tick(value: str) -> timedelta:
    """argparse type for --tick: a poll cycle, above 0s and at most 1d."""
    tick = _duration(value)
    if not timedelta(0) < tick <= MAX_TICK:
        raise argparse.ArgumentTypeError(f"expected a poll cycle above 0s and at most 1d, got {value!r}")
    return tick


def _drain(value: str) -> timedelta:
    """argparse type for --drain: at most 366d, so simulated time stays within the calendar."""
    drain = _duration(value)
    if drain > MAX_DRAIN:
        raise argparse.ArgumentTypeError(f"expected at most 366d, got {value!r}")
    return drain


def anywhere(responders: Responders) -> Responders:
    """The same configuration with grading.require_local_region off."""
    policy = responders.policy
    grading = policy.grading.model_copy(update={"require_local_region": False})
    return dataclasses.replace(responders, policy=policy.model_copy(update={"grading": grading}))


async def _replay(args: argparse.Namespace, options: ReplayOptions) -> dict[str, Any]:
    responders = load_responders(args.responders)
    if args.anywhere:
        responders = anywhere(responders)
    try:
        posts, problems = load_archive(args.file)
    except OSError as exc:
        raise ValueError(f"{args.file}: cannot read: {exc.strerror}") from None
    for problem in problems[:20]:
        print(f"yuqing replay: {args.file}: {problem}", file=sys.stderr)
    if not posts:
        raise ValueError(f"{args.file}: no valid posts")
    stopwatch = SystemClock()
    started = stopwatch.monotonic()
    # The analyser works in a child process while this one groups: both cores, as in production.
    analyzer = load_analyzer(responders) if args.in_process else RemoteAnalyzer(args.responders)
    try:
        async with fresh_database(os.environ.get("DATABASE_URL") or None, keep=args.keep) as dsn:
            pool = await create_pool(dsn, max_size=4)
            try:
                run = await Replay(pool, responders, analyzer, options, stopwatch).run(posts)
                wall = stopwatch.monotonic() - started
                return await build_report(pool, run, problems, args.members_limit, wall)
            finally:
                await pool.close()
    finally:
        if isinstance(analyzer, RemoteAnalyzer):
            analyzer.close()


def run(args: argparse.Namespace) -> int:
    options = ReplayOptions(
        tick=args.tick,
        drain=args.drain,
        engine=not args.no_engine,
        follow_chains=args.follow_chains,
        batch=args.batch,
    )
    if args.file.is_dir():
        print(f"yuqing replay: {args.file}: is a directory, expected a JSON-lines file", file=sys.stderr)
        return 2
    if not args.file.is_file():
        print(f"yuqing replay: {args.file}: no such file", file=sys.stderr)
        return 2
    if args.output is not None and (problem := unwritable(args.output)) is not None:
        print(f"yuqing replay: --output {args.output}: {problem}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(_replay(args, options))
    except ConfigError as err:
        for p in err.problems:
            print(f"yuqing replay: {p}", file=sys.stderr)
        return 1
    except (ValueError, AnalyzerUnavailable) as exc:
        print(f"yuqing replay: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    if args.output is not None:
        try:
            args.output.write_text(text + "\n", encoding="utf-8")
            return 0
        except OSError as exc:  # checked before the run, but the disk may have filled since
            print(
                f"yuqing replay: --output {args.output}: {exc.strerror}; the report follows", file=sys.stderr
            )
    print(text)
    return 0
