"""Clock arithmetic: warning points, breach ladder, catch-up (pure, table tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.engine.clocks import ClockState, clock_step, next_fire

T0 = datetime(2026, 6, 1, tzinfo=UTC)
FIVE_H = T0 + timedelta(hours=5)
RUNG, REPEAT = 900.0, 3600.0


def state(warnings: int = 0, rungs: int = 0, ladder: int = 3) -> ClockState:
    return ClockState(T0, FIVE_H, (0.5, 0.8), warnings, rungs, ladder)


def at(h: float) -> datetime:
    return T0 + timedelta(hours=h)


@pytest.mark.parametrize(
    ("st", "now", "fired", "next_at"),
    [
        (state(), at(2.49), [], at(2.5)),
        (state(), at(2.5), [("warning", 0, True)], at(4)),
        (state(1), at(4), [("warning", 1, True)], at(5)),
        (state(2), at(5), [("breach", 0, True)], at(5.25)),
        (state(2, 1), at(5.25), [("rung", 1, True)], at(5.5)),
        (state(2, 2), at(5.5), [("rung", 2, True)], at(6.5)),
        (state(2, 3), at(6.5), [("rung", 3, True)], at(7.5)),
        # catch-up after an outage: overtaken warnings are recorded unpaged; each rung pages once
        (
            state(),
            at(5.3),
            [("warning", 0, False), ("warning", 1, False), ("breach", 0, True), ("rung", 1, True)],
            at(5.5),
        ),
        # missed top-rung repeats collapse into one page
        (state(2, 3), at(10.1), [("rung", 6, True)], at(10.5)),
    ],
)
def test_clock_step(
    st: ClockState, now: datetime, fired: list[tuple[str, int, bool]], next_at: datetime
) -> None:
    decision = clock_step(st, now, RUNG, REPEAT)
    assert [(e.kind, e.index, e.notify) for e in decision.events] == fired
    assert decision.next_fire_at == next_at


def test_each_event_fires_once_when_stepping_in_small_increments() -> None:
    st, now, seen = state(), T0, []
    while now < at(8):
        decision = clock_step(st, now, RUNG, REPEAT)
        seen += [(e.kind, e.index, e.scheduled_at) for e in decision.events]
        st = ClockState(T0, FIVE_H, (0.5, 0.8), decision.warnings_fired, decision.breach_rungs, 3)
        now += timedelta(seconds=37)
    assert [s[:2] for s in seen] == [
        ("warning", 0),
        ("warning", 1),
        ("breach", 0),
        ("rung", 1),
        ("rung", 2),
        ("rung", 3),
        ("rung", 4),
    ]
    assert [s[2] for s in seen] == [at(2.5), at(4), at(5), at(5.25), at(5.5), at(6.5), at(7.5)]


def test_internal_target_breaches_once_without_a_ladder() -> None:
    st = ClockState(T0, T0 + timedelta(minutes=15), (), 0, 0, 0)
    decision = clock_step(st, at(1), RUNG, REPEAT)
    assert [(e.kind, e.index) for e in decision.events] == [("breach", 0)]
    assert decision.next_fire_at is None


def test_next_fire_before_anything() -> None:
    assert next_fire(state(), RUNG, REPEAT) == at(2.5)
