"""The 12345 intake against hostile input: absurd timestamps, foreign charsets, float order numbers."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.web import intake
from tests.sources.test_intake import ENV, ORDER, Client, bearer, make_client, post, signed
from tests.sources.test_intake import client as client  # the intake on a test server (a fixture)
from tests.web.test_bad_input import raw_post


@pytest.mark.parametrize("digits", [21, 400, 5000])
async def test_an_absurdly_long_timestamp_is_unauthenticated(client: Client, digits: int) -> None:
    body = json.dumps(ORDER).encode()
    stamp = "9" * digits
    headers = signed(body, 0) | {intake.TIMESTAMP_HEADER: stamp}
    status, reply = await post(client, body, headers)
    assert (status, reply["error"]) == (401, "unauthenticated")
    assert intake.check_auth(headers, body, token=None, hmac_secret="s", now=FakeClock().now()) is not None


@pytest.mark.parametrize("charset", ["gbk", "GB2312", "utf-16", "iso-8859-1"])
async def test_a_body_in_another_charset_is_415(client: Client, pool: asyncpg.Pool, charset: str) -> None:
    headers = bearer() | {"Content-Type": f"application/json; charset={charset}"}
    body = json.dumps(ORDER, ensure_ascii=False).encode(
        "gbk" if charset.lower().startswith("gb") else "utf-8"
    )
    status, reply = await post(client, body, headers)
    assert (status, reply["error"]) == (415, "unsupported_media_type")
    assert "UTF-8" in reply["message"]
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 0


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=UTF-8", "application/json;charset=utf-8"]
)
async def test_a_utf8_body_is_stored_as_sent(client: Client, pool: asyncpg.Pool, content_type: str) -> None:
    body = json.dumps(ORDER, ensure_ascii=False).encode()
    status, _ = await post(client, body, bearer() | {"Content-Type": content_type})
    assert status == 201
    assert await pool.fetchval("SELECT title FROM posts") == ORDER["title"]


@pytest.mark.parametrize("number", [b"1e400", b"NaN", b"-Infinity", b"1.5", b"1.0"])
async def test_a_floating_point_order_no_is_422(client: Client, pool: asyncpg.Pool, number: bytes) -> None:
    body = (
        json.dumps(ORDER | {"order_no": 0}, ensure_ascii=False)
        .encode()
        .replace(b'"order_no": 0', b'"order_no": ' + number)
    )
    status, reply = await post(client, body)
    assert (status, reply["error"]) == (422, "invalid_order"), reply
    assert [p["field"] for p in reply["detail"]] == ["order_no"]
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 0


async def test_an_integer_order_no_is_its_digits(client: Client, pool: asyncpg.Pool) -> None:
    status, reply = await post(client, ORDER | {"order_no": 20260601777})
    assert (status, reply["order_no"]) == (201, "20260601777")
    status, reply = await post(client, ORDER | {"order_no": "20260601777"})
    assert (status, reply["duplicate"]) == (200, True)


async def test_order_fields_beside_a_batch_are_ambiguous(client: Client, pool: asyncpg.Pool) -> None:
    status, reply = await post(client, {"orders": [ORDER], "order_no": "OTHER-1"})
    assert (status, reply["error"]) == (422, "invalid_order")
    assert [p["field"] for p in reply["detail"]] == ["order_no"]
    status, reply = await post(client, {"orders": [ORDER], "工单编号": "OTHER-1", "受理时间": "x"})
    assert [p["field"] for p in reply["detail"]] == ["order_no", "received_at"]
    assert await pool.fetchval("SELECT count(*) FROM hotline_orders") == 0


async def test_a_bad_order_no_is_422_even_without_a_salt(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, tmp_path: Path
) -> None:
    env = {k: v for k, v in ENV.items() if k != "YUQING_PII_SALT"}
    async for salted in make_client(pool, clock, responders, tmp_path, env):
        body = json.dumps(ORDER | {"order_no": 0}, ensure_ascii=False).encode().replace(b": 0,", b": 1.5,")
        status, reply = await post(salted, body)
        assert (status, [p["field"] for p in reply["detail"]]) == (422, ["order_no"])


async def test_a_short_salt_is_only_told_to_authenticated_callers(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, tmp_path: Path
) -> None:
    env = ENV | {"YUQING_PII_SALT": "short"}
    async for short in make_client(pool, clock, responders, tmp_path, env):
        for headers in ({}, bearer("wrong-token"), {intake.SIGNATURE_HEADER: "sha256=00"}):
            async with short.post(intake.PATH, json=ORDER, headers=headers) as response:
                text = await response.text()
                assert response.status == 401, text
                assert "SALT" not in text and "盐" not in text and "配置" not in text
        status, reply = await post(short, ORDER)
        assert status == 503 and "YUQING_PII_SALT" in reply["detail"]


@pytest.mark.parametrize(
    "header",
    [b"Authorization: Bearer \xff\xfe", b"X-Yuqing-Timestamp: 1780272000\r\nX-Yuqing-Signature: sha256=\xff"],
)
async def test_undecodable_credentials_are_unauthenticated(client: Client, header: bytes) -> None:
    assert await raw_post(client.server.port, intake.PATH, header) == 401
