"""Abuse of the real HTTP server on 127.0.0.1: oversized bodies, slow-loris clients, bursts of 12345 pushes.

The application is `build_web` over real services on an embedded-PostgreSQL database, served by
`start_http`: the hardened settings `yuqing run` uses, not a test double. Every loop is bounded in count
and in time, and every server and socket is opened and closed by the test itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from monitor.app import HTTP_IDLE_TIMEOUT_S, Services, build_web, start_http
from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.config.sources import load_sources
from monitor.links import LinkSigner
from monitor.metrics import Metrics
from monitor.settings import Settings
from monitor.web import intake
from monitor.web.keys import LINKS

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "abuse-test-push-token"
SALT = "abuse-test-salt-0123456789abcdef"
HOST = "127.0.0.1"
MiB = 1024 * 1024
# How much later than the idle timeout a slow client may still be connected (scheduling slack on CI).
DROP_SLACK_S = 3.0


@dataclass
class Server:
    port: int
    base: str
    runner: web.AppRunner

    @property
    def open_connections(self) -> int:
        assert self.runner.server is not None
        return len(self.runner.server.connections)


@pytest.fixture
async def server(pool: asyncpg.Pool, clock: FakeClock, responders: Responders) -> AsyncIterator[Server]:
    """The whole web application with the example city's sources, served exactly as `yuqing run` does."""
    sources = load_sources(ROOT / "sources.yaml", known_regions=responders.regions)
    settings = Settings(
        public_url="http://127.0.0.1", env={"HOTLINE_PUSH_TOKEN": TOKEN, "YUQING_PII_SALT": SALT}
    )
    async with aiohttp.ClientSession() as http:
        app = build_web(Services(settings, clock, pool, responders, sources, Metrics(), http))
        app[LINKS] = LinkSigner(b"abuse-test-link-secret", "http://127.0.0.1")
        runner = await start_http(app, HOST, 0)
        try:
            port = runner.addresses[0][1]
            yield Server(port, f"http://{HOST}:{port}", runner)
        finally:
            await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=200)) as session:
        yield session


def order(n: int) -> dict[str, Any]:
    return {
        "order_no": f"YJ-BURST-{n:05d}",
        "received_at": "2026-05-31T20:00:00+08:00",
        "urgency": "一般",
        "title": f"第{n}件诉求",
        "content": f"小区停水第{n}天，来电人回电13812345678",
        "region_codes": "339922101",
        "caller_phone": "13812345678",
    }


def push_headers(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


async def assert_serving(client: aiohttp.ClientSession, server: Server, within_s: float = 2.0) -> None:
    """A normal request still gets its answer promptly."""
    started = time.monotonic()
    async with asyncio.timeout(within_s), client.get(f"{server.base}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ok"
    assert time.monotonic() - started < within_s


async def read_status(reader: asyncio.StreamReader, timeout: float) -> tuple[int, bytes]:
    """The status code and body of one response read from a raw connection."""
    async with asyncio.timeout(timeout):
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1."), head
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        body = await reader.readexactly(int(fields.get("content-length", "0")))
    return int(lines[0].split()[1]), body


# ---- oversized requests ----------------------------------------------------------------------------


async def test_an_announced_huge_intake_body_is_refused_at_once(
    server: Server, client: aiohttp.ClientSession, pool: asyncpg.Pool
) -> None:
    reader, writer = await asyncio.open_connection(HOST, server.port)
    try:
        head = (
            f"POST {intake.PATH} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {100 * MiB}\r\n\r\n"
        )
        writer.write(head.encode() + b'{"orders": [' + b" " * (64 * 1024))
        await writer.drain()
        status, rest = await read_status(reader, timeout=5)
    finally:
        writer.close()
    assert status == 413 and b"payload_too_large" in rest
    await assert_serving(client, server)
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 0


async def test_a_streamed_intake_body_is_refused_past_the_limit(
    server: Server, client: aiohttp.ClientSession
) -> None:
    """Chunked, no length announced: 413 as soon as the limit is crossed, not at the end of the upload."""
    reader, writer = await asyncio.open_connection(HOST, server.port)
    try:
        head = (
            f"POST {intake.PATH} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * (64 * 1024)
        writer.write(head.encode())
        for _ in range(intake.MAX_BODY // len(chunk) + 2):  # just past the limit; the body never ends
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await writer.drain()
        status, rest = await read_status(reader, timeout=5)
    finally:
        writer.close()
    assert status == 413 and b"payload_too_large" in rest
    await assert_serving(client, server)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/login", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("/api/v1/incidents/1/note", {"Content-Type": "application/json"}),
        (intake.PATH_ALIAS, push_headers()),
        (intake.PATH, push_headers("wrong-token")),
    ],
)
async def test_oversized_bodies_get_a_4xx_quickly(
    server: Server, client: aiohttp.ClientSession, path: str, headers: dict[str, str]
) -> None:
    body = b"x=" + b"a" * (3 * MiB)
    started = time.monotonic()
    async with client.post(server.base + path, data=body, headers=headers) as response:
        assert 400 <= response.status < 500, (path, response.status)
        await response.read()
    assert time.monotonic() - started < 5
    await assert_serving(client, server)


async def test_a_deeply_nested_push_is_a_400(server: Server, client: aiohttp.ClientSession) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    async with client.post(f"{server.base}{intake.PATH}", data=body, headers=push_headers()) as response:
        assert response.status == 400
    await assert_serving(client, server)


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64) + b"\r\n\r\n",  # a TLS hello
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ],
    ids=["long-request-line", "long-header", "too-many-headers", "tls-hello", "negative-length"],
)
async def test_malformed_request_heads_get_400_and_are_closed(
    server: Server, client: aiohttp.ClientSession, request_head: bytes
) -> None:
    reader, writer = await asyncio.open_connection(HOST, server.port)
    try:
        writer.write(request_head)
        await writer.drain()
        status, _ = await read_status(reader, timeout=5)
        async with asyncio.timeout(5):
            while await reader.read(64 * 1024):  # the server closes the connection after the error
                pass
    finally:
        writer.close()
    assert 400 <= status < 500
    await assert_serving(client, server)


