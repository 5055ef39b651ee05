"""Date parsing for sources: Weibo's relative dates, ISO/RFC formats and naive Chinese local times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime

from monitor.clock import SHANGHAI

_AGO = re.compile(r"^(\d+)\s*(秒|分钟|小时|天)前$")
_AGO_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days"}
_DAY_WORD = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2}):(\d{2})$")
_DAY_OFFSETS = {"今天": 0, "昨天": 1, "前天": 2}
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
_FULL_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_WEIBO_LONG = "%a %b %d %H:%M:%S %z %Y"  # Sat Jun 15 11:44:46 +0800 2019
# A "MM-DD" date later than this after now must belong to last year.
_FUTURE_SLACK = timedelta(days=1)
_MAX_EPOCH_DIGITS = 20


def resolve_weibo_date(raw: str, now: datetime) -> datetime | None:
    """Resolve what m.weibo.cn shows (刚刚, 5分钟前, 昨天 12:00, 06-01, 2019-06-01, or the long form).

    Relative forms are read in Asia/Shanghai against `now` (the injected clock); `None` if unknown.
    """
    s = raw.strip()
    local = now.astimezone(SHANGHAI)
    if s in ("刚刚", "刚才"):
        return now
    if m := _AGO.match(s):
        try:
            return now - timedelta(**{_AGO_UNITS[m.group(2)]: int(m.group(1))})
        except (OverflowError, ValueError):  # "99999999999天前" is before year 1; 5000 digits is no int
            return None
    if m := _DAY_WORD.match(s):
        date = local.date() - timedelta(days=_DAY_OFFSETS[m.group(1)])
        return _local(date.year, date.month, date.day, int(m.group(2)), int(m.group(3)))
    if m := _MONTH_DAY.match(s):
        month, day = int(m.group(1)), int(m.group(2))
        hour, minute = int(m.group(3) or 0), int(m.group(4) or 0)
        # No year: this year, unless that is in the future; Feb 29 walks back to a leap year.
        for year in range(local.year, local.year - 8, -1):
            when = _local(year, month, day, hour, minute)
            if when is not None and when <= now + _FUTURE_SLACK:
                return when
        return None
    if m := _FULL_DATE.match(s):
        return _local(*(int(g or 0) for g in m.groups()))
    try:
        return datetime.strptime(s, _WEIBO_LONG)
    except ValueError:
        return None


def parse_datetime(value: object, *, naive_tz: tzinfo = SHANGHAI) -> datetime | None:
    """An ISO 8601, RFC 2822, `YYYY-MM-DD HH:MM[:SS]` or epoch (s or ms) value as an aware datetime.

    Naive values are Chinese local time: every source this service reads is in Asia/Shanghai.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:  # float() itself overflows for integers beyond 1e308 (JSON allows them)
            seconds = float(value) / 1000.0 if value > 1e11 else float(value)
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return None
    if s.isdigit():
        # isdigit() is true for "²" and other digits int() refuses; no epoch needs more than 20 digits.
        return parse_datetime(int(s)) if s.isascii() and len(s) <= _MAX_EPOCH_DIGITS else None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(s.replace("Z", "+00:00").replace("/", "-"))
    except ValueError:
        if m := _FULL_DATE.match(s):
            parsed = _naive(*(int(g or 0) for g in m.groups()))
        else:
            try:
                parsed = parsedate_to_datetime(s)
            except (TypeError, ValueError, IndexError):
                parsed = None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed


def _naive(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime | None:
    naive = _naive(year, month, day, hour, minute, second)
    return naive.replace(tzinfo=SHANGHAI) if naive is not None else None
