"""Report periods: a local calendar day or ISO week (Monday to Sunday) in the city's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["day", "week"]


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes, with the title words for it."""

    kind: PeriodKind
    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @property
    def name(self) -> str:
        """日报 or 周报."""
        return "日报" if self.kind == "day" else "周报"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.first_day:%Y年%m月%d日}"
        return f"{self.first_day:%Y年%m月%d日}—{self.last_day:%m月%d日}"


def period_for(kind: PeriodKind, day: date, tz: ZoneInfo) -> Period:
    """The day, or the Monday-to-Sunday week, that contains `day` in `tz`."""
    first = day if kind == "day" else day - timedelta(days=day.weekday())
    last = first if kind == "day" else first + timedelta(days=6)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return Period(kind=kind, start=start, end=end, first_day=first, last_day=last)