# ---- slow-loris ------------------------------------------------------------------------------------

SLOW_CLIENTS = 120
TRICKLE_S = 0.25


async def slow_client(port: int, style: int) -> float | None:
    """Hold a connection the slow-loris way; seconds until the server dropped it, None if it never did."""
    started = time.monotonic()
    give_up = started + HTTP_IDLE_TIMEOUT_S + DROP_SLACK_S + 2
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        if style == 1:  # one honest request first, then the next one trickles on the kept-alive connection
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _ = await read_status(reader, timeout=5)
            assert status == 200
            started = time.monotonic()
            give_up = started + HTTP_IDLE_TIMEOUT_S + DROP_SLACK_S + 2
        if style in (0, 1):
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        elif style == 2:
            writer.write(f"POST {intake.PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n".encode())
        # style 3 connects and says nothing at all
        while time.monotonic() < give_up:
            try:
                data = await asyncio.wait_for(reader.read(1024), TRICKLE_S)
            except TimeoutError:
                if style != 3:
                    writer.write(b"a")  # one more byte of a header that never ends
                    await writer.drain()
                continue
            if not data:
                return time.monotonic() - started
    except (ConnectionResetError, BrokenPipeError):
        return time.monotonic() - started
    finally:
        writer.close()
    return None


async def test_slow_loris_clients_are_dropped_while_others_are_served(
    server: Server, client: aiohttp.ClientSession, pool: asyncpg.Pool
) -> None:
    slow = [asyncio.ensure_future(slow_client(server.port, i % 4)) for i in range(SLOW_CLIENTS)]
    served: list[float] = []
    n = 0
    while not all(task.done() for task in slow):
        assert n < 200, "slow clients outlived their bound"
        started = time.monotonic()
        await assert_serving(client, server)
        async with client.post(
            f"{server.base}{intake.PATH}", json=order(n), headers=push_headers()
        ) as response:
            assert response.status == 201, await response.text()
        served.append(time.monotonic() - started)
        n += 1
        await asyncio.sleep(0.2)
    dropped = [task.result() for task in slow]
    assert None not in dropped, f"{dropped.count(None)} slow clients were never dropped"
    assert max(d for d in dropped if d is not None) <= HTTP_IDLE_TIMEOUT_S + DROP_SLACK_S
    assert len(served) >= 10 and max(served) < 2.0, served
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == n
    assert server.open_connections <= 5  # only the normal client's kept-alive connections remain


# ---- bursts of 12345 pushes ------------------------------------------------------------------------

UNIQUE_ORDERS = 250
BURST = 1000


def burst_requests(rng: random.Random) -> list[tuple[str, bytes, dict[str, str]]]:
    """1,000 requests: every order pushed at least twice, overlapping batches in random order, some junk."""
    requests: list[tuple[str, bytes, dict[str, str]]] = []

    def push(document: Any, kind: str, headers: dict[str, str] | None = None) -> None:
        requests.append((kind, json.dumps(document, ensure_ascii=False).encode(), headers or push_headers()))

    for n in range(UNIQUE_ORDERS):
        push(order(n), "single")
        push(order(n) | {"content": "平台重推，内容不同也只算一次"}, "single")
    while len(requests) < BURST - 150:
        push({"orders": [order(n) for n in rng.sample(range(UNIQUE_ORDERS), 3)]}, "batch")
    while len(requests) < BURST - 100:
        push(order(rng.randrange(UNIQUE_ORDERS)), "single")
    for i in range(50):
        requests.append(("bad_json", b'{"order_no": "YJ-' + str(i).encode(), push_headers()))
        push(order(i), "unauthenticated", push_headers("not-the-token"))
    rng.shuffle(requests)
    return requests


