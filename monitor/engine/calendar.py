"""Working-time arithmetic for internal targets: office hours, public holidays and make-up workdays (调休)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitor.clock import SHANGHAI

_MAX_DAYS = 3700  # ten years: no real target runs longer, and a bad calendar must not loop forever


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours in local time; holidays are off even on weekdays, make-up days are on even at weekends."""

    workday_start: time = time(8, 30)
    workday_end: time = time(17, 30)
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    tz: ZoneInfo = SHANGHAI

    @classmethod
    def from_policy(cls, data: Mapping[str, Any]) -> WorkCalendar:
        """From the frozen policy's `calendar` object (ISO dates, "HH:MM" times, the city's time zone;
        snapshots frozen before the zone was stored are Asia/Shanghai)."""
        return cls(
            workday_start=time.fromisoformat(str(data.get("workday_start", "08:30"))),
            workday_end=time.fromisoformat(str(data.get("workday_end", "17:30"))),
            holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays", ())),
            makeup_workdays=frozenset(date.fromisoformat(d) for d in data.get("makeup_workdays", ())),
            tz=ZoneInfo(str(data["timezone"])) if data.get("timezone") else SHANGHAI,
        )

    def is_workday(self, day: date) -> bool:
        """调休 make-up days work, holidays don't, otherwise Monday–Friday."""
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_workday(day) or self.workday_end <= self.workday_start:
            return None
        return (
            datetime.combine(day, self.workday_start, self.tz),
            datetime.combine(day, self.workday_end, self.tz),
        )


def add_working_time(start: datetime, seconds: float, cal: WorkCalendar) -> datetime:
    """The instant when `seconds` of working time have elapsed after `start` (aware datetimes)."""
    if start.tzinfo is None:
        raise ValueError("add_working_time needs an aware datetime")
    remaining = timedelta(seconds=max(0.0, seconds))
    local = start.astimezone(cal.tz)
    day = local.date()
    for _ in range(_MAX_DAYS):
        window = cal._window(day)
        if window is not None:
            begin = max(window[0], local)
            if begin < window[1]:
                available = window[1] - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("working time does not fit in ten years of this calendar")


def working_seconds_between(a: datetime, b: datetime, cal: WorkCalendar) -> float:
    """Working seconds in [a, b); zero when b <= a."""
    if b <= a:
        return 0.0
    la, lb = a.astimezone(cal.tz), b.astimezone(cal.tz)
    total = timedelta()
    day = la.date()
    for _ in range(_MAX_DAYS):
        if day > lb.date():
            break
        window = cal._window(day)
        if window is not None:
            begin, end = max(window[0], la), min(window[1], lb)
            if end > begin:
                total += end - begin
        day += timedelta(days=1)
    return total.total_seconds()
