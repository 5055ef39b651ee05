"""`yuqing run`: the worker, the HTTP API and web console, and /metrics."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from monitor.app import run_service
from monitor.config.errors import ConfigError, print_problems
from monitor.db.embedded import EmbeddedPostgresError
from monitor.db.pool import DatabaseUnavailable
from monitor.settings import Settings, parse_listen


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="run the worker, the API/console and /metrics")
    p.add_argument("--sources", type=Path, default=Path("sources.yaml"))
    p.add_argument("--responders", type=Path, default=Path("responders"))
    p.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT for the API and console")
    p.add_argument(
        "--role",
        choices=["all", "worker", "web"],
        default="all",
        help="run several workers behind one database with --role worker",
    )


def run(args: argparse.Namespace) -> int:
    try:
        listen = parse_listen(args.listen)
    except ValueError as exc:
        print(f"yuqing run: {exc}", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env(
            sources_path=args.sources, responders_path=args.responders, listen=listen, role=args.role
        )
        asyncio.run(run_service(settings))
    except ConfigError as err:
        return print_problems("yuqing run", err, sys.stderr, "not starting")
    except (EmbeddedPostgresError, DatabaseUnavailable) as err:
        print(f"yuqing run: {err}", file=sys.stderr)
        return 1
    return 0
