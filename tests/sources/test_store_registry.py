"""Storage is idempotent and queues new posts; the registry mirrors sources.yaml into the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from monitor.sources.orders import order_from_record
from monitor.sources.post import Post
from monitor.sources.registry import ensure_source, sync_sources
from monitor.sources.store import store_orders, store_posts
from tests.sources.conftest import SALT, build_sources

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def registered(pool: asyncpg.Pool, tmp_path: Path) -> None:
    sources = build_sources(
        tmp_path,
        [
            {"id": "news", "kind": "feed", "url": "http://news.example/rss"},
            {"id": "wb", "kind": "weibo", "mode": "search", "query": "云江"},
            {"id": "push", "kind": "hotline", "push": True, "token_env": "HOTLINE_TOKEN"},
        ],
    )
    async with pool.acquire() as conn:
        await sync_sources(conn, sources, now=NOW)


def post(external_id: str, text: str, **fields: object) -> Post:
    return Post("news", "feed", external_id, NOW - timedelta(hours=1), text=text, **fields)  # type: ignore[arg-type]


async def test_posts_are_stored_once_and_queued(pool: asyncpg.Pool, registered: None) -> None:
    batch = [
        post("a", "滨江区化工厂爆炸", extra={"flavor": "news", "tags": ["安全"]}),
        post("b", "桃溪镇停水", reposts=5, url="https://news.example/b", region_hint="浙江"),
    ]
    async with pool.acquire() as conn:
        first = await store_posts(conn, batch, now=NOW)
        again = await store_posts(conn, [*batch, post("c", "新的一条")], now=NOW)
        rows = await conn.fetch("SELECT * FROM posts ORDER BY id")
    assert set(first) == {"a", "b"} and list(again) == ["c"]
    assert [r["external_id"] for r in rows] == ["a", "b", "c"]
    assert all(r["analysed_at"] is None and r["fetched_at"] == NOW for r in rows)
    assert rows[0]["extra"] == {"flavor": "news", "tags": ["安全"]}
    assert rows[0]["fingerprint"] == batch[0].fingerprint
    assert (rows[1]["reposts"], rows[1]["url"], rows[1]["region_hint"]) == (
        5,
        "https://news.example/b",
        "浙江",
    )


async def test_same_text_from_two_sources_shares_a_fingerprint(pool: asyncpg.Pool, registered: None) -> None:
    text = "云江市滨江区江滨街道一化工厂发生爆炸，已造成3人受伤"
    weibo = Post("wb", "weibo", "4999", NOW, text=text + " [泪]")
    async with pool.acquire() as conn:
        await store_posts(conn, [post("n1", text), weibo], now=NOW)
        groups = await conn.fetchval("SELECT count(DISTINCT fingerprint) FROM posts")
    assert groups == 1


async def test_large_batches_are_chunked(pool: asyncpg.Pool, registered: None) -> None:
    many = [post(f"p{i}", f"第{i}条新闻的正文内容足够长") for i in range(2500)]
    async with pool.acquire() as conn:
        assert len(await store_posts(conn, many, now=NOW)) == 2500
        assert await conn.fetchval("SELECT count(*) FROM posts") == 2500


async def test_orders_are_idempotent_on_the_order_number(pool: asyncpg.Pool, registered: None) -> None:
    record = {
        "order_no": "YJ1",
        "received_at": "2026-06-01 09:00:00",
        "content": "路灯不亮，电话13812345678",
        "caller_phone": "13812345678",
        "urgency": "一般",
    }
    order = order_from_record(record, now=NOW, region_codes={}, salt=SALT)
    async with pool.acquire() as conn:
        (first,) = await store_orders(conn, [order], source_id="push", intake="push", now=NOW)
        (again,) = await store_orders(conn, [order], source_id="push", intake="poll", now=NOW)
        row = await conn.fetchrow("SELECT * FROM hotline_orders")
        posts = await conn.fetch("SELECT * FROM posts")
    assert first.created and not again.created
    assert (again.id, again.post_id) == (first.id, first.post_id)
    assert row["caller_phone_masked"] == "138****5678" and row["intake"] == "push"
    assert len(posts) == 1 and posts[0]["source_kind"] == "hotline" and posts[0]["id"] == first.post_id
    assert "13812345678" not in posts[0]["text"] and posts[0]["extra"]["urgency"] == "一般"


async def test_registry_sync_upserts_and_disables(pool: asyncpg.Pool, tmp_path: Path) -> None:
    v1 = build_sources(
        tmp_path,
        [
            {
                "id": "news",
                "kind": "feed",
                "url": "http://news.example/rss",
                "interval": "10m",
                "region": "yunjiang",
            },
            {"id": "old", "kind": "feed", "url": "http://old.example/rss"},
            {"id": "push", "kind": "hotline", "push": True, "token_env": "T"},
            {"id": "off", "kind": "feed", "url": "http://off.example/rss", "enabled": False},
        ],
    )
    async with pool.acquire() as conn:
        report = await sync_sources(conn, v1, now=NOW)
        assert report.added == ("news", "old", "push", "off") and report.disabled == ()
        rows = {r["id"]: r for r in await conn.fetch("SELECT * FROM sources")}
        assert rows["news"]["interval_s"] == 600 and rows["news"]["region"] == "yunjiang"
        assert rows["news"]["next_poll_at"] == NOW and rows["news"]["state"] == "new"
        assert rows["push"]["polled"] is False and rows["off"]["state"] == "disabled"
        await conn.execute(
            "UPDATE sources SET etag = 'e', next_poll_at = $1, state = 'blocked' WHERE id IN ('news', 'old')",
            NOW + timedelta(hours=5),
        )
        v2 = build_sources(
            tmp_path,
            [
                {"id": "news", "kind": "feed", "url": "http://news.example/rss2", "interval": "5m"},
                {"id": "push", "kind": "hotline", "push": True, "token_env": "T"},
                {"id": "off", "kind": "feed", "url": "http://off.example/rss"},
            ],
        )
        later = NOW + timedelta(minutes=1)
        report = await sync_sources(conn, v2, now=later)
        assert report.updated == ("news", "push", "off") and report.disabled == ("old",)
        rows = {r["id"]: r for r in await conn.fetch("SELECT * FROM sources")}
    # a new URL forgets the old validators and is polled at once
    assert rows["news"]["etag"] is None and rows["news"]["next_poll_at"] == later
    assert rows["news"]["url"] == "http://news.example/rss2" and rows["news"]["interval_s"] == 300
    assert rows["old"]["enabled"] is False and rows["old"]["state"] == "disabled"
    assert rows["off"]["enabled"] is True and rows["off"]["state"] == "new"


async def test_restart_keeps_a_blocked_sources_backoff(pool: asyncpg.Pool, tmp_path: Path) -> None:
    sources = build_sources(tmp_path, [{"id": "wb", "kind": "weibo", "mode": "user", "uid": "1"}])
    async with pool.acquire() as conn:
        await sync_sources(conn, sources, now=NOW)
        await conn.execute(
            "UPDATE sources SET next_poll_at = $1, state = 'blocked'", NOW + timedelta(hours=4)
        )
        await sync_sources(conn, sources, now=NOW + timedelta(minutes=5))
        row = await conn.fetchrow("SELECT next_poll_at, state, url FROM sources")
    assert row["next_poll_at"] == NOW + timedelta(hours=4) and row["state"] == "blocked"
    assert row["url"].startswith("https://m.weibo.cn/api/container/getIndex?")


async def test_ensure_source_creates_only_when_missing(pool: asyncpg.Pool, tmp_path: Path) -> None:
    (push,) = build_sources(tmp_path, [{"id": "push", "kind": "hotline", "push": True, "token_env": "T"}])
    async with pool.acquire() as conn:
        await ensure_source(conn, push, now=NOW)
        await conn.execute("UPDATE sources SET state = 'ok'")
        await ensure_source(conn, push, now=NOW + timedelta(hours=1))
        assert await conn.fetchval("SELECT state FROM sources WHERE id = 'push'") == "ok"
