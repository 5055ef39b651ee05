"""Opens the service's database: DATABASE_URL if set, else the embedded server under the data dir."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import asyncpg

from monitor.db.embedded import EmbeddedPostgres, start_embedded
from monitor.db.migrate import migrate
from monitor.db.pool import DatabaseRefused, DatabaseUnavailable, connect, create_pool, is_unavailable

log = logging.getLogger(__name__)
DEFAULT_WAIT_S = 120.0  # how long `yuqing run` waits for an external PostgreSQL that is still starting
T = TypeVar("T")

# Raised when opening a connection means the settings are wrong, not that the server is away: wrong user or
# password (class 28), no such database (3D000), no CONNECT privilege, or a URL that is not PostgreSQL's.
_REFUSALS = (
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InsufficientPrivilegeError,
    asyncpg.ClientConfigurationError,
    ValueError,  # asyncpg's DSN parsing: a port that is not a number, a broken IPv6 address
)


def where(dsn: str) -> str:
    """host:port/db of a DSN (the socket directory for a local socket), without the password, for messages."""
    try:
        parts = urlsplit(dsn)
        port = parts.port
    except ValueError:
        return "DATABASE_URL (not a valid URL)"
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
    return f"{host}:{port or 5432}{parts.path or ''}"


def embedded_data_dir(data_dir: Path) -> Path:
    """Where the embedded server keeps its files under the service's data directory (YUQING_DATA_DIR)."""
    return data_dir / "pgdata"


def missing_database(database_url: str | None, data_dir: Path) -> str | None:
    """Why there is no database to open (None if there is one), for the commands that read or administer the
    service's database: run from the wrong directory they would otherwise create an empty one there."""
    if database_url is not None:
        return None
    pgdata = embedded_data_dir(data_dir)
    if (pgdata / "PG_VERSION").is_file():
        return None
    return (
        f"no database: DATABASE_URL is not set and there is no embedded database in {data_dir.resolve()}; "
        "run this in the directory `yuqing run` runs in, or point YUQING_DATA_DIR at its data directory "
        "(default ./.yuqing) or DATABASE_URL at its PostgreSQL"
    )


async def refusals_named(dsn: str, opening: Awaitable[T]) -> T:
    """`opening`, with settings PostgreSQL refuses reported as DatabaseRefused naming the server (never the
    password) instead of asyncpg's own errors."""
    try:
        return await opening
    except _REFUSALS as exc:
        reason = str(exc) or type(exc).__name__
        try:
            password = urlsplit(dsn).password
        except ValueError:
            password = None
        if password:
            reason = reason.replace(password, "***")
        raise DatabaseRefused(f"cannot use PostgreSQL at {where(dsn)}: {reason}") from exc


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
                waited = f" within {wait_s:.0f} s ({attempt} attempts)" if wait_s > 0 else ""
                raise DatabaseUnavailable(
                    f"PostgreSQL at {where(dsn)} did not answer{waited}: {exc or type(exc).__name__}"
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
    cannot be reached yet is waited for up to `wait_s`. Any failure to open it is a DatabaseUnavailable
    (DatabaseRefused for wrong settings) or an EmbeddedPostgresError, naming the server but no password."""
    embedded: EmbeddedPostgres | None = None
    dsn = database_url
    if dsn is None:
        embedded = start_embedded(embedded_data_dir(data_dir))  # it says where, on stderr
        dsn = embedded.uri
    try:
        # the first connection also tells an unreachable server (waited for) from wrong settings (not)
        conn = await refusals_named(dsn, connect_when_ready(dsn, wait_s if embedded is None else 0.0))
        try:
            applied = await migrate(conn) if run_migrations else []
        finally:
            await conn.close()
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        pool = await refusals_named(dsn, create_pool(dsn, max_size=max_size))
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        if embedded is not None:
            embedded.stop()
