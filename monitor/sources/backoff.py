"""When to poll a source next: its interval, exponential backoff with jitter, long backoff when blocked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

OutcomeKind = Literal[
    "ok", "not_modified", "http_error", "timeout", "too_large", "blocked", "network", "parse_error", "config"
]
SUCCESSES: frozenset[str] = frozenset({"ok", "not_modified"})


@dataclass(frozen=True)
class BackoffPolicy:
    """The knobs; defaults suit feeds polled every few minutes and a Weibo that bans fast clients."""

    failure_base: timedelta = timedelta(minutes=5)
    failure_cap: timedelta = timedelta(hours=6)
    failure_floor: timedelta = timedelta(seconds=30)
    # A login wall or ban does not lift in minutes, and retrying early prolongs it.
    blocked_base: timedelta = timedelta(hours=1)
    blocked_cap: timedelta = timedelta(hours=24)
    jitter: float = 0.2  # ± this fraction, so sources that failed together do not retry together
    retry_after_cap: timedelta = timedelta(hours=24)


DEFAULT_POLICY = BackoffPolicy()


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date (RFC 9110 §10.2.3); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def next_delay(
    outcome: OutcomeKind,
    *,
    failures: int,
    interval: timedelta,
    retry_after: timedelta | None = None,
    rand: float = 0.5,
    policy: BackoffPolicy = DEFAULT_POLICY,
) -> timedelta:
    """Delay before the next poll after `outcome`; `failures` counts this one, `rand` is in [0, 1).

    Success polls again after the interval. A failure retries after min(interval, base)
    doubled per consecutive failure, up to a cap; a blocked source backs off in hours.
    A server's Retry-After is honoured (up to a day) whenever it asks for longer.
    """
    if outcome in SUCCESSES:
        delay = interval
    elif outcome == "blocked":
        delay = min(policy.blocked_base * 2 ** min(max(failures - 1, 0), 16), policy.blocked_cap)
    else:
        base = max(min(interval, policy.failure_base), policy.failure_floor)
        delay = min(base * 2 ** min(max(failures - 1, 0), 16), policy.failure_cap)
    delay *= 1 + policy.jitter * (2 * min(max(rand, 0.0), 1.0) - 1)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.retry_after_cap))
    return delay
