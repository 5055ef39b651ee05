"""Pure scheduling and health decisions: backoff with jitter, Retry-After, health states and alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.sources.backoff import OutcomeKind, next_delay, parse_retry_after
from monitor.sources.fetch import (
    FetchResult,
    Validators,
    classify_status,
    conditional_headers,
    next_validators,
)
from monitor.sources.health import Health, after_poll, alerts_for, format_age

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("outcome", "failures", "interval", "expected"),
    [
        ("ok", 0, 5 * M, 5 * M),
        ("not_modified", 0, 30 * M, 30 * M),
        ("timeout", 1, 30 * M, 5 * M),  # first retry sooner than a long interval
        ("timeout", 1, 2 * M, 2 * M),
        ("http_error", 2, 5 * M, 10 * M),
        ("network", 3, 5 * M, 20 * M),
        ("parse_error", 12, 5 * M, 6 * H),  # capped
        ("too_large", 1, 10 * timedelta(seconds=1), 30 * timedelta(seconds=1)),  # floor
        ("blocked", 1, 2 * M, 1 * H),
        ("blocked", 3, 2 * M, 4 * H),
        ("blocked", 9, 2 * M, 24 * H),
    ],
)
def test_next_delay_without_jitter(
    outcome: OutcomeKind, failures: int, interval: timedelta, expected: timedelta
) -> None:
    assert next_delay(outcome, failures=failures, interval=interval, rand=0.5) == expected


def test_jitter_spreads_by_twenty_percent_each_way() -> None:
    low = next_delay("timeout", failures=2, interval=5 * M, rand=0.0)
    high = next_delay("timeout", failures=2, interval=5 * M, rand=0.999999)
    assert low == 8 * M and 11.99 * M < high < 12 * M


def test_retry_after_is_honoured_when_longer_and_capped_at_a_day() -> None:
    assert next_delay("http_error", failures=1, interval=5 * M, retry_after=2 * H) == 2 * H
    assert (
        next_delay("http_error", failures=1, interval=5 * M, retry_after=10 * timedelta(seconds=1)) == 5 * M
    )
    assert next_delay("http_error", failures=1, interval=5 * M, retry_after=30 * 24 * H) == 24 * H


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", timedelta(seconds=120)),
        ("Mon, 01 Jun 2026 09:00:00 GMT", H),
        ("Mon, 01 Jun 2026 07:00:00 GMT", timedelta(0)),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("status", "kind"),
    [(200, "ok"), (203, "ok"), (304, "not_modified"), (418, "blocked"), (432, "blocked"), (429, "http_error"),
     (404, "http_error"), (500, "http_error")],
)  # fmt: skip
def test_classify_status(status: int, kind: str) -> None:
    assert classify_status(status) == kind


def test_validators_follow_rfc_9111() -> None:
    old = Validators('"v1"', "Mon, 01 Jun 2026 07:00:00 GMT")
    assert conditional_headers(old) == {"If-None-Match": '"v1"', "If-Modified-Since": old.last_modified}
    assert conditional_headers(Validators()) == {}
    ok = FetchResult("ok", "u", 200, headers={"etag": '"v2"'})
    assert next_validators(old, ok) == Validators('"v2"', None)  # a 200 replaces both
    refreshed = FetchResult(
        "not_modified", "u", 304, headers={"last-modified": "Mon, 01 Jun 2026 07:30:00 GMT"}
    )
    assert next_validators(old, refreshed) == Validators('"v1"', "Mon, 01 Jun 2026 07:30:00 GMT")
    assert next_validators(old, FetchResult("timeout", "u")) == old


def test_health_after_success_failure_and_block() -> None:
    created = NOW - 10 * H
    fresh = after_poll(Health(), "ok", new_posts=3, detail="", now=NOW, created_at=created, stale_after=2 * H)
    assert fresh == Health("ok", 0, NOW, NOW, None, None)
    failed = after_poll(
        fresh, "timeout", new_posts=0, detail="slow", now=NOW + H, created_at=created, stale_after=2 * H
    )
    assert (failed.state, failed.consecutive_failures, failed.last_error_kind) == ("failing", 1, "timeout")
    assert failed.last_success_at == NOW
    blocked = after_poll(
        failed, "blocked", new_posts=0, detail="HTTP 432", now=NOW, created_at=created, stale_after=H
    )
    assert (blocked.state, blocked.consecutive_failures) == ("blocked", 2)
    silent = after_poll(
        fresh, "not_modified", new_posts=0, detail="", now=NOW + 3 * H, created_at=created, stale_after=2 * H
    )
    assert silent.state == "stale" and silent.last_new_post_at == NOW


def _kinds(h: Health, now: datetime, polled: bool = True) -> tuple[list[str], list[str]]:
    changes = alerts_for(
        "s1", "云江日报", h, now=now, created_at=NOW - 24 * H, stale_after=2 * H, polled=polled
    )
    return [a.kind for a in changes.raise_], [k.rsplit(":", 1)[1] for k in changes.resolve]


def test_alerts_blocked_at_once() -> None:
    raised, resolved = _kinds(Health("blocked", 1, NOW, NOW, "blocked", "HTTP 432"), NOW)
    assert raised == ["source_blocked"] and "blocked" not in resolved


def test_alerts_failing_only_after_staleness() -> None:
    recent = Health("failing", 3, NOW - H, NOW - H, "timeout", "slow")
    assert _kinds(recent, NOW)[0] == []
    assert _kinds(recent, NOW + 2 * H)[0] == ["source_failing"]


def test_alerts_silent_and_resolution() -> None:
    quiet = Health("not_modified", 0, NOW, NOW - 3 * H, None, None)
    assert _kinds(quiet, NOW) == (["source_silent"], ["blocked", "failing"])
    lively = Health("ok", 0, NOW, NOW, None, None)
    assert _kinds(lively, NOW) == ([], ["blocked", "failing", "silent"])


def test_a_pushed_source_that_never_received_anything_is_silent() -> None:
    never = Health()
    assert _kinds(never, NOW, polled=True)[0] == []
    assert _kinds(never, NOW, polled=False)[0] == ["source_silent"]


def test_alert_message_names_the_source_and_the_error() -> None:
    h = Health("failing", 4, NOW - 5 * H, NOW - 5 * H, "http_error", "HTTP 503 Service Unavailable")
    (alert,) = alerts_for("s1", "云江日报", h, now=NOW, created_at=NOW - 24 * H, stale_after=2 * H).raise_
    assert "云江日报" in alert.message and "HTTP 503" in alert.message and "5小时" in alert.message
    assert alert.dedup_key == "source:s1:failing" and alert.severity == "warning"


@pytest.mark.parametrize(
    ("age", "text"),
    [(5 * M, "5分钟"), (2 * H, "2小时"), (2 * H + 15 * M, "2小时15分钟"), (76 * H, "3天4小时")],
)
def test_format_age(age: timedelta, text: str) -> None:
    assert format_age(age) == text
