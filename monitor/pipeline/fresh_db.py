"""A fresh, migrated database for one replay: a temporary embedded server, or a new one on DATABASE_URL."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from monitor.db.embedded import start_embedded
from monitor.db.migrate import migrate
from monitor.db.pool import connect


async def _prepare(dsn: str) -> None:
    """Migrate; a throwaway database needs no durable commits (a replay that dies is simply rerun)."""
    conn = await connect(dsn)
    try:
        await migrate(conn)
        await conn.execute("SELECT set_config('synchronous_commit', 'off', false)")
        name = await conn.fetchval("SELECT current_database()")
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()


def with_database(dsn: str, name: str) -> str:
    """The same server with another database name (URL or embedded `?host=` form)."""
    head, sep, query = dsn.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}{sep}{query}"


@asynccontextmanager
async def fresh_database(database_url: str | None, *, keep: bool = False) -> AsyncIterator[str]:
    """Yield the DSN of an empty, migrated database; it is dropped (or the server removed) afterwards."""
    if database_url is None:
        tmp = Path(tempfile.mkdtemp(prefix="yuqing-replay-"))
        server = start_embedded(tmp / "pgdata")
        try:
            await _prepare(server.uri)
            yield server.uri
        finally:
            server.stop()
            if not keep:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    name = f"yuqing_replay_{secrets.token_hex(4)}"
    admin = await connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = with_database(database_url, name)
    try:
        await _prepare(dsn)
        yield dsn
    finally:
        if not keep:
            admin = await connect(database_url)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
