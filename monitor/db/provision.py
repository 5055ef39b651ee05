"""Opens the service's database: DATABASE_URL if set, else the embedded server under the data dir."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from monitor.db.embedded import EmbeddedPostgres, start_embedded
from monitor.db.migrate import migrate
from monitor.db.pool import DatabaseUnavailable, connect, create_pool, is_unavailable

log = logging.getLogger(__name__)
DEFAULT_WAIT_S = 120.0  # how long `yuqing run` waits for an external PostgreSQL that is still starting


def where(dsn: str) -> str:
    """host:port/db of a DSN, without the password, for messages."""
    parts = urlsplit(dsn)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}{parts.path or ''}"


async def connect_when_ready(
    dsn: str,
    wait_s: float,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> asyncpg.Connection:
    """The first connection, retried with backoff for up to `wait_s` while the server is unreachable (a
    Compose or systemd start where PostgreSQL comes up after us); other errors (wrong password, no such
    database) fail at once. Gives up with DatabaseUnavailable naming the server."""
    deadline = monotonic() + max(0.0, wait_s)
    delay, attempt = 1.0, 0
    while True:
        attempt += 1
        try:
            return await connect(dsn)
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as exc:
            if not is_unavailable(exc) and not isinstance(exc, OSError):
                raise
            left = deadline - monotonic()
            if left <= 0:
                raise DatabaseUnavailable(
                    f"PostgreSQL at {where(dsn)} did not answer within {wait_s:.0f} s "
                    f"({attempt} attempts): {exc or type(exc).__name__}"
                ) from exc
            print(
                f"yuqing: waiting for PostgreSQL at {where(dsn)} (attempt {attempt}, "
                f"{left:.0f} s left): {exc or type(exc).__name__}",
                file=sys.stderr,
                flush=True,
            )
            await sleep(min(delay, left))
            delay = min(delay * 2, 10.0)


@asynccontextmanager
async def database(
    database_url: str | None,
    data_dir: Path,
    *,
    run_migrations: bool = True,
    max_size: int = 10,
    wait_s: float = 0.0,
) -> AsyncIterator[asyncpg.Pool]:
    """Yield a migrated pool; an embedded server started here is stopped on exit. An external server that
    cannot be reached yet is waited for up to `wait_s`."""
    embedded: EmbeddedPostgres | None = None
    dsn = database_url
    if dsn is None:
        embedded = start_embedded(data_dir / "pgdata")
        dsn = embedded.uri
        print(f"embedded PostgreSQL: data in {embedded.data_dir}", flush=True)
    try:
        if run_migrations:
            conn = await connect_when_ready(dsn, wait_s if embedded is None else 0.0)
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
