"""The 12345 push intake over real HTTP: authentication, idempotency, bad payloads, PII masking."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from monitor.app import Services
from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.db.pool import create_pool
from monitor.metrics import Metrics
from monitor.settings import Settings
from monitor.web import intake
from monitor.web.keys import SERVICES
from monitor.web.middlewares import error_middleware
from tests.sources.conftest import SALT, build_sources

TOKEN = "push-token-for-tests"
SECRET = "hmac-secret-for-tests"
ENV = {"HOTLINE_TOKEN": TOKEN, "HOTLINE_HMAC": SECRET, "YUQING_PII_SALT": SALT}
ORDER = {
    "order_no": "YJ20260601000777",
    "received_at": "2026-06-01T07:40:00+08:00",
    "channel": "电话",
    "category": "环境保护",
    "urgency": "紧急",
    "title": "临港化工园区异味",
    "content": "来电人王五称园区附近有刺鼻气味，回电13987654321",
    "region_codes": "339922101",
    "caller_name": "王五",
    "caller_phone": "13987654321",
}
Client = TestClient[web.Request, web.Application]


async def make_client(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, tmp_path: Path, env: dict[str, str]
) -> AsyncIterator[Client]:
    sources = build_sources(
        tmp_path,
        [{"id": "hotline-push", "kind": "hotline", "push": True, "token_env": "HOTLINE_TOKEN",
          "hmac_secret_env": "HOTLINE_HMAC", "stale_after": "1h"}],
    )  # fmt: skip
    async with aiohttp.ClientSession() as http:
        app = web.Application()
        app[SERVICES] = Services(Settings(env=env), clock, pool, responders, sources, Metrics(), http)
        intake.add_routes(app)
        async with TestClient(TestServer(app)) as client:
            yield client


@pytest.fixture
async def client(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, tmp_path: Path
) -> AsyncIterator[Client]:
    async for c in make_client(pool, clock, responders, tmp_path, ENV):
        yield c


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def signed(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return {intake.SIGNATURE_HEADER: f"sha256={digest}", intake.TIMESTAMP_HEADER: str(timestamp)}


async def post(client: Client, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    async with client.post(intake.PATH, data=body, headers=headers or bearer()) as response:
        return response.status, await response.json()


async def test_an_order_is_stored_once_with_its_caller_masked(client: Client, pool: asyncpg.Pool) -> None:
    status, first = await post(client, ORDER)
    assert status == 201 and first["duplicate"] is False and first["order_no"] == ORDER["order_no"]
    status, again = await post(client, ORDER | {"content": "the platform resent it"})
    assert status == 200 and again == first | {"duplicate": True}
    orders = await pool.fetch("SELECT * FROM hotline_orders")
    posts = await pool.fetch("SELECT * FROM posts")
    assert len(orders) == 1 and len(posts) == 1 and posts[0]["id"] == first["post_id"]
    order = orders[0]
    assert (order["intake"], order["region"], order["urgency"]) == ("push", "qingshi-lingang", "紧急")
    assert (order["caller_name_masked"], order["caller_phone_masked"]) == ("王*", "139****4321")
    stored = json.dumps([dict(order), dict(posts[0])], default=str, ensure_ascii=False)
    assert "13987654321" not in stored, stored[stored.index("13987654321") - 200 :][:300]
    assert "王五" not in stored, stored[stored.index("王五") - 100 :][:200]
    assert posts[0]["analysed_at"] is None and posts[0]["extra"]["order_no"] == ORDER["order_no"]
    source = await pool.fetchrow("SELECT * FROM sources WHERE id = 'hotline-push'")
    assert (source["state"], source["posts_total"], source["polled"]) == ("ok", 1, False)


async def test_hmac_signature_with_a_freshness_window(
    client: Client, clock: FakeClock, pool: asyncpg.Pool
) -> None:
    body = json.dumps(ORDER, ensure_ascii=False).encode()
    now = int(clock.now().timestamp())
    status, reply = await post(client, body, signed(body, now - 60))
    assert status == 201
    status, reply = await post(client, body, signed(body, now - 600))
    assert (status, reply["error"]) == (401, "stale_signature")
    status, reply = await post(client, body, signed(body, now, secret="wrong"))
    assert (status, reply["error"]) == (401, "unauthenticated")
    tampered = body.replace(b"\xe7\xb4\xa7\xe6\x80\xa5", b"xx")  # 紧急 removed after signing
    status, reply = await post(client, tampered, signed(body, now))
    assert status == 401
    status, reply = await post(
        client, body, {intake.SIGNATURE_HEADER: signed(body, now)[intake.SIGNATURE_HEADER]}
    )
    assert status == 401 and reply["detail"] == {"header": intake.TIMESTAMP_HEADER}
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 1


@pytest.mark.parametrize(
    "headers", [{}, bearer("wrong-token"), {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}]
)
async def test_unauthenticated_requests_learn_nothing(
    client: Client, pool: asyncpg.Pool, headers: dict[str, str]
) -> None:
    async with client.post(intake.PATH, data=b"{not json", headers=headers) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"] == "unauthenticated"
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 0


@pytest.mark.parametrize(
    ("payload", "status", "error", "fields"),
    [
        (b"{not json", 400, "invalid_json", None),
        (b"\xff\xfe", 400, "invalid_json", None),
        ([ORDER], 422, "invalid_order", [""]),
        ("an order", 422, "invalid_order", [""]),
        ({}, 422, "invalid_order", ["order_no", "received_at", "content"]),
        (
            ORDER | {"received_at": "tomorrow-ish", "urgency": ["紧急"]},
            422,
            "invalid_order",
            ["received_at", "urgency"],
        ),
        (
            ORDER | {"order_no": {"n": 1}, "region_codes": [True]},
            422,
            "invalid_order",
            ["order_no", "region_codes"],
        ),
        ({"orders": []}, 422, "invalid_order", ["orders"]),
        ({"orders": [ORDER, {"order_no": "B"}]}, 422, "invalid_order", ["received_at", "content"]),
    ],
)
async def test_bad_payloads_get_a_clear_4xx(
    client: Client, pool: asyncpg.Pool, payload: Any, status: int, error: str, fields: list[str] | None
) -> None:
    code, reply = await post(client, payload)
    assert (code, reply["error"]) == (status, error)
    assert reply["message"]
    if fields is not None:
        assert [p["field"] for p in reply["detail"]] == fields
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 0


async def test_oversize_bodies_are_refused(client: Client) -> None:
    big = b'{"pad": "' + b"x" * (intake.MAX_BODY + 10) + b'"}'
    status, reply = await post(client, big)
    assert (status, reply["error"], reply["detail"]) == (
        413,
        "payload_too_large",
        {"max_bytes": intake.MAX_BODY},
    )

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536  # no Content-Length: the cap applies while reading

    async with client.post(intake.PATH, data=chunks(), headers=bearer()) as response:
        assert response.status == 413
    status, reply = await post(client, {"orders": [ORDER] * (intake.MAX_BATCH + 1)})
    assert (status, reply["error"]) == (413, "payload_too_large")


async def test_a_batch_reports_each_order(client: Client, pool: asyncpg.Pool) -> None:
    second = ORDER | {"order_no": "YJ20260601000778", "caller_name": None, "caller_phone": None}
    status, reply = await post(client, {"orders": [ORDER, second, ORDER]})
    assert status == 201 and (reply["created"], reply["duplicates"]) == (2, 1)
    assert [r["duplicate"] for r in reply["results"]] == [False, False, True]
    assert reply["results"][0]["id"] == reply["results"][2]["id"]
    assert await pool.fetchval("SELECT count(*) FROM posts") == 2


async def test_concurrent_repeats_store_one_order(client: Client, pool: asyncpg.Pool) -> None:
    replies = await asyncio.gather(*(post(client, ORDER) for _ in range(6)))
    assert sorted(status for status, _ in replies) == [200] * 5 + [201]
    assert len({reply["id"] for _, reply in replies}) == 1
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 1


async def test_the_openapi_alias_path_works(client: Client) -> None:
    async with client.post("/api/v1/intake/12345", json=ORDER, headers=bearer()) as response:
        assert response.status == 201


async def test_a_push_resolves_the_silence_alert(
    client: Client, pool: asyncpg.Pool, clock: FakeClock
) -> None:
    await pool.execute(
        """INSERT INTO ops_alerts (kind, subject, message, dedup_key, raised_at, last_seen_at)
           VALUES ('source_silent', 'hotline-push', 'quiet', 'source:hotline-push:silent', $1, $1)""",
        clock.now(),
    )
    await post(client, ORDER)
    assert await pool.fetchval("SELECT resolved_at FROM ops_alerts") == clock.now()


async def test_caller_data_without_a_salt_is_refused(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, tmp_path: Path
) -> None:
    env = {k: v for k, v in ENV.items() if k != "YUQING_PII_SALT"}
    async for client in make_client(pool, clock, responders, tmp_path, env):
        status, reply = await post(client, ORDER)
        assert (status, reply["error"]) == (503, "pii_salt_missing") and "YUQING_PII_SALT" in reply["detail"]
        anonymous = {k: v for k, v in ORDER.items() if not k.startswith("caller")}
        status, _ = await post(client, anonymous)
        assert status == 201


async def test_an_unconfigured_intake_refuses_everything(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, tmp_path: Path
) -> None:
    async for client in make_client(pool, clock, responders, tmp_path, {"YUQING_PII_SALT": SALT}):
        status, reply = await post(client, ORDER)
        assert (status, reply["error"]) == (503, "intake_not_configured")
        assert TOKEN not in json.dumps(reply)
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 0


async def test_a_database_outage_answers_503_with_retry_after(
    clock: FakeClock, responders: Responders, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """While PostgreSQL is away the 12345 platform is told to push again later (503 + Retry-After), and the
    log gets one line, not a traceback."""
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pool = await create_pool(f"postgresql://yuqing@127.0.0.1:{port}/yuqing")
    sources = build_sources(
        tmp_path, [{"id": "hotline-push", "kind": "hotline", "push": True, "token_env": "HOTLINE_TOKEN"}]
    )
    try:
        async with aiohttp.ClientSession() as http:
            app = web.Application(middlewares=[error_middleware])
            app[SERVICES] = Services(Settings(env=ENV), clock, pool, responders, sources, Metrics(), http)
            intake.add_routes(app)
            async with TestClient(TestServer(app)) as client:
                resp = await client.post(
                    "/api/v1/intake/12345", data=json.dumps(ORDER).encode(), headers=bearer()
                )
                assert resp.status == 503
                assert resp.headers["Retry-After"].isdigit()
                assert (await resp.json())["error"] == "unavailable"
    finally:
        await pool.close()
    outage = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage) == 1 and outage[0].exc_info is None
