"""What the benchmarks share: a throwaway database, loopback servers in own processes, RSS, percentiles."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from monitor.db.embedded import start_embedded
from monitor.db.migrate import migrate
from monitor.db.pool import connect

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def rss_mb(pid: int | None = None) -> dict[str, float]:
    """Resident memory of a process (default: this one) now and at its peak, in MB."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    with open(f"/proc/{pid or 'self'}/status", encoding="ascii") as status:
        for line in status:
            key = line.split(":", 1)[0]
            if key in values:
                values[key] = int(line.split()[1]) / 1024
    return {"current": round(values["VmRSS"], 1), "peak": round(values["VmHWM"], 1)}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(pct(values, 0.50), 4),
        "p95": round(pct(values, 0.95), 4),
        "p99": round(pct(values, 0.99), 4),
        "max": round(max(values), 4) if values else float("nan"),
    }


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {"cpus": os.cpu_count(), "load_avg_1m_at_end": round(load[0], 2)}


@asynccontextmanager
async def fresh_database(prefix: str = "yuqing-bench-") -> AsyncIterator[str]:
    """An embedded PostgreSQL with the schema and durable commits (as `yuqing run`); removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    server = start_embedded(workdir / "pgdata")
    try:
        conn = await connect(server.uri)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield server.uri
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


BodyFor = Callable[[int, Any], bytes]


def serve_feeds(port: int, body_for: BodyFor, arg: Any) -> None:
    """A feed server process: /f/{n} is `body_for(n, arg)` with an ETag; a matching If-None-Match gets 304."""
    cache: dict[int, bytes] = {}

    async def handle(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        etag = f'"feed-{n}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = cache.get(n) or cache.setdefault(n, body_for(n, arg))
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    app = web.Application()
    app.router.add_get("/f/{n}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handle_signals=True)


async def warm_feeds(base: str, count: int) -> None:
    """GET /f/0 … /f/{count - 1} of a `serve_feeds` server once, before a measurement: the server renders
    each feed on its first request and caches it, and that rendering is the test server's work, not the
    product's (a real feed is ready when it is polled)."""
    gate = asyncio.Semaphore(16)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def get(n: int) -> None:
            async with gate, http.get(f"{base}/f/{n}") as response:
                response.raise_for_status()
                await response.read()

        await asyncio.gather(*(get(n) for n in range(count)))


@contextmanager
def server_process(target: Callable[..., None], *args: Any) -> Any:
    """Run `target(port, *args)` in a spawned process (its own event loop and core); yields the port."""
    port = free_port()
    proc: BaseProcess = multiprocessing.get_context("spawn").Process(
        target=target, args=(port, *args), daemon=True
    )
    proc.start()
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.join(5)
        if proc.is_alive():
            proc.kill()


def run_in_child(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a fresh spawned process, so its memory figures are its own; returns its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as executor:
        return executor.submit(fn, *args).result()
