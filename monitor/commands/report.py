"""`yuqing report`: the 日报/周报 (--period day|week) or a 专报 (--incident ID), from PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any

from monitor.clock import Clock, SystemClock
from monitor.commands._args import output_file, whole
from monitor.config.errors import ConfigError, print_problems
from monitor.config.responders import load_responders
from monitor.db.embedded import EmbeddedPostgresError
from monitor.db.provision import database, missing_database
from monitor.reports.build import Format, incident_report, period_report, today
from monitor.settings import Settings

MAX_INCIDENT_ID = 2**63 - 1  # incidents.id is a bigint
# Periods whose start, end and week stay inside the calendar datetime and PostgreSQL can hold.
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(9998, 12, 31)


def report_date(value: str) -> date:
    """argparse type for --date: YYYY-MM-DD within FIRST_DATE..LAST_DATE."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        day = None
    if day is None or not FIRST_DATE <= day <= LAST_DATE:
        raise argparse.ArgumentTypeError(
            f"expected YYYY-MM-DD from {FIRST_DATE} to {LAST_DATE}, got {value!r}"
        )
    return day


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="日报/周报 (--period day|week) or 专报 (--incident ID) as HTML or Markdown"
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--period", choices=["day", "week"], help="日报 (day) or 周报 (week, Monday to Sunday)")
    what.add_argument(
        "--incident",
        type=whole(1, MAX_INCIDENT_ID, "an incident id"),
        metavar="ID",
        help="专报 for one incident",
    )
    p.add_argument("--date", type=report_date, help="YYYY-MM-DD in the city's time zone (default: today)")
    p.add_argument("--format", choices=["html", "md"], default="html")
    p.add_argument("--out", type=output_file, help="write to FILE instead of standard output")
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
    try:
        settings = Settings.from_env(responders_path=args.responders)
    except ConfigError as err:
        return print_problems("yuqing report", err, sys.stderr)
    if (problem := missing_database(settings.database_url, settings.data_dir)) is not None:
        print(f"yuqing report: {problem}", file=sys.stderr)
        return 1
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
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:  # checked when parsed, but the disk may have filled since
        print(f"yuqing report: --out {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"yuqing report: wrote {args.out}", file=sys.stderr)
    return 0
