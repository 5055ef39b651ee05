"""The reliability soaks' world: a corpus of real citizen messages, a feed server, 12345 pushes and workers.

The workers are `yuqing run` processes (`tests.reliability.soak_worker`) on a simulated clock that every
process reads from one file (`SimTime`). The feed server serves news RSS over that clock; the pusher
posts 12345 orders to the workers' intake API, retrying (idempotently) while a worker is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import os
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web

from monitor.app import start_http
from tests.ports import free_port
from tests.reliability.soak_worker import ROOT, FileClock

HOST = "127.0.0.1"
PUSH_TOKEN = "soak-push-token-0123456789"
PUSH_SOURCE = "soak-12345"


class SimTime:
    """The test's side of the shared simulated clock: start it, run it at a speed, freeze it."""

    def __init__(self, path: Path, start: datetime, speed: float) -> None:
        self.path = path
        FileClock.write(path, start, speed)
        self.clock = FileClock(path)

    def now(self) -> datetime:
        return self.clock.now()

    def run(self, speed: float) -> None:
        FileClock.write(self.path, self.now(), speed)

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop time (at `at`, or now) until `run`."""
        at = at or self.now()
        FileClock.write(self.path, at, 0.0)
        return at


@dataclass(frozen=True)
class FeedItem:
    feed: int
    guid: str
    title: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Order:
    order_no: str
    title: str
    content: str
    urgency: str
    at: datetime

    def body(self) -> dict[str, Any]:
        return {
            "order_no": self.order_no,
            "received_at": self.at.isoformat(),
            "channel": "电话",
            "urgency": self.urgency,
            "title": self.title,
            "content": self.content,
        }


@dataclass
class Corpus:
    """News items for `feeds` RSS feeds and 12345 orders, all real citizen messages (2020 泰迪杯 data)."""

    feeds: int
    items: list[FeedItem]
    orders: list[Order]


def _messages(path: Path) -> list[tuple[str, str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(r["留言编号"], r["留言主题"].strip(), r["留言详情"].strip()) for r in csv.DictReader(f)]
    return [r for r in rows if r[1] and r[2]]


def build_corpus(
    shared_data: Path, t0: datetime, *, feeds: int, posts: int, orders: int, urgent: int, seed: int
) -> Corpus:
    """`posts` news items (60 % already published at t0, so the first polls are a burst; the rest over 40 min)
    and `orders` 12345 orders received over 40 min, `urgent` of them 紧急 (each must open or join one)."""
    rng = random.Random(seed)
    news = _messages(shared_data / "routing" / "attachment3_messages_likes.csv")
    calls = _messages(shared_data / "routing" / "attachment2_official_test_unlabeled.csv")
    assert len(news) >= posts and len(calls) >= orders, "not enough messages in the shared data"
    spread = 40 * 60.0
    items = []
    for n, (mid, title, text) in enumerate(rng.sample(news, posts)):
        offset = -rng.uniform(0, 3600) if rng.random() < 0.6 else rng.uniform(0, spread)
        items.append(FeedItem(n % feeds, f"m{mid}", title, text[:600], t0 + timedelta(seconds=offset)))
    picked = rng.sample(calls, orders)
    urgent_ids = set(rng.sample(range(orders), urgent))
    out = [
        Order(
            f"SOAK-{mid}",
            title,
            text[:800],
            "紧急" if i in urgent_ids else "一般",
            t0 + timedelta(seconds=rng.uniform(0, spread)),
        )
        for i, (mid, title, text) in enumerate(picked)
    ]
    return Corpus(feeds, sorted(items, key=lambda it: it.at), sorted(out, key=lambda o: o.at))


def sources_yaml(feed_base: str, feeds: int) -> str:
    lines = [
        "defaults: {interval: 2m, timeout: 10s, stale_after: 12h, per_host_concurrency: 8}",
        "sources:",
    ]
    for k in range(feeds):
        lines.append(
            f'  - {{id: soak-news-{k}, kind: feed, flavor: news, url: "{feed_base}/news/{k}.xml", '
            "region: yunjiang}"
        )
    lines.append(f"  - {{id: {PUSH_SOURCE}, kind: hotline, push: true, token_env: SOAK_PUSH_TOKEN}}")
    return "\n".join(lines) + "\n"


def feed_app(corpus: Corpus, time_: SimTime) -> web.Application:
    """News RSS per feed: every item published by now, newest first, with an ETag."""
    by_feed: dict[int, list[FeedItem]] = {}
    for it in corpus.items:
        by_feed.setdefault(it.feed, []).append(it)

    async def rss(request: web.Request) -> web.Response:
        now = time_.now()
        items = [it for it in by_feed.get(int(request.match_info["k"]), []) if it.at <= now][::-1]
        etag = '"' + hashlib.blake2b("|".join(it.guid for it in items).encode()).hexdigest()[:20] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        entries = "".join(
            f"<item><title>{escape(it.title)}</title><link>http://news.soak.local/{it.guid}.html</link>"
            f"<guid>{it.guid}</guid><pubDate>{format_datetime(it.at)}</pubDate>"
            f"<description>{escape(it.text)}</description></item>"
            for it in items
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>云江市民留言</title>'
            f"<link>http://news.soak.local/</link><description>soak</description>{entries}</channel></rss>"
        )
        return web.Response(text=body, content_type="application/rss+xml", headers={"ETag": etag})

    app = web.Application()
    app.router.add_get(r"/news/{k:\d+}.xml", rss)
    return app


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> Any:
    port = free_port()
    runner = await start_http(app, HOST, port)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        await runner.cleanup()


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "YUQING_NOTIFY": "capture",
            "SOAK_PUSH_TOKEN": PUSH_TOKEN,
            "YUQING_PII_SALT": "soak-salt-0123456789abcdef",
            "YUQING_LINK_SECRET": "soak-link-secret-0123456789abcdef",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class Worker:
    """One `yuqing run` subprocess; restartable; its output goes to a log file."""

    name: str
    dsn: str
    sources: Path
    time_file: Path
    workdir: Path
    role: str = "all"
    port: int = field(default_factory=free_port)
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    _log: IO[bytes] | None = None
    _serving: bool = False  # answered /readyz since it was last started

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def worker_id(self) -> str:
        """The id the running process leases under: a restarted worker is a new process with a new id, as
        `yuqing run`'s default (host:pid) is, so what the killed one leased is told apart from its own."""
        return self.name if self.starts <= 1 else f"{self.name}~{self.starts}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    async def start(self) -> None:
        self.starts += 1
        self._serving = False
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("ab")
        args = ["--dsn", self.dsn, "--sources", str(self.sources), "--listen", f"{HOST}:{self.port}"]
        args += ["--role", self.role, "--worker-id", self.worker_id, "--time-file", str(self.time_file)]
        args += ["--data-dir", str(self.workdir / self.name)]
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.reliability.soak_worker", *args,
            cwd=ROOT, env=worker_env(), stdin=asyncio.subprocess.DEVNULL, stdout=self._log, stderr=self._log,
        )  # fmt: skip

    async def ready(self, limit: float = 60.0) -> None:
        """Wait (bounded) for /readyz; fail at once if the process died."""
        deadline = time.monotonic() + limit
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.proc is not None and self.proc.returncode is None, self.tail()
                if await self._probe(http, timeout=2.0):
                    return
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} not ready in {limit:.0f}s\n{self.tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def serving(self, http: aiohttp.ClientSession) -> bool:
        """Up and serving: alive, and answered /readyz since it was last started (asked until it does)."""
        if not self.alive():
            return False
        return self._serving or await self._probe(http, timeout=0.2)

    async def _probe(self, http: aiohttp.ClientSession, timeout: float) -> bool:
        """Ask /readyz now; an answer of 200 marks the process serving."""
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            wait = aiohttp.ClientTimeout(total=timeout)
            async with http.get(f"{self.base}/readyz", timeout=wait) as resp:
                self._serving = self._serving or resp.status == 200
                return resp.status == 200
        return False

    async def kill(self) -> None:
        if self.alive():
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGKILL)
            await asyncio.wait_for(self.proc.wait(), 10)

    async def stop(self) -> int | None:
        """SIGTERM (a clean stop), SIGKILL after 15 s; the exit code."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                await self.kill()
        return self.proc.returncode

    def close(self) -> None:
        """For `finally`: never leave a process behind."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def push_orders(
    orders: Sequence[Order], time_: SimTime, workers: Sequence[Worker], stop: asyncio.Event, batch: int = 25
) -> int:
    """A 12345 platform: pushes each order once its time comes, retrying (same order numbers) until a
    worker's intake accepts it. Returns the number of retried requests."""
    pending = list(orders)
    retries, turn = 0, 0
    headers = {"Authorization": f"Bearer {PUSH_TOKEN}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while pending and not stop.is_set():
            now = time_.now()
            due = [o for o in pending[:batch] if o.at <= now]
            if not due:
                await asyncio.sleep(0.05)
                continue
            target = workers[turn % len(workers)]
            turn += 1
            try:
                url = f"{target.base}/api/v1/intake/hotline?source={PUSH_SOURCE}"
                async with http.post(url, json={"orders": [o.body() for o in due]}, headers=headers) as resp:
                    if resp.status >= 500:  # the database is away: the platform pushes again later
                        raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status)
                    assert resp.status in (200, 201), (resp.status, await resp.text())
                del pending[: len(due)]
            except (aiohttp.ClientError, TimeoutError):
                retries += 1
                await asyncio.sleep(0.1)
    return retries


async def wait_for(
    what: str, check: Callable[[], Awaitable[bool]], limit: float, workers: Sequence[Worker] = ()
) -> float:
    """Poll `check` until true (bounded); returns the seconds it took."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > limit:
            tails = "\n".join(f"--- {w.name}\n{w.tail()}" for w in workers)
            raise AssertionError(f"{what}: not within {limit:.0f}s\n{tails}")
        await asyncio.sleep(0.2)
    return time.monotonic() - started