async def test_a_burst_of_concurrent_pushes_with_duplicates(
    server: Server, client: aiohttp.ClientSession, pool: asyncpg.Pool
) -> None:
    requests = burst_requests(random.Random(8))
    assert len(requests) == BURST

    async def send(
        session: aiohttp.ClientSession, kind: str, body: bytes, headers: dict[str, str]
    ) -> tuple[str, int, Any]:
        async with session.post(f"{server.base}{intake.PATH}", data=body, headers=headers) as response:
            return kind, response.status, await response.json()

    started = time.monotonic()
    # One connection per request: all 1,000 are in flight at once, queueing only on the database pool.
    connector = aiohttp.TCPConnector(limit=BURST, force_close=True)
    async with asyncio.timeout(90), aiohttp.ClientSession(connector=connector) as burst:
        replies = await asyncio.gather(*(send(burst, *r) for r in requests))
    elapsed = time.monotonic() - started

    statuses = Counter((kind, status) for kind, status, _ in replies)
    assert not [s for s in statuses if s[1] >= 500], statuses
    assert statuses[("bad_json", 400)] == 50 and statuses[("unauthenticated", 401)] == 50, statuses
    results: list[dict[str, Any]] = []
    for kind, status, reply in replies:
        if kind == "single":
            assert status in (200, 201) and (status == 201) == (not reply["duplicate"]), (status, reply)
            results.append(reply)
        elif kind == "batch":
            assert status in (200, 201) and (status == 201) == (reply["created"] > 0), (status, reply)
            results.extend(reply["results"])
    created = [r["order_no"] for r in results if not r["duplicate"]]
    assert sorted(created) == sorted(order(n)["order_no"] for n in range(UNIQUE_ORDERS))  # each exactly once
    ids: dict[str, set[tuple[int, int]]] = {}
    for r in results:
        ids.setdefault(r["order_no"], set()).add((r["id"], r["post_id"]))
    assert all(len(v) == 1 for v in ids.values()), "a repeat push must answer with the stored ids"

    counts = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM hotline_orders) AS orders,
                  (SELECT count(DISTINCT post_id) FROM hotline_orders) AS linked,
                  (SELECT count(*) FROM posts WHERE source_kind = 'hotline') AS posts,
                  (SELECT posts_total FROM sources WHERE id = 'hotline-push') AS total"""
    )
    assert dict(counts) == {"orders": UNIQUE_ORDERS, "linked": UNIQUE_ORDERS, "posts": UNIQUE_ORDERS,
                            "total": UNIQUE_ORDERS}  # fmt: skip
    stored = json.dumps([dict(r) for r in await pool.fetch("SELECT * FROM hotline_orders")], default=str)
    assert "13812345678" not in stored
    await assert_serving(client, server)
    print(f"burst: {BURST} pushes in {elapsed:.1f}s")


async def test_batches_of_the_same_new_orders_in_every_order_do_not_deadlock(
    server: Server, pool: asyncpg.Pool
) -> None:
    """Two platforms' batches holding the same new orders in opposite orders once deadlocked (a 500)."""
    bodies = [
        json.dumps({"orders": [order(100 * group + n) for n in permutation]}).encode()
        for group in range(30)
        for permutation in itertools.permutations(range(3))
    ]
    random.Random(1).shuffle(bodies)

    async def send(session: aiohttp.ClientSession, body: bytes) -> int:
        async with session.post(f"{server.base}{intake.PATH}", data=body, headers=push_headers()) as response:
            await response.read()
            return response.status

    connector = aiohttp.TCPConnector(limit=len(bodies), force_close=True)
    async with asyncio.timeout(60), aiohttp.ClientSession(connector=connector) as session:
        statuses = Counter(await asyncio.gather(*(send(session, body) for body in bodies)))
    assert statuses == {201: 30, 200: len(bodies) - 30}, statuses
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 90


async def test_a_trickled_body_is_cut_off(
    server: Server, client: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headers complete, then the body one byte a second: the intake gives up after its body deadline."""
    monkeypatch.setattr(intake, "BODY_READ_TIMEOUT_S", 1.0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        head = (
            f"POST {intake.PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: {push_headers()['Authorization']}\r\nContent-Length: 1000\r\n\r\n"
        )
        writer.write(head.encode())
        started = time.monotonic()

        async def trickle() -> None:
            for _ in range(30):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.5)

        feeder = asyncio.ensure_future(trickle())
        try:
            status, _ = await read_status(reader, timeout=10)
        finally:
            feeder.cancel()
        assert status == 408
        assert time.monotonic() - started < 5
    finally:
        writer.close()
    await assert_serving(client, server)
