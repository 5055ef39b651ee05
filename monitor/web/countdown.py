"""Statutory clocks as the console shows them: status by time left, colour classes and Chinese wording."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from monitor.incidents.grades import GRADE_CSS

WARNING_LEFT = 0.5  # at or below half the window left: warning (the engine's 50 % notice)
CRITICAL_LEFT = 0.2  # at or below a fifth left: critical (the engine's 80 % notice)

STATUS_LABELS: dict[str, str] = {
    "satisfied": "已按时完成",
    "closed": "办结时未完成",
    "late": "逾期完成",
    "breached": "已超时",
    "critical": "即将超时",
    "warning": "过半",
    "running": "计时中",
}


@dataclass(frozen=True)
class ClockView:
    """One statutory clock of an incident."""

    kind: str
    label: str
    started_at: datetime
    due_at: datetime
    satisfied_at: datetime | None = None
    closed_at: datetime | None = None  # the incident was resolved with this clock unmet

    @property
    def window_s(self) -> float:
        return max(1.0, (self.due_at - self.started_at).total_seconds())

    @property
    def done(self) -> bool:
        """No longer counting down: met, or closed unmet when the incident was resolved."""
        return self.satisfied_at is not None or self.closed_at is not None


def clock_status(clock: ClockView, now: datetime) -> str:
    """satisfied | late | closed | breached | critical | warning | running."""
    if clock.satisfied_at is not None:
        return "satisfied" if clock.satisfied_at <= clock.due_at else "late"
    if clock.closed_at is not None:
        return "breached" if clock.closed_at > clock.due_at else "closed"
    left = (clock.due_at - now).total_seconds()
    if left <= 0:
        return "breached"
    share = left / clock.window_s
    if share <= CRITICAL_LEFT:
        return "critical"
    if share <= WARNING_LEFT:
        return "warning"
    return "running"


def at_risk(clock: ClockView, now: datetime) -> bool:
    """A clock still counting down that is past its 80 % mark or already breached."""
    return not clock.done and clock_status(clock, now) in ("critical", "breached")


def clock_classes(grade: int, status: str) -> str:
    """CSS classes: the grade's colour (红橙黄蓝) and the time-left status."""
    return f"clock grade-{GRADE_CSS.get(grade, 'blue')} status-{status}"


def most_urgent(clocks: Iterable[ClockView]) -> ClockView | None:
    """The unsatisfied clock that breaches first (the board's sort key), or None if all are done."""
    pending = [c for c in clocks if not c.done]
    return min(pending, key=lambda c: (c.due_at, c.kind)) if pending else None


def format_span(seconds: float) -> str:
    """`3小时05分`, `12分40秒`, `2天3小时`: a duration in Chinese, coarsening as it grows."""
    s = int(abs(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes:02d}分"
    return f"{minutes}分{secs:02d}秒"


def describe(clock: ClockView, now: datetime) -> str:
    """`剩余 3小时05分`, `已超时 12分40秒` or `已完成（用时 2小时10分）`."""
    if clock.closed_at is not None and clock.satisfied_at is None:
        return "办结时未完成" if clock.closed_at <= clock.due_at else "已超时（办结时未完成）"
    if clock.satisfied_at is not None:
        took = format_span((clock.satisfied_at - clock.started_at).total_seconds())
        prefix = "已完成" if clock.satisfied_at <= clock.due_at else "逾期完成"
        return f"{prefix}（用时 {took}）"
    left = (clock.due_at - now).total_seconds()
    if left <= 0:
        return f"已超时 {format_span(left)}"
    return f"剩余 {format_span(left)}"
