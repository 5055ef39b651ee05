"""Working time with the 2026 holiday and 调休 calendar (table tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from monitor.clock import SHANGHAI
from monitor.engine.calendar import WorkCalendar, add_working_time, working_seconds_between

CAL = WorkCalendar.from_policy(
    {
        "workday_start": "08:30",
        "workday_end": "17:30",
        "holidays": [
            "2026-10-01",
            "2026-10-02",
            "2026-10-03",
            "2026-10-04",
            "2026-10-05",
            "2026-10-06",
            "2026-10-07",
            "2026-06-19",
        ],
        "makeup_workdays": ["2026-10-10", "2026-09-20"],
    }
)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 6, 1), True),  # Monday
        (date(2026, 6, 6), False),  # Saturday
        (date(2026, 6, 19), False),  # 端午 holiday on a Friday
        (date(2026, 10, 1), False),  # 国庆
        (date(2026, 10, 10), True),  # 调休: Saturday worked
        (date(2026, 9, 20), True),  # 调休: Sunday worked
    ],
)
def test_workdays(day: date, expected: bool) -> None:
    assert CAL.is_workday(day) is expected


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (local(2026, 6, 1, 9, 0), 15, local(2026, 6, 1, 9, 15)),  # inside office hours
        (local(2026, 6, 1, 17, 20), 15, local(2026, 6, 2, 8, 35)),  # spills into the next morning
        (local(2026, 6, 1, 7, 0), 15, local(2026, 6, 1, 8, 45)),  # before opening
        (local(2026, 6, 5, 17, 25), 15, local(2026, 6, 8, 8, 40)),  # Friday evening → Monday
        (local(2026, 6, 18, 17, 25), 15, local(2026, 6, 22, 8, 40)),  # Thursday before 端午 → Monday
        (local(2026, 9, 30, 17, 0), 60, local(2026, 10, 8, 9, 0)),  # across the Golden Week
        (local(2026, 10, 9, 17, 0), 60, local(2026, 10, 10, 9, 0)),  # Friday → make-up Saturday
        (local(2026, 6, 1, 8, 30), 9 * 60, local(2026, 6, 1, 17, 30)),  # exactly a full day
        (local(2026, 6, 1, 8, 30), 9 * 60 + 1, local(2026, 6, 2, 8, 31)),
    ],
)
def test_add_working_time(start: datetime, minutes: int, due: datetime) -> None:
    assert add_working_time(start, minutes * 60, CAL) == due
    assert working_seconds_between(start, due, CAL) == minutes * 60


def test_result_keeps_the_callers_timezone() -> None:
    start = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    due = add_working_time(start, 900, CAL)
    assert due.tzinfo is UTC and due == start + timedelta(minutes=15)


def test_working_seconds_between_is_zero_when_reversed() -> None:
    assert working_seconds_between(local(2026, 6, 2), local(2026, 6, 1), CAL) == 0.0


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError):
        add_working_time(datetime(2026, 6, 1, 9), 60, CAL)
