"""12345 orders: exports in JSON and CSV, field aliases, per-field problems, PII masked and hashed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import SHANGHAI
from monitor.config.sources import Source
from monitor.sources.kinds import ParseContext, ParseFailure, ParseResult
from monitor.sources.kinds.hotline import HotlineKind
from monitor.sources.orders import OrderInvalid, order_from_record
from monitor.sources.pii import PiiSaltMissing, salted_hash
from tests.sources.conftest import SALT, build_sources

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
CODES = {"339900": "yunjiang", "339902": "binjiang", "339902001": "binjiang-jiangbin"}
ORDER = {
    "order_no": "YJ20260601000123",
    "received_at": "2026-06-01 09:12:00",
    "channel": "电话",
    "category": "城乡建设",
    "urgency": "紧急",
    "title": "江滨街道小区地下室渗水",
    "content": "来电人张三丰反映地下室渗水严重，联系电话13812345678，身份证110101199003071234。",
    "region_codes": ["339902", "339902001"],
    "handler_unit": "滨江区住建局",
    "caller_name": "张三丰",
    "caller_phone": "+86 138-1234-5678",
    "extra_field": "kept",
    "身份证号": "110101199003071234",
}


def order(record: dict[str, Any], salt: str | None = SALT) -> Any:
    return order_from_record(record, now=NOW, region_codes=CODES, salt=salt)


@pytest.fixture
def export(tmp_path: Path) -> Source:
    entry = {"id": "h", "kind": "hotline", "url": "http://12345.example/export.json"}
    return build_sources(tmp_path, [entry])[0]


@pytest.fixture
def csv_export(tmp_path: Path) -> Source:
    entry = {
        "id": "hc",
        "kind": "hotline",
        "url": "http://12345.example/e.csv",
        "format": "csv",
        "encoding": "gbk",
    }
    return build_sources(tmp_path, [entry])[0]


def parse(source: Source, body: bytes, salt: str | None = SALT) -> ParseResult:
    return HotlineKind().parse(ParseContext(source, NOW, CODES, salt), body, {})


def test_an_order_is_normalised_and_its_caller_is_masked() -> None:
    o = order(ORDER)
    assert o.order_no == "YJ20260601000123"
    assert o.received_at == datetime(2026, 6, 1, 9, 12, tzinfo=SHANGHAI)
    assert (o.channel, o.category, o.urgency, o.handler_unit) == ("电话", "城乡建设", "紧急", "滨江区住建局")
    assert o.region == "binjiang-jiangbin"  # the most specific known code
    assert o.caller_name_masked == "张**" and o.caller_phone_masked == "138****5678"
    assert o.caller_phone_hash == salted_hash("phone", "13812345678", SALT)
    assert o.caller_name_hash == salted_hash("name", "张三丰", SALT)
    assert "13812345678" not in o.content and "138****5678" in o.content
    assert "张三丰" not in o.content and o.content.startswith("来电人张**反映")
    assert "19900307" not in o.content and "110101" in o.content
    assert o.extra == {"extra_field": "kept"}  # the ID-card column is dropped entirely


def test_nothing_personal_reaches_the_post() -> None:
    post = order(ORDER).to_post("hotline-push")
    dumped = json.dumps([post.title, post.text, post.extra, post.author], ensure_ascii=False)
    for secret in ("张三丰", "13812345678", "1234-5678", "110101199003071234"):
        assert secret not in dumped
    assert post.source_kind == "hotline" and post.external_id == "YJ20260601000123"
    assert post.extra["order_no"] == "YJ20260601000123" and post.extra["urgency"] == "紧急"
    assert post.region_hint == "binjiang-jiangbin"


def test_chinese_field_names_are_understood() -> None:
    o = order(
        {
            "工单编号": "A-1",
            "受理时间": "2026-06-01T08:00:00+08:00",
            "诉求内容": "路灯不亮",
            "区域编码": "339900",
        }
    )
    assert (o.order_no, o.content, o.region) == ("A-1", "路灯不亮", "yunjiang")


def test_the_units_dispatched_to_help_are_kept_on_the_order_and_the_post() -> None:
    listed = order({**ORDER, "协办单位": ["生态环境局", "望江街道", "生态环境局"]})
    said = order({**ORDER, "assist_units": "生态环境局、望江街道"})
    assert listed.assist_units == said.assist_units == ("生态环境局", "望江街道")
    assert listed.extra["assist_units"] == ["生态环境局", "望江街道"]  # the order's own record keeps them
    assert listed.to_post("hotline-push").extra["assist_units"] == ["生态环境局", "望江街道"]
    assert order(ORDER).assist_units == () and "assist_units" not in order(ORDER).to_post("h").extra
    for bad in ({"a": 1}, [1, 2], ["x" * 201], [f"单位{i}" for i in range(11)]):
        with pytest.raises(OrderInvalid) as exc:
            order({**ORDER, "assist_units": bad})
        assert [f for f, _ in exc.value.problems] == ["assist_units"]


def test_every_problem_is_reported_together() -> None:
    bad = {
        "order_no": "bad number!",
        "received_at": "yesterday",
        "title": 5.5,
        "region_codes": ["12"],
        "urgency": [],
    }
    with pytest.raises(OrderInvalid) as exc:
        order(bad)
    fields = [f for f, _ in exc.value.problems]
    assert fields == ["order_no", "received_at", "urgency", "region_codes"]
    with pytest.raises(OrderInvalid) as exc:
        order({})
    assert [f for f, _ in exc.value.problems] == ["order_no", "received_at", "content"]


def test_future_orders_are_refused() -> None:
    with pytest.raises(OrderInvalid, match="out of range"):
        order(ORDER | {"received_at": "2030-01-01T00:00:00+08:00"})


def test_caller_data_without_a_salt_is_refused_with_a_clear_error() -> None:
    with pytest.raises(PiiSaltMissing, match="YUQING_PII_SALT"):
        order(ORDER, salt=None)
    anonymous = {k: v for k, v in ORDER.items() if not k.startswith("caller")}
    assert order(anonymous, salt=None).caller_phone_hash is None


def test_json_export_shapes(export: Source) -> None:
    for document in ([ORDER], {"data": [ORDER]}, {"data": {"records": [ORDER]}}, {"orders": [ORDER, ORDER]}):
        result = parse(export, json.dumps(document, ensure_ascii=False).encode())
        assert [o.order_no for o in result.orders] == ["YJ20260601000123"]
        assert [p.external_id for p in result.posts] == ["YJ20260601000123"]


def test_invalid_rows_are_skipped_and_reported(export: Source) -> None:
    document = [ORDER, {"order_no": "X2"}, "not an object"]
    result = parse(export, json.dumps(document, ensure_ascii=False).encode())
    assert len(result.orders) == 1
    assert "row 2" in result.notes[0] and "received_at" in result.notes[0]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"code": 401, "msg": "token expired"}', "no order list"),
        (json.dumps([{"order_no": "X"}]).encode(), "no valid order"),
    ],
)
def test_unusable_exports(export: Source, body: bytes, words: str) -> None:
    with pytest.raises(ParseFailure, match=words):
        parse(export, body)


def test_csv_export_in_gbk(csv_export: Source) -> None:
    rows = "工单编号,受理时间,来源渠道,诉求类型,紧急程度,标题,诉求内容,区域编码,承办单位,来电人,来电号码\r\n"
    rows += "B-7,2026-05-31 20:00:00,12345热线,环境保护,一般,夜间施工噪音,晚上十点后仍在施工,339902,"
    rows += "滨江区生态环境分局,李四,13900001111\r\n"
    result = parse(csv_export, rows.encode("gbk"))
    (o,) = result.orders
    assert (o.order_no, o.category, o.region, o.caller_name_masked) == ("B-7", "环境保护", "binjiang", "李*")
    with pytest.raises(ParseFailure, match="not valid gbk"):
        parse(csv_export, "工单编号\r\n".encode("utf-16"))


def test_csv_with_utf8_bom(tmp_path: Path) -> None:
    entry = {"id": "hu", "kind": "hotline", "url": "http://12345.example/e.csv", "format": "csv"}
    source = build_sources(tmp_path, [entry])[0]
    body = "\ufefforder_no,received_at,content\nC-1,2026-06-01 08:00,井盖缺失\n".encode()
    assert [o.order_no for o in parse(source, body).orders] == ["C-1"]
