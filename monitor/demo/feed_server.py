"""A local feed server that releases the demo corpus over simulated time, in each vendor's real format."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from monitor.clock import Clock, to_local
from monitor.demo.corpus import DemoItem

ItemsKey = web.AppKey("demo_items", list)
ClockKey = web.AppKey("demo_clock", object)
PAGE = 20


def _visible(request: web.Request, channel: str) -> list[DemoItem]:
    clock: Clock = request.app[ClockKey]  # type: ignore[assignment]
    now = clock.now()
    items: list[DemoItem] = request.app[ItemsKey]
    return [it for it in items if it.channel == channel and it.at <= now][-PAGE:][::-1]


def _conditional(
    request: web.Request, items: list[DemoItem], render: Callable[[], web.Response]
) -> web.Response:
    etag = '"' + hashlib.blake2b("|".join(it.item_id for it in items).encode()).hexdigest()[:20] + '"'
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    resp = render()
    resp.headers["ETag"] = etag
    return resp


def weibo_created_at(when: datetime) -> str:
    """m.weibo.cn's absolute form: `Sat Jun 15 11:44:46 +0800 2019`."""
    return to_local(when).strftime("%a %b %d %H:%M:%S %z %Y")


def _mblog(it: DemoItem) -> dict[str, Any]:
    return {
        "id": it.item_id,
        "mid": it.item_id,
        "created_at": weibo_created_at(it.at),
        "text": escape(it.text),
        "isLongText": False,
        "region_name": "发布于 浙江",
        "reposts_count": it.reposts,
        "comments_count": it.comments,
        "attitudes_count": it.likes,
        "user": {
            "id": int(hashlib.blake2b(it.author.encode()).hexdigest()[:8], 16),
            "screen_name": it.author,
            "followers_count": it.followers,
            "verified": it.verified_type >= 0,
            "verified_type": it.verified_type,
        },
    }


async def weibo_get_index(request: web.Request) -> web.Response:
    items = _visible(request, "weibo")

    def render() -> web.Response:
        cards = [{"card_type": 11, "card_group": [{"card_type": 9, "mblog": _mblog(it)} for it in items]}]
        return web.json_response({"ok": 1, "data": {"cardlistInfo": {"page": None}, "cards": cards}})

    return _conditional(request, items, render)


async def news_rss(request: web.Request) -> web.Response:
    items = _visible(request, "news")

    def render() -> web.Response:
        entries = "".join(
            f"<item><title>{escape(it.title or it.text[:40])}</title>"
            f"<link>http://news.demo.local/a/{it.item_id}.html</link><guid>{it.item_id}</guid>"
            f"<author>{escape(it.author)}</author><pubDate>{format_datetime(it.at)}</pubDate>"
            f"<description>{escape(it.summary or it.text)}</description></item>"
            for it in items
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>云江日报</title>'
            f"<link>http://news.demo.local/</link><description>本地新闻</description>{entries}</channel></rss>"
        )
        return web.Response(text=body, content_type="application/rss+xml", charset="utf-8")

    return _conditional(request, items, render)


async def wechat_atom(request: web.Request) -> web.Response:
    items = _visible(request, "wechat")

    def render() -> web.Response:
        entries = "".join(
            f"<entry><id>{it.item_id}</id><title>{escape(it.title or it.text[:40])}</title>"
            f'<link href="https://mp.weixin.qq.com/s/{it.item_id}"/><author><name>{escape(it.author)}</name></author>'
            f"<updated>{it.at.isoformat()}</updated><published>{it.at.isoformat()}</published>"
            f"<summary>{escape(it.summary or it.text)}</summary></entry>"
            for it in items
        )
        updated = items[0].at.isoformat() if items else "2026-01-01T00:00:00+00:00"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>云江发布</title><id>MP_WXS_3000000001</id>"
            f"<updated>{updated}</updated>{entries}</feed>"
        )
        return web.Response(text=body, content_type="application/atom+xml", charset="utf-8")

    return _conditional(request, items, render)


def create_feed_app(items: list[DemoItem], clock: Clock) -> web.Application:
    """Weibo getIndex JSON, a news RSS feed and a WeChat-bridge Atom feed over the same timeline."""
    app = web.Application()
    app[ItemsKey] = items
    app[ClockKey] = clock
    app.router.add_get("/api/container/getIndex", weibo_get_index)
    app.router.add_get("/news/rss.xml", news_rss)
    app.router.add_get("/wechat/feeds/MP_WXS_3000000001.atom", wechat_atom)
    return app
