"""12345 push intake: `POST /api/v1/intake/hotline`, token or HMAC authenticated, idempotent per order."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web

from monitor.config.sources import HotlineSource, Source
from monitor.secrets import SecretError, read_secret
from monitor.sources.alerts import apply_alerts
from monitor.sources.health import AlertChanges, alert_keys
from monitor.sources.orders import HotlineOrder, OrderInvalid, canonical, order_from_record
from monitor.sources.pii import pii_salt
from monitor.sources.registry import ensure_source
from monitor.sources.store import StoredOrder, store_orders
from monitor.web.auth import same_secret
from monitor.web.inputs import WRONG_CHARSET, json_charset_ok
from monitor.web.keys import SERVICES

log = logging.getLogger(__name__)

PATH = "/api/v1/intake/hotline"
PATH_ALIAS = "/api/v1/intake/12345"  # the name the OpenAPI document uses
SIGNATURE_HEADER = "X-Yuqing-Signature"
TIMESTAMP_HEADER = "X-Yuqing-Timestamp"
MAX_BODY = 1024 * 1024
MAX_BATCH = 500
BODY_READ_TIMEOUT_S = 15.0
FRESHNESS = timedelta(minutes=5)
# Unix seconds have 10 digits until the year 2286; anything much longer is not a timestamp (and would
# overflow int() or float() on the way to a skew).
MAX_STAMP_DIGITS = 20
_MARK_RECEIVED = """
UPDATE sources SET state = 'ok', consecutive_failures = 0, last_error_kind = NULL, last_error = NULL,
    last_success_at = $2, last_attempt_at = $2,
    last_new_post_at = CASE WHEN $3 > 0 THEN $2 ELSE last_new_post_at END,
    posts_total = posts_total + $3, updated_at = $2
