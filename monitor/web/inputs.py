"""Parse and validate what clients send: list filters from the query string and action bodies (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from monitor.incidents.grades import GRADE_NUMBERS
from monitor.sources.text import storable_text
from monitor.web.access import CLOSED_STATES
from monitor.web.errors import ApiError
from monitor.web.html import safe_url

STATES = (
    "open",
    "acknowledged",
    "statement_published",
    "press_conference_held",
    "responded",
    "resolved",
    "reviewed",
)
ACTIVE_STATES = tuple(s for s in STATES if s not in CLOSED_STATES)
MAX_LIMIT = 200
MAX_TEXT = 5000
MAX_SHORT = 500
MAX_URL = 2000
WRONG_CHARSET = "JSON 请求体必须是 UTF-8 编码：Content-Type 的 charset 只能省略或为 utf-8"
# A press conference may be recorded a little ahead of the server clock (phones drift), not more.
FUTURE_SLACK = timedelta(minutes=10)
# Every time a client sends must fall in this range once converted to UTC: anything else is a typo or a
# probe, and beyond it Python's datetime and asyncpg overflow (year 0, year 10000).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# A report day stands for its ISO week and for midnights in any time zone: keep a week and a day clear.
_DAY_MARGIN = timedelta(days=8)


@dataclass(frozen=True)
class IncidentFilter:
    """The incident list's filters and page."""

    grades: tuple[int, ...] = ()
    states: tuple[str, ...] = ()
    department: str | None = None
    region: str | None = None
    at_risk: bool = False
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    limit: int = 50
    offset: int = 0


def json_charset_ok(charset: str | None) -> bool:
    """JSON is UTF-8 (RFC 8259): a body may declare no charset or UTF-8, never another one."""
    return charset is None or charset.strip().lower() in ("utf-8", "utf8")


def _bad(message: str, param: str) -> ApiError:
    return ApiError("bad_request", message, param=param)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _grade(value: str) -> int:
    if value in GRADE_NUMBERS:
        return GRADE_NUMBERS[value]
    if value in ("1", "2", "3", "4"):
        return int(value)
    raise _bad(f"grade 取值应为 1–4 或 I–IV，收到 {value!r}", "grade")


def parse_time(value: str, param: str) -> datetime:
    """An ISO 8601 date-time with a timezone."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _bad(f"{param} 应为带时区的 ISO 8601 时间，如 2026-06-01T08:00:00+08:00", param) from None
    if when.tzinfo is None:
        raise _bad(f"{param} 必须带时区", param)
    if not in_range(when):
        raise _bad(f"{param} 超出允许范围（{EARLIEST.year}–{LATEST.year} 年）", param)
    return when


def in_range(when: datetime) -> bool:
    """An aware time that converts to UTC between EARLIEST and LATEST (no overflow on the way)."""
    try:
        return EARLIEST <= when.astimezone(UTC) <= LATEST
    except (OverflowError, ValueError):
        return False


def parse_day(value: str, param: str) -> date:
    """A calendar day YYYY-MM-DD whose whole week, in any time zone, is within range."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise _bad(f"{param} 应为 YYYY-MM-DD", param) from None
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    if not (EARLIEST + _DAY_MARGIN <= midnight <= LATEST - _DAY_MARGIN):
        first, last = (EARLIEST + _DAY_MARGIN).date(), (LATEST - _DAY_MARGIN).date()
        raise _bad(f"{param} 超出允许范围（{first}–{last}）", param)
    return day


def _int(value: str, param: str, low: int, high: int) -> int:
    digits = value.strip()
    if not (digits.isascii() and digits.isdigit()) or not low <= int(digits) <= high:
        raise _bad(f"{param} 应为 {low}–{high} 之间的整数", param)
    return int(value)


