"""Engine test fixtures: a second fresh database for reference runs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import asyncpg
import pytest

from monitor.db.embedded import EmbeddedPostgres
from monitor.db.pool import connect, create_pool
from tests.conftest import TEMPLATE, _with_db


@pytest.fixture
async def second_pool(pg_server: EmbeddedPostgres) -> AsyncIterator[asyncpg.Pool]:
    """Another fresh migrated database (for comparing a reference run with the run under test)."""
    name = f"t_{os.getpid()}_ref_{id(pg_server) % 100000}_{os.urandom(3).hex()}"
    admin = await connect(pg_server.uri)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await admin.close()
    pool = await create_pool(_with_db(pg_server.uri, name), max_size=5)
    try:
        yield pool
    finally:
        await pool.close()
        admin = await connect(pg_server.uri)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()
