"""Migrations: applied once, recorded, safe to run twice and from two workers at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg

from monitor.db.migrate import Migration, bundled_migrations, migrate
from monitor.db.pool import connect


async def test_template_has_every_bundled_migration(pool: asyncpg.Pool) -> None:
    rows = await pool.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == [m.version for m in bundled_migrations()]


async def test_running_again_applies_nothing(db_url: str) -> None:
    conn = await connect(db_url)
    try:
        assert await migrate(conn) == []
    finally:
        await conn.close()


async def test_two_workers_migrating_at_once_apply_each_file_once(db_url: str) -> None:
    extra = [
        Migration("9001", "slow", "SELECT pg_sleep(0.2); CREATE TABLE race_a (id int);"),
        Migration("9002", "next", "CREATE TABLE race_b (id int);"),
    ]
    conns = [await connect(db_url) for _ in range(2)]
    try:
        results = await asyncio.gather(*(migrate(c, extra) for c in conns))
    finally:
        for c in conns:
            await c.close()
    assert sorted(v for r in results for v in r) == ["9001", "9002"]


async def test_timeline_is_append_only(pool: asyncpg.Pool) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    async with pool.acquire() as conn:
        inc = await conn.fetchval(
            """INSERT INTO incidents(kind, dedup_key, title, grade, lead_department, policy,
                                     first_seen_at, opened_at, updated_at)
               VALUES ('opinion', 'event:1', 't', 3, 'zhujian', '{}', $1, $1,
                       $1) RETURNING id""",
            now,
        )
        tid = await conn.fetchval(
            "INSERT INTO timeline(incident_id, at, actor, kind) VALUES ($1, $2, 'system', 'opened')"
            " RETURNING id",
            inc,
            now,
        )
        try:
            await conn.execute("UPDATE timeline SET kind = 'x' WHERE id = $1", tid)
        except asyncpg.RaiseError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("timeline row was updated")
