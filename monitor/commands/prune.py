"""`yuqing prune`: apply the retention policy now (the `retention` job does it every 10 minutes)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from monitor.clock import Clock, SystemClock
from monitor.commands._database import on_existing_database
from monitor.config.errors import ConfigError, print_problems
from monitor.config.responders import load_responders
from monitor.config.types import format_duration
from monitor.db.pool import DatabaseUnavailable
from monitor.db.provision import database
from monitor.retention.job import BATCH_EVENTS
from monitor.retention.rules import cutoff
from monitor.retention.store import Pruned, pending, prune_batch
from monitor.settings import Settings

PROGRESS_EVERY_S = 2.0
LOCK_ATTEMPTS = 30  # batches that found the grouping lock busy (10 s each) before giving up


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "prune",
        help="delete the events without an incident (and their posts) older than the policy's retention",
    )
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.add_argument("--responders", type=Path, default=Path("responders"))


def describe(done: Pruned, before: datetime, dry_run: bool, zone: ZoneInfo) -> str:
    """The closing line (pure)."""
    verb = "would delete" if dry_run else "deleted"
    when = before.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return (
        f"{verb} {done.events:,} events without an incident last seen before {when} "
        f"and {done.posts:,} of their posts"
    )


async def prune(settings: Settings, args: argparse.Namespace, clock: Clock) -> str:
    """Count (--dry-run) or delete everything the retention policy no longer keeps; the closing line."""
    policy = load_responders(args.responders).policy
    keep = policy.retention.posts
    before = cutoff(clock.now(), keep)
    if before is None or keep is None:
        return "retention is off (retention.posts: null in _policy.yaml): nothing is deleted"
    zone, kept = ZoneInfo(policy.timezone), f"retention {format_duration(keep)}"
    async with database(settings.database_url, settings.data_dir, max_size=1) as pool:
        if args.dry_run:
            async with pool.acquire() as conn:
                return f"{kept}: {describe(await pending(conn, before), before, True, zone)}"
        total, shown, busy = Pruned(), time.monotonic(), 0
        while True:
            try:
                async with pool.acquire() as conn, conn.transaction():
                    done = await prune_batch(conn, before, BATCH_EVENTS)
            except asyncpg.LockNotAvailableError:  # grouping held its lock for LOCK_TIMEOUT
                busy += 1
                if busy >= LOCK_ATTEMPTS:
                    raise DatabaseUnavailable(
                        f"the grouping lock stayed busy for {busy} tries; "
                        f"{describe(total, before, False, zone)} before giving up"
                    ) from None
                continue
            total += done
            if not done.events:
                return f"{kept}: {describe(total, before, False, zone)}"
            if time.monotonic() - shown >= PROGRESS_EVERY_S:
                shown = time.monotonic()
                print(
                    f"yuqing prune: {total.events:,} events, {total.posts:,} posts so far…", file=sys.stderr
                )


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env(responders_path=args.responders)
        line = on_existing_database("yuqing prune", lambda: prune(settings, args, SystemClock()), settings)
    except ConfigError as err:
        return print_problems("yuqing prune", err, sys.stderr)
    if line is None:
        return 1
    print(line)
    return 0
