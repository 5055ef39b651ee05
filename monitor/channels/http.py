"""One POST with a deadline, classified by the retry table: transport errors, 429, 5xx retry; 4xx don't."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from monitor.channels.base import ChannelError, ErrorKind, permanent, throttled, transient
from monitor.clock import Clock

DEFAULT_TIMEOUT = 10.0
_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Response:
    """A 2xx reply: status, headers and the parsed JSON body (None when not JSON)."""

    status: int
    headers: Mapping[str, str]
    body: Any
    text: str


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a numeric Retry-After header."""
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def classify_status(status: int, headers: Mapping[str, str]) -> ChannelError | None:
    """None for 2xx; otherwise the error the retry table gives for the status."""
    if 200 <= status < 300:
        return None
    if status == 429:
        return throttled("HTTP 429", retry_after(headers))
    if status in _RETRY_STATUSES or status >= 500:
        return transient(f"HTTP {status}", retry_after(headers))
    if status in (401, 403):
        return permanent(f"HTTP {status}", "auth")
    if status == 413:
        return permanent("HTTP 413", "too_large")
    return permanent(f"HTTP {status}")


async def post(
    session: aiohttp.ClientSession,
    url: str,
    *,
    data: bytes,
    headers: Mapping[str, str] | None = None,
    deadline_s: float = DEFAULT_TIMEOUT,
) -> Response:
    """POST `data`; raises ChannelError for transport errors and non-2xx statuses (never logs the URL)."""
    hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        async with session.post(
            url,
            data=data,
            headers=hdrs,
            timeout=aiohttp.ClientTimeout(total=deadline_s),
            allow_redirects=False,
        ) as resp:
            raw = await resp.content.read(1 << 20)
            text = raw.decode("utf-8", "replace")
            error = classify_status(resp.status, resp.headers)
            if error is not None:
                error.reason = f"{error.reason}: {text[:200]}" if text else error.reason
                raise error
            try:
                body = json.loads(text) if text.strip() else None
            except ValueError:
                body = None
            return Response(resp.status, dict(resp.headers), body, text)
    except ChannelError:
        raise
    except TimeoutError:
        raise transient("timeout") from None
    except aiohttp.InvalidURL:
        raise permanent("invalid URL", "config") from None
    except aiohttp.ClientError as exc:
        raise transient(f"transport: {type(exc).__name__}") from None


def json_bytes(body: Any) -> bytes:
    """Compact UTF-8 JSON, as the vendors expect."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def vendor_error(
    code: object, message: str, table: Mapping[int, tuple[bool, ErrorKind]], vendor: str
) -> ChannelError:
    """A non-zero vendor code through the vendor's table; unknown codes are permanent (fall back at once)."""
    try:
        number = int(str(code))
    except ValueError:
        number = -999999
    retryable, kind = table.get(number, (False, "permanent"))
    reason = f"{vendor} {number}: {message[:200]}"
    if kind == "throttled":
        return throttled(reason, 60.0)
    if retryable:
        return transient(reason)
    return ChannelError(reason, retryable=False, kind=kind)


class HttpChannel:
    """What every HTTP-posting channel holds: the shared client session, the clock and the request timeout."""

    def __init__(self, session: aiohttp.ClientSession, clock: Clock, timeout: float = 10.0) -> None:
        self.session = session
        self.clock = clock
        self.timeout = timeout
