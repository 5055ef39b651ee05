"""Clock arithmetic as pure functions: due times, warning points, breach-ladder schedule, what fires now."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from monitor.engine.calendar import WorkCalendar, add_working_time

# A breach climbs one rung of the ladder this often unless the policy says otherwise.
DEFAULT_RUNG_S = 900.0

# Which action's evidence satisfies which clock (an acknowledgement satisfies only the internal ack target).
SATISFIES: dict[str, tuple[str, ...]] = {
    "statement": ("statement", "response"),
    "press_conference": ("press_conference",),
    "respond": ("response", "hotline"),
    "ack": ("ack",),
}

EventKind = Literal["warning", "breach", "rung"]
INTERNAL_LABELS = {"ack": "确认接报（内部时限）"}


@dataclass(frozen=True)
class ClockSpec:
    """One clock to start: from the frozen policy's `clocks` (legal) or `internal_targets` (not legal)."""

    kind: str
    label: str
    within_s: float
    warn_at: tuple[float, ...]
    legal: bool
    working_hours: bool = False


@dataclass(frozen=True)
class ClockState:
    """What the engine needs of a clock row to decide what fires."""

    started_at: datetime
    due_at: datetime
    warn_at: tuple[float, ...]
    warnings_fired: int
    breach_rungs: int
    ladder_len: int


@dataclass(frozen=True)
class ClockEvent:
    """One thing that fires: a warning (index into warn_at) or breach page `index` on ladder rung `rung`."""

    kind: EventKind
    index: int
    rung: int
    scheduled_at: datetime
    notify: bool


@dataclass(frozen=True)
class ClockDecision:
    """Events to fire now and the row's new counters and next fire time."""

    events: tuple[ClockEvent, ...]
    warnings_fired: int
    breach_rungs: int
    next_fire_at: datetime | None


def clock_specs(policy: Mapping[str, Any]) -> list[ClockSpec]:
    """Every clock the frozen policy asks for: legal clocks, then internal targets."""
    specs = [
        ClockSpec(
            kind=str(c["kind"]),
            label=str(c.get("label") or c["kind"]),
            within_s=float(c["within_s"]),
            warn_at=tuple(sorted(float(f) for f in c.get("warn_at", ()))),
            legal=True,
        )
        for c in policy.get("clocks", ())
    ]
    for name, target in (policy.get("internal_targets") or {}).items():
        specs.append(
            ClockSpec(
                kind=str(name),
                label=INTERNAL_LABELS.get(str(name), f"内部时限 {name}"),
                within_s=float(target["within_s"]),
                warn_at=(),
                legal=False,
                working_hours=bool(target.get("working_hours", False)),
            )
        )
    return specs


def due_time(spec: ClockSpec, start: datetime, calendar: WorkCalendar | None) -> datetime:
    """Legal clocks are wall-clock; an internal target may count working time only."""
    if spec.working_hours and not spec.legal and calendar is not None:
        return add_working_time(start, spec.within_s, calendar)
    return start + timedelta(seconds=spec.within_s)


def warning_times(state: ClockState) -> list[datetime]:
    """Wall-clock instants of the warning points (fractions of the clock's span)."""
    span = state.due_at - state.started_at
    return [state.started_at + span * f for f in state.warn_at]


def breach_page_time(state: ClockState, n: int, rung_s: float, repeat_s: float) -> datetime | None:
    """When breach page `n` is due: one rung every `rung_s`, then the top rung every `repeat_s`."""
    if state.ladder_len == 0:
        return state.due_at if n == 0 else None
    if n < state.ladder_len:
        return state.due_at + timedelta(seconds=rung_s * n)
    if repeat_s <= 0:
        return None
    top = state.due_at + timedelta(seconds=rung_s * (state.ladder_len - 1))
    return top + timedelta(seconds=repeat_s * (n - state.ladder_len + 1))


def next_fire(state: ClockState, rung_s: float, repeat_s: float) -> datetime | None:
    """The next instant something of this clock is due (None when nothing more will fire)."""
    times = warning_times(state)
    if state.warnings_fired < len(times):
        return times[state.warnings_fired]
    return breach_page_time(state, state.breach_rungs, rung_s, repeat_s)


def clock_step(state: ClockState, now: datetime, rung_s: float, repeat_s: float) -> ClockDecision:
    """Everything due at `now`, once each; overtaken warnings are logged unpaged; missed repeats collapse."""
    events: list[ClockEvent] = []
    fired = state.warnings_fired
    times = warning_times(state)
    while fired < len(times) and times[fired] <= now:
        events.append(ClockEvent("warning", fired, -1, times[fired], True))
        fired += 1
    n = state.breach_rungs
    top = max(state.ladder_len - 1, 0)
    while True:
        at = breach_page_time(state, n, rung_s, repeat_s)
        if at is None or at > now:
            break
        if n >= state.ladder_len and state.ladder_len > 0:
            # Top-rung repeats: jump to the latest one due rather than paging every missed repeat.
            missed = math.floor((now - at).total_seconds() / repeat_s)
            n += missed
            at = at + timedelta(seconds=repeat_s * missed)
        events.append(ClockEvent("breach" if n == 0 else "rung", n, min(n, top), at, True))
        n += 1
    # A warning that a later event has already overtaken is history, not news.
    out = [
        ClockEvent(e.kind, e.index, e.rung, e.scheduled_at, False)
        if e.kind == "warning" and i < len(events) - 1
        else e
        for i, e in enumerate(events)
    ]
    after = ClockState(state.started_at, state.due_at, state.warn_at, fired, n, state.ladder_len)
    return ClockDecision(tuple(out), fired, n, next_fire(after, rung_s, repeat_s))


def remaining_s(due_at: datetime, now: datetime) -> float:
    """Seconds left (negative once overdue)."""
    return (due_at - now).total_seconds()
