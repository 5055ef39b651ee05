"""`yuqing report`: the 日报/周报 (--period day|week) or a 专报 (--incident ID), from PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any

from monitor.clock import Clock, SystemClock
from monitor.config.errors import ConfigError, print_problems
from monitor.config.responders import load_responders
from monitor.db.embedded import EmbeddedPostgresError
from monitor.db.provision import database
from monitor.reports.build import Format, incident_report, period_report, today
from monitor.settings import Settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="日报/周报 (--period day|week) or 专报 (--incident ID) as HTML or Markdown"
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--period", choices=["day", "week"], help="日报 (day) or 周报 (week, Monday to Sunday)")
    what.add_argument("--incident", type=int, metavar="ID", help="专报 for one incident")
    p.add_argument(
        "--date", type=date.fromisoformat, help="YYYY-MM-DD in the city's time zone (default: today)"
    )
    p.add_argument("--format", choices=["html", "md"], default="html")
    p.add_argument("--out", type=Path, help="write to FILE instead of standard output")
    p.add_argument("--responders", type=Path, default=Path("responders"))


async def produce(args: argparse.Namespace, settings: Settings, clock: Clock) -> str | None:
    """The report text (None for an unknown incident), with `now` from `clock`."""
    responders = load_responders(args.responders)
    fmt: Format = args.format
    async with database(settings.database_url, settings.data_dir, max_size=2) as pool:
        now = clock.now()
        if args.incident is not None:
            return await incident_report(pool, args.incident, now, responders, fmt)
        day = args.date or today(now, responders)
        return await period_report(pool, args.period, day, now, responders, fmt)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(responders_path=args.responders)
    try:
        text = asyncio.run(produce(args, settings, SystemClock()))
    except ConfigError as err:
        return print_problems("yuqing report", err, sys.stderr)
    except EmbeddedPostgresError as err:
        print(f"yuqing report: {err}", file=sys.stderr)
        return 1
    if text is None:
        print(f"yuqing report: no incident {args.incident}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"yuqing report: wrote {args.out}", file=sys.stderr)
    return 0
