"""Stores posts once per (source, external id) and 12345 orders once per number; new posts await analysis."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from monitor.sources.orders import HotlineOrder
from monitor.sources.post import Post

_BATCH = 1000
_INSERT_POSTS = """
INSERT INTO posts (source_id, source_kind, external_id, url, author, author_id, author_followers,
                   author_verified_type, published_at, fetched_at, title, text, reposts, comments, likes,
                   region_hint, parent_external_id, root_external_id, fingerprint, extra)
SELECT p.source_id, p.source_kind, p.external_id, p.url, p.author, p.author_id, p.author_followers,
       p.author_verified_type, p.published_at, $20::timestamptz, p.title, p.text, p.reposts, p.comments,
       p.likes, p.region_hint, p.parent_external_id, p.root_external_id, p.fingerprint, p.extra::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
            $8::integer[], $9::timestamptz[], $10::text[], $11::text[], $12::bigint[], $13::bigint[],
            $14::bigint[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
     AS p(source_id, source_kind, external_id, url, author, author_id, author_followers,
          author_verified_type, published_at, title, text, reposts, comments, likes, region_hint,
          parent_external_id, root_external_id, fingerprint, extra)
ON CONFLICT (source_id, external_id) DO NOTHING
RETURNING id, external_id
"""
_INSERT_ORDER = """
INSERT INTO hotline_orders (order_no, source_id, intake, received_at, channel, category, urgency, title,
                            content, region_codes, region, handler_unit, caller_name_masked,
                            caller_name_hash, caller_phone_masked, caller_phone_hash, extra, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (order_no) DO NOTHING
RETURNING id
"""


@dataclass(frozen=True)
class StoredOrder:
    """An order's row; `created` is false when the order number was already known (a repeat push)."""

    order_no: str
    id: int
    post_id: int | None
    created: bool


def _columns(posts: Sequence[Post]) -> list[list[object]]:
    return [
        [p.source_id for p in posts],
        [p.source_kind for p in posts],
        [p.external_id for p in posts],
        [p.url for p in posts],
        [p.author for p in posts],
        [p.author_id for p in posts],
        [p.author_followers for p in posts],
        [p.author_verified_type for p in posts],
        [p.published_at for p in posts],
        [p.title for p in posts],
        [p.text for p in posts],
        [p.reposts for p in posts],
        [p.comments for p in posts],
        [p.likes for p in posts],
        [p.region_hint for p in posts],
        [p.parent_external_id for p in posts],
        [p.root_external_id for p in posts],
        [p.fingerprint for p in posts],
        [json.dumps(p.extra, ensure_ascii=False, default=str) for p in posts],
    ]


async def store_posts(conn: asyncpg.Connection, posts: Sequence[Post], *, now: datetime) -> dict[str, int]:
    """Insert posts not seen before; returns {external_id: id} of the new ones only.

    Idempotent: a re-poll or a crash-and-retry inserts nothing twice. New rows have
    `analysed_at` NULL, which is the analysis queue.
    """
    new: dict[str, int] = {}
    for start in range(0, len(posts), _BATCH):
        batch = posts[start : start + _BATCH]
        rows = await conn.fetch(_INSERT_POSTS, *_columns(batch), now)
        new.update((r["external_id"], r["id"]) for r in rows)
    return new


async def known_external_ids(
    conn: asyncpg.Connection, source_id: str, external_ids: Sequence[str]
) -> set[str]:
    """Which of these posts the source already stored."""
    rows = await conn.fetch(
        "SELECT external_id FROM posts WHERE source_id = $1 AND external_id = ANY($2::text[])",
        source_id,
        list(external_ids),
    )
    return {r["external_id"] for r in rows}


async def store_orders(
    conn: asyncpg.Connection,
    orders: Sequence[HotlineOrder],
    *,
    source_id: str,
    intake: str,
    now: datetime,
) -> list[StoredOrder]:
    """Insert each order once by order number, and its post for analysis; repeats return the stored row.

    Rows are inserted in order-number order, whatever the order given: two pushes of the same new
    orders in different orders would otherwise each wait on the other's unique key and deadlock.
    """
    out: dict[int, StoredOrder] = {}
    for index, order in sorted(enumerate(orders), key=lambda item: item[1].order_no):
        order_id = await conn.fetchval(
            _INSERT_ORDER,
            order.order_no,
            source_id,
            intake,
            order.received_at,
            order.channel,
            order.category,
            order.urgency,
            order.title,
            order.content,
            list(order.region_codes),
            order.region,
            order.handler_unit,
            order.caller_name_masked,
            order.caller_name_hash,
            order.caller_phone_masked,
            order.caller_phone_hash,
            order.extra,
            now,
        )
        if order_id is None:
            row = await conn.fetchrow(
                "SELECT id, post_id FROM hotline_orders WHERE order_no = $1", order.order_no
            )
            assert row is not None
            out[index] = StoredOrder(order.order_no, row["id"], row["post_id"], created=False)
            continue
        post = order.to_post(source_id)
        post_id = (await store_posts(conn, [post], now=now)).get(post.external_id)
        if post_id is None:  # the post survived an order row deleted by hand
            post_id = await conn.fetchval(
                "SELECT id FROM posts WHERE source_id = $1 AND external_id = $2", source_id, post.external_id
            )
        await conn.execute("UPDATE hotline_orders SET post_id = $2 WHERE id = $1", order_id, post_id)
        out[index] = StoredOrder(order.order_no, order_id, post_id, created=True)
    return [out[i] for i in range(len(orders))]
