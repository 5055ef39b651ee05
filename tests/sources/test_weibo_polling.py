"""Weibo long texts: the poller fetches the full text of new long posts only, within a per-poll budget."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from monitor.clock import FakeClock
from tests.sources.conftest import MakePoller, Serve, build_sources


def long_post(mid: int) -> dict[str, Any]:
    text = f'第{mid}条长微博的开头 ...<a href="/status/{mid}">全文</a>'
    user = {"id": 1, "screen_name": "云江发布", "verified_type": 1, "followers_count": 1000}
    return {
        "card_type": 9,
        "mblog": {"id": str(mid), "created_at": "刚刚", "text": text, "isLongText": True, "user": user},
    }


async def test_long_posts_are_completed_once_within_the_budget(
    pool: asyncpg.Pool, serve: Serve, make_poller: MakePoller, clock: FakeClock, tmp_path: Path
) -> None:
    asked: Counter[str] = Counter()

    async def index(request: web.Request) -> web.Response:
        cards = [long_post(mid) for mid in range(1, 8)]
        return web.json_response({"ok": 1, "data": {"cards": cards}})

    async def extend(request: web.Request) -> web.Response:
        mid = request.query["id"]
        asked[mid] += 1
        if mid == "3":
            return web.Response(status=500)
        return web.Response(
            body=json.dumps(
                {"ok": 1, "data": {"ok": 1, "longTextContent": f"第{mid}条长微博的<br />全部内容"}}
            ),
            content_type="application/json",
        )

    app = web.Application()
    app.router.add_get("/api/container/getIndex", index)
    app.router.add_get("/statuses/extend", extend)
    base = await serve(app)
    sources = build_sources(
        tmp_path, [{"id": "wb", "kind": "weibo", "mode": "user", "uid": "1", "base_url": base}]
    )
    poller = make_poller(sources, follow_up_budget=5)
    before = clock.now()
    assert await poller.run_once() == 1
    # the per-host gap (3 s on the injected clock) spaced the index call and the five follow-ups
    assert (clock.now() - before).total_seconds() >= 15
    texts = {r["external_id"]: r["text"] for r in await pool.fetch("SELECT external_id, text FROM posts")}
    assert texts["1"] == "第1条长微博的\n全部内容"
    assert texts["3"] == "第3条长微博的开头 ..."  # the follow-up failed: the preview is kept
    assert texts["7"] == "第7条长微博的开头 ..."  # over budget
    assert set(asked) == {"1", "2", "3", "4", "5"}
    notes = await pool.fetchval("SELECT last_notes FROM sources")
    assert "follow-up for 3: http_error" in notes and "2 long posts kept as previews" in notes
    state = await pool.fetchval("SELECT state FROM sources")
    assert state == "ok"

    clock.advance(minutes=10)
    assert await poller.run_once() == 1
    assert set(asked.values()) == {1}  # stored posts are never followed up again


async def test_later_pages_add_posts_and_a_failing_page_is_only_a_note(
    pool: asyncpg.Pool, serve: Serve, make_poller: MakePoller, tmp_path: Path
) -> None:
    def card(mid: int) -> dict[str, Any]:
        user = {"id": 1, "screen_name": "网友"}
        return {
            "card_type": 9,
            "mblog": {"id": str(mid), "created_at": "5分钟前", "text": f"帖子{mid}", "user": user},
        }

    async def index(request: web.Request) -> web.Response:
        page = request.query.get("page", "1")
        if page == "1":
            return web.json_response({"ok": 1, "data": {"cards": [card(1), card(2)]}})
        if page == "2":
            return web.json_response({"ok": 1, "data": {"cards": [card(2), card(3)]}})
        return web.json_response({"ok": -100, "url": "https://passport.weibo.cn/signin"})

    app = web.Application()
    app.router.add_get("/api/container/getIndex", index)
    base = await serve(app)
    entry = {"id": "wb", "kind": "weibo", "mode": "search", "query": "云江", "base_url": base, "pages": 3}
    await make_poller(build_sources(tmp_path, [entry])).run_once()
    ids = [r["external_id"] for r in await pool.fetch("SELECT external_id FROM posts ORDER BY external_id")]
    assert ids == ["1", "2", "3"]
    row = await pool.fetchrow("SELECT state, last_notes FROM sources")
    assert row["state"] == "ok" and "page 3: blocked" in row["last_notes"]
