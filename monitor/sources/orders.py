"""12345 work orders: field aliases, validation listing every problem, PII masking, the post for analysis."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.sources.dates import parse_datetime
from monitor.sources.pii import mask_name, mask_phone, redact_text, require_salt, salted_hash
from monitor.sources.post import Post
from monitor.sources.text import storable_json, storable_text

# Canonical field → the names 12345 platforms and their exports use for it.
ALIASES: dict[str, tuple[str, ...]] = {
    "order_no": ("order_no", "orderNo", "order_id", "orderId", "work_order_no", "工单编号", "工单号"),
    "received_at": ("received_at", "receivedAt", "accept_time", "create_time", "受理时间", "来电时间"),
    "channel": ("channel", "source_channel", "来源渠道", "渠道", "受理渠道"),
    "category": ("category", "诉求类型", "问题分类", "业务类型"),
    "urgency": ("urgency", "priority", "紧急程度", "缓急程度"),
    "title": ("title", "subject", "标题", "诉求标题", "工单标题"),
    "content": ("content", "description", "诉求内容", "内容", "工单内容"),
    "region_codes": ("region_codes", "region_code", "regionCode", "area_code", "区域编码", "属地编码"),
    "handler_unit": ("handler_unit", "handlerUnit", "承办单位", "主办单位", "处理单位"),
    "assist_units": ("assist_units", "assistUnits", "协办单位", "配合单位"),
    "caller_name": ("caller_name", "callerName", "来电人", "来电人姓名", "诉求人", "姓名"),
    "caller_phone": ("caller_phone", "callerPhone", "phone", "来电号码", "联系电话", "联系方式"),
}
_BY_ALIAS = {alias: canon for canon, names in ALIASES.items() for alias in names}
# Anything else that names personal data is dropped, never stored in `extra`.
_PII_MARKERS = ("身份证", "证件", "id_card", "idcard", "email", "邮箱", "住址", "家庭地址", "手机")
_ORDER_NO = re.compile(r"^[\w\-./:#]{1,64}$")
_REGION_CODE = re.compile(r"^\d{6,12}$")
_SHORT_FIELDS = ("channel", "category", "urgency", "handler_unit")
_MAX_TEXT = 20_000
_MAX_SHORT = 200
_MAX_UNITS = 10
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class OrderInvalid(ValueError):
    """An order record with problems, each as (field, message), all reported together."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))


@dataclass(frozen=True)
class HotlineOrder:
    """A validated 12345 order; caller data only masked and hashed, content with numbers redacted."""

    order_no: str
    received_at: datetime
    title: str
    content: str
    channel: str | None = None
    category: str | None = None
    urgency: str | None = None
    region_codes: tuple[str, ...] = ()
    region: str | None = None
    handler_unit: str | None = None
    assist_units: tuple[str, ...] = ()  # 协办单位: the units dispatched to help
    caller_name_masked: str | None = None
    caller_name_hash: str | None = None
    caller_phone_masked: str | None = None
    caller_phone_hash: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_post(self, source_id: str) -> Post:
        """The order as a post (source_kind `hotline`), so it flows through analysis like any other."""
        extra: dict[str, Any] = {"order_no": self.order_no, "region_codes": list(self.region_codes)}
        for name in _SHORT_FIELDS:
            if getattr(self, name):
                extra[name] = getattr(self, name)
        if self.assist_units:
            extra["assist_units"] = list(self.assist_units)
        return Post(
            source_id=source_id,
            source_kind="hotline",
            external_id=self.order_no,
            published_at=self.received_at,
            title=self.title,
            text=self.content,
            region_hint=self.region,
            extra=extra,
        )


