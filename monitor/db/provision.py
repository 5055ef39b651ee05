"""Opens the service's database: DATABASE_URL if set, else the embedded server under the data dir."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from monitor.db.embedded import EmbeddedPostgres, start_embedded
from monitor.db.migrate import migrate
from monitor.db.pool import connect, create_pool

log = logging.getLogger(__name__)


@asynccontextmanager
async def database(
    database_url: str | None, data_dir: Path, *, run_migrations: bool = True, max_size: int = 10
) -> AsyncIterator[asyncpg.Pool]:
    """Yield a migrated pool; an embedded server started here is stopped on exit."""
    embedded: EmbeddedPostgres | None = None
    dsn = database_url
    if dsn is None:
        embedded = start_embedded(data_dir / "pgdata")
        dsn = embedded.uri
        print(f"embedded PostgreSQL: data in {embedded.data_dir}", flush=True)
    try:
        if run_migrations:
            conn = await connect(dsn)
            try:
                applied = await migrate(conn)
            finally:
                await conn.close()
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
        pool = await create_pool(dsn, max_size=max_size)
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        if embedded is not None:
            embedded.stop()
