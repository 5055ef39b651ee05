"""`yuqing migrate`: apply pending schema migrations (also done at every start)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from monitor.config.errors import ConfigError, print_problems
from monitor.db.embedded import EmbeddedPostgresError
from monitor.db.migrate import bundled_migrations, migrate
from monitor.db.pool import DatabaseUnavailable
from monitor.db.provision import database
from monitor.settings import Settings


def add_parser(sub: Any) -> None:
    sub.add_parser(
        "migrate", help="apply pending database migrations and exit (the setup step: may create the database)"
    )


def summary(applied_now: list[str], total: int) -> list[str]:
    """What `yuqing migrate` says: the migrations applied now, one a line, or that there were none."""
    if not applied_now:
        return [f"database is up to date ({total} migrations)"]
    names = {m.version: f"{m.version}_{m.name}" for m in bundled_migrations()}
    head = f"applied {len(applied_now)} of {total} migrations:"
    return [head, *(f"  {names.get(version, version)}" for version in applied_now)]


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as err:
        return print_problems("yuqing migrate", err, sys.stderr)

    async def go() -> tuple[list[str], int]:
        # the setup step: unlike the other admin commands it may create the embedded database
        opened = database(settings.database_url, settings.data_dir, run_migrations=False, max_size=1)
        async with opened as pool:
            async with pool.acquire() as conn:
                applied_now = await migrate(conn)
                total = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        return applied_now, int(total)

    try:
        applied_now, total = asyncio.run(go())
    except (DatabaseUnavailable, EmbeddedPostgresError) as err:
        print(f"yuqing migrate: {err}", file=sys.stderr)
        return 1
    for line in summary(applied_now, total):
        print(line)
    return 0
