"""Request plumbing shared by API handlers: who is asking, which incident, and the JSON body."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from monitor.web.errors import ApiError
from monitor.web.inputs import WRONG_CHARSET, json_charset_ok

MAX_BIGINT = 2**63 - 1
BODY_READ_TIMEOUT_S = 15.0


def incident_id(request: web.Request) -> int:
    """The `{id}` path segment as a database id (anything out of range simply does not exist)."""
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_BIGINT:
        raise ApiError("not_found", f"事件 {raw} 不存在")
    return int(raw)


async def json_body(request: web.Request) -> Any:
    """The parsed JSON body (None when empty); 400 for anything that is not JSON."""
    try:
        async with asyncio.timeout(BODY_READ_TIMEOUT_S):  # a trickled body must not hold the connection
            raw = await request.read()
    except TimeoutError:
        raise ApiError("bad_request", "请求体发送超时") from None
    if not raw.strip():
        return None
    ctype = request.content_type
    if ctype not in ("application/json", "application/octet-stream", "text/plain") and not ctype.endswith(
        "+json"
    ):
        raise ApiError("unsupported_media_type", "请求体必须是 JSON（Content-Type: application/json）")
    if not json_charset_ok(request.charset):
        raise ApiError("unsupported_media_type", WRONG_CHARSET)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError("bad_request", "请求体不是有效的 JSON") from None


def ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))
