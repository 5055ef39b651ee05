"""`yuqing migrate`: apply pending schema migrations (also done at every start)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from monitor.db.provision import database
from monitor.settings import Settings


def add_parser(sub: Any) -> None:
    sub.add_parser("migrate", help="apply pending database migrations and exit")


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()

    async def go() -> None:
        async with database(settings.database_url, settings.data_dir) as pool:
            rows = await pool.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
            for r in rows:
                print(f"{r['version']}_{r['name']}")

    asyncio.run(go())
    return 0