WHERE id = $1
"""


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: HTTP status, a stable code, a message for people and optional detail."""

    status: int
    error: str
    message: str
    detail: Any = None

    def response(self) -> web.Response:
        body: dict[str, Any] = {"error": self.error, "message": self.message, "detail": self.detail}
        response = web.json_response(body, status=self.status, dumps=_dumps)
        if self.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="yuqing-intake"'
        return response


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def check_auth(
    headers: Mapping[str, str],
    body: bytes,
    *,
    token: str | None,
    hmac_secret: str | None,
    now: datetime,
    window: timedelta = FRESHNESS,
) -> Refusal | None:
    """None when the request carries the right bearer token or a fresh HMAC-SHA256 signature.

    The signature is hex HMAC-SHA256 with the shared secret over `<timestamp>.<raw body>`, sent as
    `X-Yuqing-Signature: sha256=<hex>` with the Unix timestamp in `X-Yuqing-Timestamp`.
    """
    if not token and not hmac_secret:
        return Refusal(503, "intake_not_configured", "推送接口未配置令牌或签名密钥", None)
    authorization = headers.get("Authorization", "")
    if token and authorization[:7].lower() == "bearer ":
        if same_secret(authorization[7:].strip(), token):  # undecodable header bytes: wrong, not an error
            return None
        return Refusal(401, "unauthenticated", "令牌无效", None)
    signature = headers.get(SIGNATURE_HEADER, "").strip().removeprefix("sha256=")
    if hmac_secret and signature:
        stamp = headers.get(TIMESTAMP_HEADER, "").strip()
        if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > MAX_STAMP_DIGITS:
            return Refusal(401, "unauthenticated", "签名请求缺少有效的时间戳", {"header": TIMESTAMP_HEADER})
        skew = abs(now.timestamp() - int(stamp))
        if skew > window.total_seconds():
            detail = {"skew_seconds": int(skew), "window_seconds": int(window.total_seconds())}
            return Refusal(401, "stale_signature", "签名已过期（时间戳超出允许窗口）", detail)
        expected = hmac.new(hmac_secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if same_secret(signature.lower(), expected):
            return None
        return Refusal(401, "unauthenticated", "签名无效", None)
    return Refusal(401, "unauthenticated", "缺少推送令牌或签名", None)


def push_source(sources: Sequence[Source], wanted: str | None) -> Source | Refusal:
    """The pushed hotline source this request is for: `?source=<id>`, or the only one configured."""
    pushed = [s for s in sources if isinstance(s.spec, HotlineSource) and s.spec.push and s.spec.enabled]
    if wanted is not None:
        pushed = [s for s in pushed if s.id == wanted]
    if len(pushed) == 1:
        return pushed[0]
    if not pushed:
        return Refusal(404, "unknown_source", "没有启用推送的 12345 信息源", {"source": wanted})
    ids = [s.id for s in pushed]
    return Refusal(400, "ambiguous_source", "有多个推送信息源，请用 ?source= 指定", {"sources": ids})


async def read_body(request: web.Request, limit: int = MAX_BODY) -> bytes | Refusal:
    """The raw body, refused once it grows past `limit` (checked before and while reading)."""
    too_large = Refusal(413, "payload_too_large", "请求体过大", {"max_bytes": limit})
    if request.content_length is not None and request.content_length > limit:
        return too_large
    try:
        # A client trickling its body must not hold a connection forever (aiohttp has no body timeout).
        async with asyncio.timeout(BODY_READ_TIMEOUT_S):
            body = await request.content.read(limit + 1)
            while len(body) <= limit and not request.content.at_eof():
                chunk = await request.content.read(limit + 1 - len(body))
                if not chunk:
                    break
                body += chunk
    except TimeoutError:
        return Refusal(408, "request_timeout", "请求体发送超时", {"timeout_seconds": BODY_READ_TIMEOUT_S})
    return too_large if len(body) > limit else body


def records_of(document: Any) -> tuple[list[Any], bool] | Refusal:
    """One order object, or `{"orders": [...]}` for a batch (the bool says which)."""
    if isinstance(document, dict) and "orders" in document:
        stray, _ = canonical({k: v for k, v in document.items() if k != "orders"})
        if stray:  # an order's fields beside the batch: which did the platform mean?
            detail = [{"field": name, "message": "order fields go inside orders[]"} for name in stray]
            return Refusal(422, "invalid_order", "请求体同时含有 orders 与工单字段，无法判断", detail)
        orders = document["orders"]
        if not isinstance(orders, list) or not orders:
            detail = [{"field": "orders", "message": "expected a non-empty list"}]
            return Refusal(422, "invalid_order", "orders 必须是非空数组", detail)
        if len(orders) > MAX_BATCH:
            limit = {"max_orders": MAX_BATCH}
            return Refusal(413, "payload_too_large", f"一次最多推送 {MAX_BATCH} 条工单", limit)
        return orders, True
    if isinstance(document, dict):
        return [document], False
    detail = [{"field": "", "message": f"expected an order object, got {type(document).__name__}"}]
    return Refusal(422, "invalid_order", '请求体必须是工单对象或 {"orders": [...]}', detail)


def validate(
    records: list[Any], *, now: datetime, region_codes: Mapping[str, str], salt: str | None
) -> list[HotlineOrder] | Refusal:
    """Every record as an order, or one refusal that lists every problem of every record."""
    orders: list[HotlineOrder] = []
    problems: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append({"index": index, "field": "", "message": "expected an object"})
            continue
        found = order_no_problems(record)
        try:
            order = order_from_record(record, now=now, region_codes=region_codes, salt=salt)
        except OrderInvalid as exc:
            found.extend(exc.problems)
        except SecretError:
            if not found:  # a record refused anyway needs no salt
                raise
        else:
            if not found:
                orders.append(order)
        problems.extend({"index": index, "field": f, "message": m} for f, m in found)
    if problems:
        return Refusal(422, "invalid_order", "工单字段无效", problems)
    return orders


def order_no_problems(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The order number is the idempotency key: a string or an integer, never a float (1.0 vs 1, inf, nan)."""
    value = canonical(record)[0].get("order_no")
    if isinstance(value, float):
        return [("order_no", "expected a string or an integer, got a floating-point number")]
    return []


async def intake_hotline(request: web.Request) -> web.Response:
    """Receive one order or a batch; new orders → 201, all repeats → 200 with the stored ids."""
    services = request.app[SERVICES]
    env = services.settings.env
    now = services.clock.now()
    source = push_source(services.sources, request.query.get("source"))
    if isinstance(source, Refusal):
        return source.response()
    body = await read_body(request)
    if isinstance(body, Refusal):
        return body.response()
    spec = source.spec
    assert isinstance(spec, HotlineSource)
    try:
        token = read_secret(spec.token_env, env) if spec.token_env else None
        secret = read_secret(spec.hmac_secret_env, env) if spec.hmac_secret_env else None
    except SecretError as exc:
        log.error("12345 intake misconfigured: %s", exc)
        return Refusal(503, "intake_not_configured", "推送接口配置有误", str(exc)).response()
    refused = check_auth(request.headers, body, token=token, hmac_secret=secret, now=now)
    if refused is not None:
        return refused.response()
    try:  # only now: the salt's state is not for unauthenticated callers to learn
        salt = pii_salt(env)
    except SecretError as exc:
        log.error("12345 intake misconfigured: %s", exc)
        return Refusal(503, "intake_not_configured", "推送接口配置有误", str(exc)).response()
    if not json_charset_ok(request.charset):
        declared = {"charset": (request.charset or "")[:64]}
        return Refusal(415, "unsupported_media_type", WRONG_CHARSET, declared).response()
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return Refusal(400, "invalid_json", "请求体不是有效的 JSON", str(exc)).response()
    records = records_of(document)
    if isinstance(records, Refusal):
        return records.response()
    items, batch = records
    region_codes = {c: r.id for r in services.responders.regions.values() for c in r.codes}
    try:
        orders = validate(items, now=now, region_codes=region_codes, salt=salt)
    except SecretError as exc:  # caller data arrived but YUQING_PII_SALT is not set
        log.error("12345 intake cannot store caller data: %s", exc)
        message = "未配置来电人信息加密盐，无法接收含个人信息的工单"
        return Refusal(503, "pii_salt_missing", message, str(exc)).response()
    if isinstance(orders, Refusal):
        return orders.response()
    stored = await _store(services.pool, source, orders, now)
    created = sum(1 for s in stored if s.created)
    if created:
        services.metrics.posts_ingested.labels(kind="hotline").inc(created)
        services.wakeup.work_appeared("intake")  # analyse it now, here and in the other workers
    results = [_result(s) for s in stored]
    status = 201 if created else 200
    if not batch:
        return web.json_response(results[0], status=status, dumps=_dumps)
    body_out = {"results": results, "created": created, "duplicates": len(stored) - created}
    return web.json_response(body_out, status=status, dumps=_dumps)


def _result(stored: StoredOrder) -> dict[str, Any]:
    return {
        "order_no": stored.order_no,
        "id": stored.id,
        "post_id": stored.post_id,
        "duplicate": not stored.created,
    }


async def _store(
    pool: asyncpg.Pool, source: Source, orders: list[HotlineOrder], now: datetime
) -> list[StoredOrder]:
    async with pool.acquire() as conn, conn.transaction():
        await ensure_source(conn, source, now=now)
        stored = await store_orders(conn, orders, source_id=source.id, intake="push", now=now)
        created = sum(1 for s in stored if s.created)
        await conn.execute(_MARK_RECEIVED, source.id, now, created)
        keys = alert_keys(source.id)
        resolve = (keys["silent"], keys["failing"]) if created else (keys["failing"],)
        await apply_alerts(conn, AlertChanges(resolve=resolve), now=now)
    return stored


def add_routes(app: web.Application) -> None:
    """Register the intake under its path and the alias the OpenAPI document names."""
    app.router.add_post(PATH, intake_hotline)
    app.router.add_post(PATH_ALIAS, intake_hotline)
