"""HTTP for polling: conditional GET, timeouts, a streaming body cap, per-host limits, typed outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlsplit

import aiohttp

from monitor.clock import Clock
from monitor.config.sources import Source
from monitor.sources.kinds import Request

FetchKind = Literal["ok", "not_modified", "http_error", "timeout", "too_large", "blocked", "network"]
# 418 and 432 are what Weibo answers a client it has flagged; 432 is its own invention.
BLOCKED_STATUSES = frozenset({418, 432})
_CHUNK = 64 * 1024
_ERROR_BODY = 4096  # enough of an error page to explain it, never the whole thing


@dataclass(frozen=True)
class Validators:
    """Cache validators stored per source and sent back as If-None-Match / If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchLimits:
    """The per-source limits a fetch runs under, in seconds and bytes."""

    timeout: float
    connect_timeout: float
    max_body: int
    per_host_concurrency: int = 2
    per_host_min_gap: float = 0.0

    @classmethod
    def of(cls, source: Source) -> FetchLimits:
        return cls(
            timeout=source.timeout.total_seconds(),
            connect_timeout=min(source.connect_timeout, source.timeout).total_seconds(),
            max_body=source.max_body,
            per_host_concurrency=source.per_host_concurrency,
            per_host_min_gap=source.per_host_min_gap.total_seconds(),
        )


@dataclass(frozen=True)
class FetchResult:
    """What one GET came to; `headers` keys are lower-case."""

    kind: FetchKind
    url: str
    status: int | None = None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    detail: str = ""
    elapsed: float = 0.0

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def retry_after(self) -> str | None:
        return self.headers.get("retry-after")


def classify_status(status: int) -> FetchKind:
    """HTTP status → outcome kind (pure)."""
    if status == 304:
        return "not_modified"
    if 200 <= status < 300:
        return "ok"
    if status in BLOCKED_STATUSES:
        return "blocked"
    return "http_error"


def conditional_headers(validators: Validators | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for the stored validators (pure)."""
    headers: dict[str, str] = {}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    return headers


def next_validators(old: Validators, result: FetchResult) -> Validators:
    """Validators to keep after a fetch (pure): a 200 replaces them, errors keep the old ones.

    A 304 may carry updated validators; per RFC 9111 §4.3.4 the stored ones are updated then.
    """
    if result.kind == "ok":
        return Validators(result.etag, result.last_modified)
    if result.kind == "not_modified":
        return Validators(result.etag or old.etag, result.last_modified or old.last_modified)
    return old


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    gap_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


class HostGate:
    """Caps concurrent requests per host and spaces their starts by a minimum gap (Weibo: seconds)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._hosts: dict[str, _Host] = {}

    @asynccontextmanager
    async def slot(self, host: str, concurrency: int, min_gap: float) -> AsyncIterator[None]:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(asyncio.Semaphore(max(concurrency, 1)))
        async with state.semaphore:
            if min_gap > 0:
                async with state.gap_lock:
                    wait = state.next_start - self._clock.monotonic()
                    if wait > 0:
                        await self._clock.sleep(wait)
                    state.next_start = self._clock.monotonic() + min_gap
            yield


class Fetcher:
    """Does every GET the poller needs, never raising: each failure is a typed FetchResult."""

    def __init__(self, session: aiohttp.ClientSession, clock: Clock, gate: HostGate | None = None) -> None:
        self._session = session
        self._clock = clock
        self._gate = gate or HostGate(clock)

    async def fetch(
        self, request: Request, limits: FetchLimits, validators: Validators | None = None
    ) -> FetchResult:
        headers = dict(request.headers)
        if request.conditional:
            headers |= conditional_headers(validators)
        host = (urlsplit(request.url).hostname or "").lower()
        async with self._gate.slot(host, limits.per_host_concurrency, limits.per_host_min_gap):
            started = self._clock.monotonic()
            result = await self._get(request.url, headers, limits)
        return replace(result, elapsed=self._clock.monotonic() - started)

    async def _get(self, url: str, headers: dict[str, str], limits: FetchLimits) -> FetchResult:
        timeout = aiohttp.ClientTimeout(
            total=limits.timeout, sock_connect=limits.connect_timeout, sock_read=limits.timeout
        )
        try:
            async with self._session.get(
                url, headers=headers, timeout=timeout, allow_redirects=True, max_redirects=5
            ) as resp:
                return await _read(resp, url, limits.max_body)
        except TimeoutError:
            return FetchResult("timeout", url, detail=f"no complete answer within {limits.timeout:g}s")
        except aiohttp.TooManyRedirects:
            return FetchResult("http_error", url, detail="too many redirects")
        except aiohttp.ClientConnectorError as exc:
            return FetchResult(
                "network", url, detail=f"cannot connect to {exc.host}:{exc.port}: {exc.os_error}"
            )
        except aiohttp.InvalidURL as exc:
            return FetchResult("network", url, detail=f"invalid URL: {exc}")
        except aiohttp.ClientPayloadError as exc:
            return FetchResult("network", url, detail=f"body cut off or corrupt: {exc}"[:300])
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return FetchResult("network", url, detail=f"{type(exc).__name__}: {exc}"[:300])


async def _read(resp: aiohttp.ClientResponse, url: str, max_body: int) -> FetchResult:
    headers = {k.lower(): v for k, v in reversed(list(resp.headers.items()))}  # the first value wins
    kind = classify_status(resp.status)
    final_url = str(resp.url)
    if kind != "ok":
        body = await resp.content.read(_ERROR_BODY) if kind != "not_modified" else b""
        detail = "" if kind == "not_modified" else f"HTTP {resp.status} {resp.reason or ''}".strip()
        if resp.status == 429 or (kind == "blocked" and "retry-after" in headers):
            detail += f" (Retry-After: {headers.get('retry-after', 'not given')})"
        return FetchResult(kind, final_url, resp.status, body, headers, detail)
    declared = resp.content_length
    if declared is not None and declared > max_body:
        return FetchResult(
            "too_large", final_url, resp.status, b"", headers, f"Content-Length {declared} exceeds {max_body}"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > max_body:
            resp.close()  # stop downloading now; the connection is not reused
            return FetchResult(
                "too_large", final_url, resp.status, b"", headers, f"body exceeds {max_body} bytes; cut off"
            )
        chunks.append(chunk)
    return FetchResult("ok", final_url, resp.status, b"".join(chunks), headers)
