"""Shared fixtures: one real embedded PostgreSQL per test session, a fresh migrated database per test."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from monitor.clock import FakeClock
from monitor.config.responders import Responders, load_responders
from monitor.db.embedded import EmbeddedPostgres, start_embedded
from monitor.db.migrate import migrate
from monitor.db.pool import connect, create_pool
from tests.channels.smtp import Mailbox, smtp_server

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
if not SHARED_DATA.exists():  # CI clones main with shared/ beside it; allow an explicit override
    SHARED_DATA = Path(os.environ.get("YUQING_SHARED_DATA", "/work/shared/data"))
TEMPLATE = "yuqing_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"shared data sets not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    """A real PostgreSQL server for the whole session, with a migrated template database."""
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-pg-"))
    server = start_embedded(tmp / "pgdata")

    async def make_template() -> None:
        conn = await connect(server.uri)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await conn.close()
        conn = await connect(_with_db(server.uri, TEMPLATE))
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(make_template())
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _with_db(uri: str, name: str) -> str:
    # embedded URIs look like postgresql://postgres:@/postgres?host=/path
    head, sep, query = uri.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}{sep}{query}"


@pytest.fixture
async def db_url(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    """A fresh database cloned from the migrated template; dropped afterwards."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = await connect(pg_server.uri)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await admin.close()
    yield _with_db(pg_server.uri, name)
    admin = await connect(pg_server.uri)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(db_url, max_size=5)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def responders() -> Responders:
    return load_responders(ROOT / "responders")


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on loopback: its mailbox and port."""
    with smtp_server() as running:
        yield running
