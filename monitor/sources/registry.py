"""Mirrors sources.yaml into the `sources` table at start: upsert what is configured, disable what is gone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from monitor.config.sources import HotlineSource, Source, WeiboSource
from monitor.sources.kinds.weibo import getindex_url

_INSERT = """
INSERT INTO sources (id, kind, name, region, url, enabled, polled, interval_s, stale_after_s,
                     next_poll_at, state, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $6 THEN 'new' ELSE 'disabled' END, $10, $10)
"""
_UPSERT = (
    _INSERT
    + """ON CONFLICT (id) DO UPDATE SET
    kind = EXCLUDED.kind,
    name = EXCLUDED.name,
    region = EXCLUDED.region,
    url = EXCLUDED.url,
    enabled = EXCLUDED.enabled,
    polled = EXCLUDED.polled,
    interval_s = EXCLUDED.interval_s,
    stale_after_s = EXCLUDED.stale_after_s,
    -- validators belong to the old URL; a changed or re-enabled source is polled at once,
    -- anything else keeps its schedule so a restart never cuts a backoff short
    etag = CASE WHEN sources.url IS DISTINCT FROM EXCLUDED.url THEN NULL ELSE sources.etag END,
    last_modified = CASE WHEN sources.url IS DISTINCT FROM EXCLUDED.url
                         THEN NULL ELSE sources.last_modified END,
    next_poll_at = CASE WHEN sources.url IS DISTINCT FROM EXCLUDED.url OR NOT sources.enabled
                        THEN EXCLUDED.next_poll_at ELSE sources.next_poll_at END,
    state = CASE WHEN NOT EXCLUDED.enabled THEN 'disabled'
                 WHEN sources.state = 'disabled' THEN 'new' ELSE sources.state END,
    updated_at = EXCLUDED.updated_at
RETURNING (xmax = 0) AS inserted
"""
)
_DISABLE_REMOVED = """
UPDATE sources SET enabled = false, state = 'disabled', lease_until = NULL, leased_by = NULL, updated_at = $2
WHERE enabled AND NOT (id = ANY($1::text[]))
RETURNING id
"""


@dataclass(frozen=True)
class SyncReport:
    """What a sync changed."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    disabled: tuple[str, ...]


def is_polled(source: Source) -> bool:
    """Pushed 12345 sources have a row (health, posts) but nothing to poll."""
    return not (isinstance(source.spec, HotlineSource) and source.spec.url is None)


def display_url(source: Source) -> str | None:
    """The URL operators see for the source (the getIndex URL for Weibo)."""
    if isinstance(source.spec, WeiboSource):
        return getindex_url(source.spec)
    return source.url


def _values(source: Source, now: datetime) -> tuple[object, ...]:
    spec = source.spec
    return (
        source.id,
        source.kind,
        spec.name,
        spec.region,
        display_url(source),
        spec.enabled,
        is_polled(source),
        source.interval.total_seconds(),
        source.stale_after.total_seconds(),
        now,
    )


async def sync_sources(conn: asyncpg.Connection, sources: Sequence[Source], *, now: datetime) -> SyncReport:
    """Make the table match the configuration, in one transaction."""
    added: list[str] = []
    updated: list[str] = []
    async with conn.transaction():
        for source in sources:
            inserted = await conn.fetchval(_UPSERT, *_values(source, now))
            (added if inserted else updated).append(source.id)
        rows = await conn.fetch(_DISABLE_REMOVED, [s.id for s in sources], now)
    return SyncReport(tuple(added), tuple(updated), tuple(r["id"] for r in rows))


async def ensure_source(conn: asyncpg.Connection, source: Source, *, now: datetime) -> None:
    """Create the row if no sync has run yet (a web-only process receiving a push)."""
    await conn.execute(_INSERT + "ON CONFLICT (id) DO NOTHING", *_values(source, now))
