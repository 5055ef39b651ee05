"""What happens after a failed send (pure): backoff with jitter, fall back to the next route, or give up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff doubles from `base_s` to `cap_s`; a route failing for `fallback_after_s` yields to the next."""

    base_s: float = 5.0
    factor: float = 2.0
    cap_s: float = 300.0
    fallback_after_s: float = 180.0
    give_up_after_s: float = 6 * 3600.0


@dataclass(frozen=True)
class Failure:
    """The row's delivery state when an attempt failed."""

    retryable: bool
    retry_after: float | None
    route: int
    routes: int
    route_attempts: int  # failed attempts on this route, including this one
    failing_since: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    """Retry on `route` at `next_attempt_at`, or `failed` for good."""

    status: Literal["pending", "failed"]
    route: int
    route_attempts: int
    failing_since: datetime | None
    next_attempt_at: datetime
    fell_back: bool = False


def backoff(policy: RetryPolicy, attempt: int, jitter: float) -> float:
    """Exponential backoff with 'equal jitter' (`jitter` in [0, 1)): half fixed, half random."""
    delay = min(policy.cap_s, policy.base_s * policy.factor ** max(0, attempt - 1))
    return delay / 2 + delay / 2 * jitter


def after_failure(policy: RetryPolicy, f: Failure, now: datetime, jitter: float) -> Outcome:
    """Permanent errors and routes failing too long move to the next route; the last route retries."""
    has_next = f.route + 1 < f.routes
    since = f.failing_since or now
    if not f.retryable or (has_next and (now - since).total_seconds() >= policy.fallback_after_s):
        if has_next:
            return Outcome("pending", f.route + 1, 0, None, now, fell_back=True)
        if not f.retryable:
            return Outcome("failed", f.route, f.route_attempts, since, now)
    if not has_next and (now - f.created_at).total_seconds() >= policy.give_up_after_s:
        return Outcome("failed", f.route, f.route_attempts, since, now)
    delay = max(backoff(policy, f.route_attempts, jitter), f.retry_after or 0.0)
    at = now + timedelta(seconds=delay)
    if has_next:  # never wait past the moment this route is due to yield
        at = min(at, since + timedelta(seconds=policy.fallback_after_s))
    return Outcome("pending", f.route, f.route_attempts, since, max(at, now))
