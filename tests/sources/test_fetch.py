"""The fetcher against real loopback servers: conditional GET, caps, timeouts, bans, per-host limits."""

from __future__ import annotations

import asyncio
import gzip
import time

import aiohttp
from aiohttp import web

from monitor.clock import FakeClock
from monitor.sources.fetch import Fetcher, FetchLimits, HostGate, Validators
from monitor.sources.kinds import Request
from tests.sources.conftest import Serve, rss

LIMITS = FetchLimits(timeout=2.0, connect_timeout=1.0, max_body=64 * 1024)
FEED = rss([("1", "标题", "正文")])


def feed_app() -> web.Application:
    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(body=FEED, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/xml"})
        await response.prepare(request)
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(50):  # 50 MB
                await response.write(chunk)
        except (ConnectionResetError, ConnectionError):
            pass
        return response

    async def declared_huge(request: web.Request) -> web.Response:
        return web.Response(body=b"y" * (200 * 1024))

    async def bomb(request: web.Request) -> web.Response:
        body = gzip.compress(b"\0" * (50 << 20), compresslevel=9)  # ~50 KB on the wire, 50 MB inflated
        return web.Response(
            body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"}
        )

    async def hang(request: web.Request) -> web.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def banned(request: web.Request) -> web.Response:
        return web.Response(status=432, text="blocked")

    async def limited(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "120"}, text="slow down")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/feed")

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    app = web.Application()
    routes = {"/feed": feed, "/huge": huge, "/declared": declared_huge, "/hang": hang, "/bomb": bomb}
    routes |= {"/banned": banned, "/limited": limited, "/redirect": redirect, "/loop": loop}
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    return app


async def test_conditional_get_and_304(serve: Serve, http: aiohttp.ClientSession, clock: FakeClock) -> None:
    base = await serve(feed_app())
    fetcher = Fetcher(http, clock)
    first = await fetcher.fetch(Request(f"{base}/feed", {}, conditional=True), LIMITS)
    assert (first.kind, first.status, first.body, first.etag) == ("ok", 200, FEED, '"v1"')
    again = await fetcher.fetch(Request(f"{base}/feed", {}, conditional=True), LIMITS, Validators('"v1"'))
    assert (again.kind, again.status, again.body) == ("not_modified", 304, b"")
    unconditional = await fetcher.fetch(Request(f"{base}/feed", {}), LIMITS, Validators('"v1"'))
    assert unconditional.kind == "ok"  # validators are only sent on conditional requests


async def test_fifty_megabytes_are_cut_at_the_cap(
    serve: Serve, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    base = await serve(feed_app())
    started = time.monotonic()
    result = await Fetcher(http, clock).fetch(Request(f"{base}/huge", {}), LIMITS)
    assert result.kind == "too_large" and "65536" in result.detail and result.body == b""
    assert time.monotonic() - started < 5
    declared = await Fetcher(http, clock).fetch(Request(f"{base}/declared", {}), LIMITS)
    assert declared.kind == "too_large" and "Content-Length" in declared.detail
    inflated = await Fetcher(http, clock).fetch(Request(f"{base}/bomb", {}), LIMITS)
    assert inflated.kind == "too_large"  # the cap counts decompressed bytes


async def test_a_hanging_server_is_bounded_by_the_timeout(
    serve: Serve, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    base = await serve(feed_app())
    started = time.monotonic()
    limits = FetchLimits(timeout=0.3, connect_timeout=0.3, max_body=1024)
    result = await Fetcher(http, clock).fetch(Request(f"{base}/hang", {}), limits)
    assert result.kind == "timeout" and "0.3s" in result.detail
    assert time.monotonic() - started < 3


async def test_bans_rate_limits_redirects_and_refusals(
    serve: Serve, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    base = await serve(feed_app())
    fetcher = Fetcher(http, clock)
    banned = await fetcher.fetch(Request(f"{base}/banned", {}), LIMITS)
    assert (banned.kind, banned.status) == ("blocked", 432)
    limited = await fetcher.fetch(Request(f"{base}/limited", {}), LIMITS)
    assert (limited.kind, limited.retry_after) == (
        "http_error",
        "120",
    ) and "Retry-After: 120" in limited.detail
    moved = await fetcher.fetch(Request(f"{base}/redirect", {}), LIMITS)
    assert moved.kind == "ok" and moved.url.endswith("/feed")
    looping = await fetcher.fetch(Request(f"{base}/loop", {}), LIMITS)
    assert looping.kind == "http_error" and "redirects" in looping.detail
    missing = await fetcher.fetch(Request(f"{base}/nope", {}), LIMITS)
    assert (missing.kind, missing.status) == ("http_error", 404)
    refused = await fetcher.fetch(Request("http://127.0.0.1:1/feed", {}), LIMITS)
    assert refused.kind == "network" and "cannot connect" in refused.detail


async def test_per_host_gap_spaces_requests_on_the_injected_clock(
    serve: Serve, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    base = await serve(feed_app())
    fetcher = Fetcher(http, clock)
    limits = FetchLimits(timeout=2, connect_timeout=1, max_body=1 << 20, per_host_min_gap=3.0)
    start = clock.now()
    for _ in range(3):
        assert (await fetcher.fetch(Request(f"{base}/feed", {}), limits)).kind == "ok"
    assert (clock.now() - start).total_seconds() == 6.0  # two waits of 3 s between three calls


async def test_per_host_concurrency_cap(clock: FakeClock) -> None:
    gate = HostGate(clock)
    inside = 0
    peak = 0
    release = asyncio.Event()

    async def worker() -> None:
        nonlocal inside, peak
        async with gate.slot("weibo.example", 2, 0.0):
            inside += 1
            peak = max(peak, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(worker()) for _ in range(5)]
    for _ in range(10):
        await asyncio.sleep(0)
    assert inside == 2
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 2
