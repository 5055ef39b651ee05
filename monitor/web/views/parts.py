"""Small page parts shared by the console views: grade badges, countdowns, local times, numbers."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from monitor.web.countdown import STATUS_LABELS, ClockView, clock_classes, clock_status, describe
from monitor.web.html import Html, join, render


def local_time(value: datetime | str | None, zone: tzinfo, fmt: str = "%m-%d %H:%M") -> str:
    """Wall time in `zone` (the city's policy `timezone`) for display ('' when missing)."""
    if value is None:
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone(zone).strftime(fmt)


def number(value: int | None) -> str:
    """Engagement counts the Chinese way: 12345 → 1.2万."""
    if value is None:
        return "—"
    if value >= 100_000_000:
        return f"{value / 100_000_000:.1f}亿"
    if value >= 10_000:
        return f"{value / 10_000:.1f}万"
    return str(value)


def grade_badge(item: dict[str, Any]) -> Html:
    return render(
        '<span class="badge grade-{css}" title="{colour}色预警">{label} · {colour}</span>',
        css=item["grade_css"],
        colour=item["grade_colour"],
        label=item["grade_label"],
    )


def countdown(clock: ClockView, grade: int, now: datetime, zone: tzinfo) -> Html:
    """A clock that the page script keeps counting down; its classes carry grade colour and time left."""
    status = clock_status(clock, now)
    return render(
        '<span class="{classes}" data-countdown data-start="{start}" data-due="{due}" data-done="{done}"'
        ' data-grade="{grade}" title="{status_label}，截止 {due_local}">'
        '<span class="clock-label">{label}</span> <span class="clock-left">{text}</span></span>',
        classes=clock_classes(grade, status),
        start=clock.started_at.isoformat(),
        due=clock.due_at.isoformat(),
        done="1" if clock.done else "0",
        grade=grade,
        status_label=STATUS_LABELS[status],
        due_local=local_time(clock.due_at, zone),
        label=clock.label,
        text=describe(clock, now),
    )


def countdowns(clocks: list[ClockView], grade: int, now: datetime, zone: tzinfo) -> Html:
    if not clocks:
        return Html('<span class="muted">无法定时限</span>')
    return join(countdown(c, grade, now, zone) for c in clocks)