def _bool(value: str, param: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise _bad(f"{param} 应为 true 或 false", param)


def parse_filter(
    query: Mapping[str, str], *, departments: Set[str], regions: Set[str], default_limit: int = 50
) -> IncidentFilter:
    """Query string → IncidentFilter; unknown parameters and bad values are a 400 naming the parameter."""
    known = {
        "grade",
        "state",
        "department",
        "region",
        "at_risk",
        "opened_from",
        "opened_to",
        "limit",
        "offset",
    }
    for name in query:
        if name not in known:
            raise _bad(f"未知参数 {name}", name)
    grades = tuple(sorted({_grade(g) for g in _csv(query.get("grade", ""))}))
    states: list[str] = []
    for s in _csv(query.get("state", "")):
        if s == "active":
            states.extend(ACTIVE_STATES)
        elif s in STATES:
            states.append(s)
        else:
            raise _bad(f"state 取值应为 {', '.join(STATES)} 或 active", "state")
    department = query.get("department") or None
    if department is not None and department not in departments:
        raise _bad(f"未知部门 {department}", "department")
    region = query.get("region") or None
    if region is not None and region not in regions:
        raise _bad(f"未知地区 {region}", "region")
    opened_from = parse_time(query["opened_from"], "opened_from") if query.get("opened_from") else None
    opened_to = parse_time(query["opened_to"], "opened_to") if query.get("opened_to") else None
    if opened_from and opened_to and opened_from > opened_to:
        raise _bad("opened_from 不能晚于 opened_to", "opened_from")
    return IncidentFilter(
        grades=grades,
        states=tuple(dict.fromkeys(states)),
        department=department,
        region=region,
        at_risk=_bool(query["at_risk"], "at_risk") if "at_risk" in query else False,
        opened_from=opened_from,
        opened_to=opened_to,
        limit=_int(query["limit"], "limit", 1, MAX_LIMIT) if "limit" in query else default_limit,
        offset=_int(query["offset"], "offset", 0, 10_000_000) if "offset" in query else 0,
    )


# action → (required fields, optional fields)
ACTION_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ack": ((), ("note",)),
    "statement": (("url",), ("text",)),
    "press_conference": (("held_at", "place"), ("url", "record")),
    "respond": ((), ("url", "text")),
    "resolve": (("reason",), ()),
    "reassign": (("department", "reason"), ()),
    "add_support": (("department", "reason"), ()),
    "note": (("text",), ()),
    "escalate_now": ((), ("reason",)),
}
_URL_FIELDS = {"url"}
_LONG_FIELDS = {"text", "note", "reason", "record"}
# actions that need at least one of these pieces of evidence
_ONE_OF: dict[str, tuple[str, ...]] = {"respond": ("text", "url"), "press_conference": ("url", "record")}


def _text(name: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise ApiError("invalid_input", f"{name} 应为字符串", field=name)
    value = raw.strip()
    limit = MAX_URL if name in _URL_FIELDS else MAX_TEXT if name in _LONG_FIELDS else MAX_SHORT
    if len(value) > limit:
        raise ApiError("invalid_input", f"{name} 过长（最多 {limit} 个字符）", field=name)
    if "\x00" in value:
        raise ApiError("invalid_input", f"{name} 含有非法字符", field=name)
    # JSON's \ud800 escapes decode to lone surrogates, which neither UTF-8 nor PostgreSQL can hold.
    return storable_text(value)


def parse_action(action: str, body: object, *, departments: Set[str], now: datetime) -> dict[str, Any]:
    """A JSON action body → the evidence for `record_action`; 400 for a non-object, 422 for bad fields."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError("bad_request", "请求体必须是 JSON 对象")
    required, optional = ACTION_FIELDS[action]
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise ApiError("invalid_input", f"未知字段 {', '.join(unknown)}", field=unknown[0])
    evidence: dict[str, Any] = {}
    for name in (*required, *optional):
        if body.get(name) is None:
            continue
        value = _text(name, body[name])
        if value:
            evidence[name] = value
    missing = [name for name in required if name not in evidence]
    alternatives = _ONE_OF.get(action, ())
    if alternatives and not any(name in evidence for name in alternatives):
        missing.append(" 或 ".join(alternatives))
    if missing:
        raise ApiError("missing_evidence", f"缺少必填项：{', '.join(missing)}", fields=missing)
    if "url" in evidence and safe_url(evidence["url"]) is None:
        raise ApiError("invalid_input", "url 必须是 http(s) 开头的完整网址", field="url")
    if "held_at" in evidence:
        try:
            held = parse_time(evidence["held_at"], "held_at")
        except ApiError as err:
            raise ApiError("invalid_input", err.message, field="held_at") from None
        if held > now + FUTURE_SLACK:
            raise ApiError("invalid_input", "held_at 不能晚于当前时间", field="held_at")
        evidence["held_at"] = held.isoformat()
    if action in ("reassign", "add_support") and evidence["department"] not in departments:
        raise ApiError("invalid_input", f"未知部门 {evidence['department']}", field="department")
    return evidence


# Evidence times that say when something answering the event happened: not before the event began. The
# event can begin before the first post this service saw (an official release the posts then quote), so
# the bar is that far back; a time days before it is a typo.
_ANSWER_TIMES = ("held_at",)
ANSWER_LEAD = timedelta(days=2)


def earliest_allowed(
    incident_first_seen: datetime, event_first_seen: datetime | None, first_post: datetime | None
) -> datetime:
    """The first sign of the event an incident is about: its first post, or first sighting, if earlier."""
    return min(t for t in (incident_first_seen, event_first_seen, first_post) if t is not None)


def check_answer_times(evidence: Mapping[str, Any], earliest: datetime) -> None:
    """422 naming the field when a press conference (or other answer) claims to precede its event."""
    for name in _ANSWER_TIMES:
        if name not in evidence:
            continue
        when = datetime.fromisoformat(evidence[name])
        if when < earliest - ANSWER_LEAD:
            shown = earliest.astimezone(when.tzinfo).isoformat(timespec="seconds")
            raise ApiError("invalid_input", f"{name} 不能早于事件首次出现的时间 {shown} 两天以上", field=name)


def answers_in_time(evidence: Mapping[str, Any]) -> bool:
    """Whether the evidence carries a time that `check_answer_times` must compare with the event."""
    return any(name in evidence for name in _ANSWER_TIMES)
