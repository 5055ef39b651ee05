"""The one place that reads time: a Clock protocol with system, fake and accelerated clocks."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Injected everywhere; nothing else reads the wall clock."""

    def now(self) -> datetime:
        """Timezone-aware current time (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds for measuring durations."""
        ...

    @property
    def speed(self) -> float:
        """Clock seconds per real second: 1 for the wall clock, 0 for a clock that moves only when told."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


def real_seconds_until(when: datetime, now: datetime, speed: float) -> float | None:
    """Real seconds until a clock running at `speed` reaches `when` (0 if it has); None when the clock is
    stopped (speed 0), since then no real wait brings it there (pure)."""
    if speed <= 0:
        return None
    return max(0.0, (when - now).total_seconds() / speed)


class SystemClock:
    """Real wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    @property
    def speed(self) -> float:
        return 1.0

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """Test clock: time moves only when `advance` is called; sleeps return at once after advancing."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")

    def now(self) -> datetime:
        return self._now

    @property
    def speed(self) -> float:
        return 0.0

    def monotonic(self) -> float:
        return self._now.timestamp()

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        self._now += timedelta(seconds=seconds, **delta)
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock.set needs a timezone-aware datetime")
        self._now = when

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


class AcceleratedClock:
    """Demo/replay clock: simulated time runs `speed` times faster than real time from `start`."""

    def __init__(self, start: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        if start.tzinfo is None:
            raise ValueError("AcceleratedClock needs a timezone-aware start")
        self._start = start
        self._speed = speed
        self._real0 = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._real0) * self._speed)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)


def to_local(when: datetime) -> datetime:
    """Asia/Shanghai view of an aware datetime, for display and Chinese relative dates."""
    return when.astimezone(SHANGHAI)
