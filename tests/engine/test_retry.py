"""The retry table and what happens after a failure (pure, table tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.channels.http import classify_status
from monitor.outbox.retry import Failure, RetryPolicy, after_failure, backoff

T0 = datetime(2026, 6, 1, tzinfo=UTC)
POLICY = RetryPolicy()


@pytest.mark.parametrize(
    ("status", "retryable", "kind"),
    [
        (200, None, None),
        (408, True, "transient"),
        (429, True, "throttled"),
        (500, True, "transient"),
        (502, True, "transient"),
        (503, True, "transient"),
        (400, False, "permanent"),
        (401, False, "auth"),
        (403, False, "auth"),
        (404, False, "permanent"),
        (413, False, "too_large"),
    ],
)
def test_http_retry_table(status: int, retryable: bool | None, kind: str | None) -> None:
    err = classify_status(status, {})
    assert (err.retryable if err else None, err.kind if err else None) == (retryable, kind)


def test_retry_after_header_is_honoured() -> None:
    err = classify_status(429, {"Retry-After": "7"})
    assert err is not None and err.retry_after == 7.0


def fail(retryable: bool, route: int = 0, routes: int = 3, n: int = 1, since: float | None = None) -> Failure:
    return Failure(
        retryable=retryable,
        retry_after=None,
        route=route,
        routes=routes,
        route_attempts=n,
        failing_since=T0 - timedelta(seconds=since) if since is not None else None,
        created_at=T0 - timedelta(seconds=since or 0),
    )


@pytest.mark.parametrize(
    ("failure", "status", "route", "wait_min", "wait_max"),
    [
        (fail(True), "pending", 0, 2.5, 5.0),  # first retry: 5 s with equal jitter
        (fail(True, n=3, since=30), "pending", 0, 10.0, 20.0),
        (fail(True, n=9, since=170), "pending", 0, 10.0, 10.0),  # capped at the fallback moment (180 s)
        (fail(True, n=9, since=180), "pending", 1, 0.0, 0.0),  # failing too long: next route now
        (fail(False), "pending", 1, 0.0, 0.0),  # permanent: next route now
        (fail(False, route=2), "failed", 2, 0.0, 0.0),  # permanent on the last route: recorded as failed
        (fail(True, route=2, n=20, since=7 * 3600), "failed", 2, 0.0, 0.0),  # gave up after six hours
        (fail(True, route=2, n=20, since=600), "pending", 2, 150.0, 300.0),  # last route keeps retrying
    ],
)
def test_after_failure(failure: Failure, status: str, route: int, wait_min: float, wait_max: float) -> None:
    out = after_failure(POLICY, failure, T0, 0.5)
    wait = (out.next_attempt_at - T0).total_seconds()
    assert (out.status, out.route) == (status, route)
    assert wait_min <= wait <= wait_max


@pytest.mark.parametrize("jitter", [0.0, 0.999])
def test_backoff_bounds(jitter: float) -> None:
    assert 2.5 <= backoff(POLICY, 1, jitter) <= 5.0
    assert 150.0 <= backoff(POLICY, 12, jitter) <= 300.0
