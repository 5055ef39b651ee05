"""The asyncpg pool, with JSON codecs so jsonb columns read and write Python objects."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

# How long opening one connection may take before PostgreSQL counts as unreachable (asyncpg's default
# is 60 s, which would stall every job for a minute behind a black-holed address).
CONNECT_TIMEOUT_S = 10.0


class DatabaseUnavailable(ConnectionError):
    """PostgreSQL cannot be reached right now (down, restarting, unreachable): retry later."""


class DatabaseRefused(DatabaseUnavailable):
    """PostgreSQL cannot be used as configured (wrong user or password, no such database, not a PostgreSQL
    URL): retrying will not help. A DatabaseUnavailable so that every command reports it the same way."""


# Raised while PostgreSQL is away: it refuses or drops connections, or is shutting down or starting up.
# Errors in a query itself (syntax, constraints, permissions) are not among them.
_LOST = (
    DatabaseUnavailable,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and a connection closed mid-operation
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: the server is stopping
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed
    ConnectionError,  # reset or refused mid-query
)


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) means the database is away rather than the work being wrong."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None or isinstance(seen, DatabaseRefused):
            return False
        if isinstance(seen, _LOST):
            return True
        if isinstance(seen, asyncpg.InterfaceError) and "connection is closed" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """asyncpg.connect, with a failure to reach the server reported as DatabaseUnavailable.

    The socket errors (no socket file, refused, unreachable, timed out) are wrapped here, where they can
    only mean that the server is not there: the same OSError raised by a job elsewhere means something else.
    """
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (OSError, TimeoutError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as exc:
        raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {exc or type(exc).__name__}") from exc


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename,
            encoder=lambda v: json.dumps(v, ensure_ascii=False, default=str),
            decoder=json.loads,
            schema="pg_catalog",
        )


async def create_pool(dsn: str, *, min_size: int = 0, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections speak JSON for json/jsonb and UTC for timestamptz.

    `min_size` is 0 by default: asyncpg keeps a floor of connections by reconnecting in the background,
    and while PostgreSQL is away that loop logs a traceback every few seconds beside the jobs' own
    backoff. With no floor, connections open on demand and idle ones are still kept for reuse.
    """
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        connect=_connect,
        server_settings={"timezone": "UTC", "application_name": "yuqing"},
        command_timeout=60,
        timeout=CONNECT_TIMEOUT_S,
    )
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the same codecs (for CLI tools and migrations)."""
    conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC", "application_name": "yuqing"})
    await _init_connection(conn)
    return conn
