"""`yuqing demo`: the offline demo — local feeds, embedded PostgreSQL, accelerated time, captured alerts."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from monitor.config.errors import ConfigError, print_problems
from monitor.db.embedded import EmbeddedPostgresError
from monitor.demo.runner import DemoOptions, run_demo
from monitor.settings import parse_listen


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the offline demo at http://127.0.0.1:8080 (Ctrl-C to stop)")
    p.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="simulated seconds per real second (default 60: the 5 h clock plays out in ~5 minutes)",
    )
    p.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT for the console")
    p.add_argument("--responders", type=Path, default=Path("responders"))
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".yuqing/demo"),
        help="where the demo's database lives (emptied at every start)",
    )
    p.add_argument("--minutes", type=float, default=None, help="stop after this many real minutes")
    p.add_argument("--quiet", action="store_true", help="only progress lines, not every timeline entry")


def run(args: argparse.Namespace) -> int:
    if args.speed <= 0:
        print("yuqing demo: --speed must be positive", file=sys.stderr)
        return 2
    try:
        listen = parse_listen(args.listen)
    except ValueError as exc:
        print(f"yuqing demo: {exc}", file=sys.stderr)
        return 2
    opts = DemoOptions(
        speed=args.speed,
        listen=listen,
        responders=args.responders,
        data_dir=args.data_dir,
        minutes=args.minutes,
        quiet=args.quiet,
    )
    try:
        asyncio.run(run_demo(opts))
    except ConfigError as err:
        return print_problems("yuqing demo", err, sys.stderr)
    except (EmbeddedPostgresError, OSError) as err:
        print(f"yuqing demo: {err}", file=sys.stderr)
        return 1
    return 0