def canonical(record: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a raw record into known fields (by alias) and the rest (PII-looking keys dropped)."""
    known: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in record.items():
        name = _BY_ALIAS.get(str(key).strip())
        if name is not None:
            known.setdefault(name, value)
        elif not any(marker in str(key).lower() for marker in _PII_MARKERS):
            rest[str(key)[:100]] = value
    return known, rest


def _string(value: Any, name: str, limit: int, problems: list[tuple[str, str]]) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.append((name, f"expected a string, got {type(value).__name__}"))
        return None
    text = storable_text(str(value)).strip()
    if len(text) > limit:
        problems.append((name, f"longer than {limit} characters"))
        return None
    return text or None


def _codes(value: Any, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: list[Any] = [c for c in re.split(r"[,，;；\s]+", value) if c]
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    elif isinstance(value, list):
        items = value
    else:
        problems.append(("region_codes", "expected a list of codes or a comma-separated string"))
        return ()
    codes = tuple(str(c).strip() for c in items if isinstance(c, str | int) and not isinstance(c, bool))
    bad = [c for c in codes if not _REGION_CODE.match(c)]
    if bad or len(codes) != len(items):
        problems.append(("region_codes", f"expected 6–12 digit region codes, got {items[:3]!r}"))
        return ()
    return codes


def _units(value: Any, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    """协办单位: a list, or one string separated by 、 , ; or spaces."""
    if value is None or value == "":
        return ()
    items = re.split(r"[、,，;；\s]+", value) if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(u, str) for u in items):
        problems.append(("assist_units", "expected a list of unit names or a 、-separated string"))
        return ()
    units = tuple(dict.fromkeys(u for u in (storable_text(u).strip() for u in items) if u))
    if len(units) > _MAX_UNITS or any(len(u) > _MAX_SHORT for u in units):
        problems.append(("assist_units", f"at most {_MAX_UNITS} units of at most {_MAX_SHORT} characters"))
        return ()
    return units


def _clean_extra(rest: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in list(rest.items())[:50]:
        if isinstance(value, str):
            out[storable_text(key)] = redact_text(storable_text(value[:2000]))
        elif isinstance(value, bool | int | float) or value is None:
            out[storable_text(key)] = storable_json(value)  # NaN and Infinity become null for jsonb
    return out


def _redact(text: str, caller_name: str | None) -> str:
    """Numbers masked, and the caller's own name wherever the operator typed it into the text."""
    text = redact_text(text)
    name = "".join((caller_name or "").split())
    return text.replace(name, mask_name(name)) if len(name) >= 2 else text


def order_from_record(
    record: Mapping[str, Any],
    *,
    now: datetime,
    region_codes: Mapping[str, str],
    salt: str | None,
) -> HotlineOrder:
    """Validate and normalise one order; raises OrderInvalid listing every problem, or PiiSaltMissing."""
    known, rest = canonical(record)
    problems: list[tuple[str, str]] = []
    order_no = _string(known.get("order_no"), "order_no", 64, problems)
    if order_no is None and not any(f == "order_no" for f, _ in problems):
        problems.append(("order_no", "required"))
    elif order_no is not None and not _ORDER_NO.match(order_no):
        problems.append(("order_no", "letters, digits and - _ . / : # only (at most 64)"))
    received_raw = known.get("received_at")
    received = parse_datetime(received_raw)
    if received_raw in (None, ""):
        problems.append(("received_at", "required"))
    elif received is None:
        problems.append(("received_at", "expected a date-time like 2026-06-01T08:30:00+08:00"))
    elif not _EARLIEST <= received <= now + timedelta(days=1):
        problems.append(("received_at", f"out of range: {received.isoformat()}"))
    title = _string(known.get("title"), "title", 500, problems) or ""
    content = _string(known.get("content"), "content", _MAX_TEXT, problems) or ""
    if not title and not content and not any(f in ("title", "content") for f, _ in problems):
        problems.append(("content", "an order needs a title or content"))
    short = {name: _string(known.get(name), name, _MAX_SHORT, problems) for name in _SHORT_FIELDS}
    codes = _codes(known.get("region_codes"), problems)
    assist = _units(known.get("assist_units"), problems)
    caller_name = _string(known.get("caller_name"), "caller_name", 100, problems)
    caller_phone = _string(known.get("caller_phone"), "caller_phone", 40, problems)
    if problems:
        raise OrderInvalid(problems)
    assert order_no is not None and received is not None
    hashed_salt = require_salt(salt) if caller_name or caller_phone else ""
    region = next((region_codes[c] for c in sorted(codes, key=len, reverse=True) if c in region_codes), None)
    return HotlineOrder(
        order_no=order_no,
        received_at=received,
        title=_redact(title, caller_name),
        content=_redact(content, caller_name),
        channel=short["channel"],
        category=short["category"],
        urgency=short["urgency"],
        handler_unit=short["handler_unit"],
        assist_units=assist,
        region_codes=codes,
        region=region,
        caller_name_masked=mask_name(caller_name) if caller_name else None,
        caller_name_hash=salted_hash("name", caller_name, hashed_salt) if caller_name else None,
        caller_phone_masked=mask_phone(caller_phone) if caller_phone else None,
        caller_phone_hash=salted_hash("phone", caller_phone, hashed_salt) if caller_phone else None,
        extra={**_clean_extra(rest), **({"assist_units": list(assist)} if assist else {})},
    )
