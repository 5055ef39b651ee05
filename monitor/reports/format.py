"""Display helpers shared by the HTML and Markdown reports: Chinese labels, local times, durations, ratios."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from monitor.incidents.grades import GRADE_COLOURS, GRADE_LABELS

if TYPE_CHECKING:
    from monitor.reports.incident_data import TimelineEntry

CLOCK_NAMES = {
    "statement": "发布权威信息",
    "press_conference": "举行新闻发布会",
    "response": "回应关切",
    "hotline": "12345 办理时限",
}
OUTCOME_NAMES = {
    "met": "按时",
    "late": "超时办结",
    "breached": "超时未办",
    "closed": "提前关闭",
    "running": "进行中",
}
STATE_NAMES = {
    "open": "待签收",
    "acknowledged": "已签收",
    "statement_published": "已发布权威信息",
    "press_conference_held": "已召开发布会",
    "responded": "已回应",
    "resolved": "已办结",
    "reviewed": "已复盘",
}
ROLE_NAMES = {"lead": "牵头", "support": "协办", "coordinator": "协调", "informed": "知会"}


def grade_label(grade: int | None) -> str:
    if grade is None:
        return "未定级"
    return f"{GRADE_LABELS.get(grade, str(grade))}（{GRADE_COLOURS.get(grade, '')}）"


def local(when: datetime | None, tz: ZoneInfo, fmt: str = "%m-%d %H:%M") -> str:
    return "—" if when is None else when.astimezone(tz).strftime(fmt)


def hours(seconds: float | None) -> str:
    """`3.5 小时` (or minutes under an hour)."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds / 60:.0f} 分钟"
    return f"{seconds / 3600:.1f} 小时"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def clock_name(kind: str, label: str = "") -> str:
    return label or CLOCK_NAMES.get(kind, kind)


def entry_note(t: TimelineEntry, tz: ZoneInfo) -> str:
    """A timeline line's note, with how often a repeated page went out and when last."""
    if t.repeats <= 1 or t.last_at is None:
        return t.note
    again = f"共 {t.repeats} 次，最后 {local(t.last_at, tz)}"
    return f"{t.note}；{again}" if t.note else again
