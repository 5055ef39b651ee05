"""Weibo's relative dates resolve against the injected clock in Asia/Shanghai; other formats parse too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.clock import SHANGHAI
from monitor.sources.dates import parse_datetime, resolve_weibo_date

# 2026-06-01 10:30 in Shanghai.
NOW = datetime(2026, 6, 1, 2, 30, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("刚刚", NOW),
        ("30秒前", NOW - timedelta(seconds=30)),
        ("5分钟前", NOW - timedelta(minutes=5)),
        ("15小时前", NOW - timedelta(hours=15)),
        ("2天前", NOW - timedelta(days=2)),
        ("今天 08:05", local(2026, 6, 1, 8, 5)),
        ("昨天 12:00", local(2026, 5, 31, 12, 0)),
        ("昨天 23:59", local(2026, 5, 31, 23, 59)),
        ("前天 00:10", local(2026, 5, 30, 0, 10)),
        ("06-01", local(2026, 6, 1)),
        ("05-20 18:30", local(2026, 5, 20, 18, 30)),
        # no year and later than today: it was last year
        ("06-14", local(2025, 6, 14)),
        ("12-31", local(2025, 12, 31)),
        ("02-29", local(2024, 2, 29)),
        ("2019-06-01", local(2019, 6, 1)),
        ("2019-06-01 09:15", local(2019, 6, 1, 9, 15)),
        (
            "Sat Jun 15 11:44:46 +0800 2019",
            datetime(2019, 6, 15, 11, 44, 46, tzinfo=timezone(timedelta(hours=8))),
        ),
        ("不知道什么时候", None),
        ("13-45", None),
        ("", None),
    ],
)
def test_resolve_weibo_date(raw: str, expected: datetime | None) -> None:
    assert resolve_weibo_date(raw, NOW) == expected


def test_yesterday_is_the_shanghai_yesterday_not_utc() -> None:
    # 2026-06-01 00:30 in Shanghai is still 2026-05-31 in UTC: 昨天 must be 05-31 local.
    now = datetime(2026, 5, 31, 16, 30, tzinfo=UTC)
    assert resolve_weibo_date("昨天 09:00", now) == local(2026, 5, 31, 9, 0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-06-01T08:30:00+08:00", local(2026, 6, 1, 8, 30)),
        ("2026-06-01T00:30:00Z", datetime(2026, 6, 1, 0, 30, tzinfo=UTC)),
        ("2026-06-01 08:30:00", local(2026, 6, 1, 8, 30)),
        ("2026/06/01 08:30", local(2026, 6, 1, 8, 30)),
        ("2026-06-01", local(2026, 6, 1)),
        ("Mon, 01 Jun 2026 08:30:00 +0800", local(2026, 6, 1, 8, 30)),
        (1780273800, datetime(2026, 6, 1, 0, 30, tzinfo=UTC)),
        (1780273800000, datetime(2026, 6, 1, 0, 30, tzinfo=UTC)),
        ("1780273800", datetime(2026, 6, 1, 0, 30, tzinfo=UTC)),
        ("yesterday", None),
        ("2026-13-01", None),
        (None, None),
        (True, None),
        ([2026], None),
    ],
)
def test_parse_datetime(raw: object, expected: datetime | None) -> None:
    assert parse_datetime(raw) == expected
