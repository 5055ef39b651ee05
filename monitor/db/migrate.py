"""Applies the plain-SQL migrations in order, once, safely from several workers at the same time."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import resources

import asyncpg

log = logging.getLogger(__name__)

# Any constant works; every worker must use the same one so only one migrates at a time.
_LOCK_KEY = 0x59_55_51_49_4E_47  # "YUQING"


@dataclass(frozen=True)
class Migration:
    """One `NNNN_name.sql` file."""

    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def bundled_migrations() -> list[Migration]:
    """The SQL files shipped in `monitor/db/migrations`, sorted by their numeric prefix."""
    root = resources.files("monitor.db") / "migrations"
    out: list[Migration] = []
    for entry in root.iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            out.append(
                Migration(version=version, name=rest.removesuffix(".sql"), sql=entry.read_text("utf-8"))
            )
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return out


async def migrate(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply pending migrations; returns the versions applied now. Idempotent and concurrency-safe."""
    todo = migrations if migrations is not None else bundled_migrations()
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version text PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"""
        )
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        done = {r["version"]: r["checksum"] for r in rows}
        for m in todo:
            if m.version in done:
                if done[m.version] != m.checksum:
                    log.warning(
                        "migration %s_%s changed after it was applied; not re-applying", m.version, m.name
                    )
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations(version, name, checksum) VALUES ($1, $2, $3)",
                    m.version,
                    m.name,
                    m.checksum,
                )
            log.debug("applied migration %s_%s", m.version, m.name)  # the caller reports them all in one line
            applied_now.append(m.version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now
