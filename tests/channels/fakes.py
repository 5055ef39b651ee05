"""Vendor look-alikes on 127.0.0.1: their success and error bodies, rate limits and signature checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from monitor.channels.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from monitor.clock import Clock


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run `app` on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@dataclass
class Vendor:
    """Shared state: what arrived, a per-minute limit on the fake clock, and an outage switch."""

    clock: Clock
    limit: int = 20
    down_until: datetime | None = None
    down_status: int = 502
    received: list[dict[str, Any]] = field(default_factory=list)
    received_at: list[datetime] = field(default_factory=list)
    requests: int = 0

    def down(self) -> bool:
        return self.down_until is not None and self.clock.now() < self.down_until

    def over_limit(self) -> bool:
        now = self.clock.now()
        recent = [t for t in self.received_at if (now - t).total_seconds() < 60]
        return len(recent) >= self.limit

    def accept(self, body: dict[str, Any]) -> None:
        self.received.append(body)
        self.received_at.append(self.clock.now())


@dataclass
class FakeDingTalk(Vendor):
    """`POST /robot/send?access_token=…&timestamp=…&sign=…`, checked the way DingTalk documents."""

    token: str = "dt-token"
    secret: str | None = "SECdingtalk-secret"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/robot/send", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.down():
            return web.Response(status=self.down_status, text="bad gateway")
        if request.query.get("access_token") != self.token:
            return web.json_response({"errcode": 300005, "errmsg": "token is not exist"})
        if self.secret:
            ts, sign = request.query.get("timestamp", ""), request.query.get("sign", "")
            now_ms = int(self.clock.now().timestamp() * 1000)
            if not ts.isdigit() or abs(now_ms - int(ts)) > 3600 * 1000:
                return web.json_response({"errcode": 310000, "errmsg": "invalid timestamp"})
            digest = hmac.new(self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
                return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        raw = await request.read()
        if len(raw) > 20000:
            return web.json_response({"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"})
        if self.over_limit():
            return web.json_response(
                {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
            )
        body = json.loads(raw)
        kind = body.get("msgtype")
        if kind not in ("markdown", "actionCard", "text") or kind not in body:
            return web.json_response({"errcode": 40035, "errmsg": "缺少参数 json"})
        self.accept(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@dataclass
class FakeWeCom(Vendor):
    """`POST /cgi-bin/webhook/send?key=…`: markdown content at most 4096 bytes."""

    key: str = "wc-key"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.down():
            return web.Response(status=self.down_status)
        if request.query.get("key") != self.key:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.json()
        content = body.get("markdown", {}).get("content", "")
        if body.get("msgtype") != "markdown" or not content:
            return web.json_response({"errcode": 44004, "errmsg": "empty content"})
        if len(content.encode()) > 4096:
            return web.json_response({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"})
        if self.over_limit():
            return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})
        self.accept(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@dataclass
class FakeFeishu(Vendor):
    """`POST /open-apis/bot/v2/hook/<token>`: timestamp and sign in the body, 30 KB limit."""

    token: str = "fs-token"
    secret: str | None = "fs-secret"
    limit: int = 100

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/open-apis/bot/v2/hook/{token}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.down():
            return web.Response(status=self.down_status)
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
            )
        raw = await request.read()
        if len(raw) > 30 * 1024:
            return web.json_response({"code": 19036, "msg": "The message exceeds the size limit of 30KB"})
        body = json.loads(raw)
        if self.secret:
            ts = str(body.get("timestamp", ""))
            key = f"{ts}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            fresh = ts.isdigit() and abs(self.clock.now().timestamp() - int(ts)) <= 3600
            if not fresh or not hmac.compare_digest(expected, str(body.get("sign", ""))):
                return web.json_response(
                    {
                        "code": 19021,
                        "msg": "sign match fail or timestamp is not within one hour from current time",
                    }
                )
        if self.over_limit():
            return web.json_response({"code": 11232, "msg": "frequency limited"})
        if body.get("msg_type") != "interactive" or "card" not in body:
            return web.json_response({"code": 9499, "msg": "Bad Request"})
        self.accept(body)
        return web.json_response({"code": 0, "msg": "success", "data": {}})


@dataclass
class FakeGateway(Vendor):
    """A signed-JSON receiver (SMS/voice gateway or generic webhook) that checks our HMAC header."""

    secret: str | None = "gw-secret"
    limit: int = 1000
    reply: dict[str, Any] = field(default_factory=lambda: {"code": "OK"})
    keys: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.down():
            return web.Response(status=self.down_status)
        raw = await request.read()
        if self.secret:
            ts = request.headers.get(TIMESTAMP_HEADER, "")
            if not verify(self.secret, ts, raw, request.headers.get(SIGNATURE_HEADER, "")):
                return web.json_response(
                    {"code": "BAD_SIGNATURE", "message": "signature mismatch"}, status=401
                )
        if self.over_limit():
            return web.json_response({"code": "RATE_LIMITED", "message": "slow down"}, status=429)
        self.keys.append(request.headers.get(IDEMPOTENCY_HEADER, ""))
        self.accept(json.loads(raw))
        return web.json_response(self.reply)
