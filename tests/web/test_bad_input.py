"""Hostile and out-of-range input to the API and the console: a clear 4xx naming the field, never a 500."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.web import auth
from monitor.web.errors import ApiError
from monitor.web.inputs import earliest_allowed, parse_day, parse_time
from tests.web.conftest import bearer
from tests.web.factory import event_with_posts, open_incident

PRESS = {"place": "市政府新闻发布厅", "url": "https://x.cn/p"}


@pytest.fixture
async def gas(pool, responders, clock):
    """住建局's incident, first seen and opened at the clock's start (2026-06-01 08:00 Beijing), now 09:00."""
    incident = await open_incident(pool, responders, clock.now(), title="燃气泄漏", grade=2)
    clock.advance(hours=1)
    return incident


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+23:59",  # a year before 1 AD in UTC
        "9999-12-31T23:59:59-23:59",  # past the year 9999 in UTC
        "0001-01-01T00:00:00+00:00",
        "1969-12-31T23:59:59Z",
    ],
)
def test_a_time_must_convert_to_utc_within_range(value):
    with pytest.raises(ApiError) as caught:
        parse_time(value, "opened_to")
    assert caught.value.status == 400 and caught.value.details == {"param": "opened_to"}


def test_a_time_in_range_keeps_its_offset():
    assert parse_time("1970-01-01T08:00:00+08:00", "t").isoformat() == "1970-01-01T08:00:00+08:00"
    assert parse_time("9999-12-31T23:59:59Z", "t").year == 9999


@pytest.mark.parametrize("value", ["0001-01-01", "1969-12-31", "1970-01-01", "9999-12-31", "9999-12-30"])
def test_a_report_day_must_be_in_range(value):
    with pytest.raises(ApiError) as caught:
        parse_day(value, "date")
    assert caught.value.details == {"param": "date"}


def test_a_report_day_in_range_is_a_date():
    assert parse_day("2026-06-01", "date").isoformat() == "2026-06-01"
    assert parse_day("9998-12-31", "date").year == 9998


@pytest.mark.parametrize(
    "query",
    [
        {"opened_to": "0001-01-01T00:00:00+23:59"},
        {"opened_from": "9999-12-31T23:59:59-23:59"},
        {"opened_from": "0001-01-01T00:00:00Z", "opened_to": "0001-01-02T00:00:00Z"},
    ],
)
async def test_out_of_range_list_filters_are_400(client, gas, token_for, query):
    response = await client.get(
        "/api/v1/incidents", params=query, headers=bearer(await token_for("zhengfuban.duty"))
    )
    body = await response.json()
    assert (response.status, body["error"]) == (400, "bad_request"), body
    assert body["details"]["param"] == next(iter(query))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_out_of_range_report_days_are_refused(client, token_for, day):
    response = await client.get(
        "/reports/daily", params={"date": day}, headers=bearer(await token_for("zhengfuban.duty"))
    )
    assert response.status == 422  # as for any other bad `date` on this page
    assert "date" in await response.text()


async def press(client, token, incident, held_at):
    response = await client.post(
        f"/api/v1/incidents/{incident}/press-conference",
        headers=bearer(token),
        json={"held_at": held_at, **PRESS},
    )
    return response.status, await response.json()


@pytest.mark.parametrize("held_at", ["0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00+00:00"])
async def test_an_out_of_range_held_at_is_422(client, gas, token_for, held_at):
    status, body = await press(client, await token_for("zhujian.head"), gas, held_at)
    assert (status, body["error"], body["details"]) == (422, "invalid_input", {"field": "held_at"})


async def test_a_press_conference_cannot_precede_the_event(client, gas, token_for, pool):
    token = await token_for("zhujian.head")
    status, body = await press(client, token, gas, "1990-06-01T10:00:00+08:00")
    assert (status, body["error"], body["details"]) == (422, "invalid_input", {"field": "held_at"})
    status, body = await press(client, token, gas, "2026-05-30T07:59:00+08:00")  # two days and a minute
    assert (status, body["details"]) == (422, {"field": "held_at"})
    assert await pool.fetchval("SELECT state FROM incidents WHERE id = $1", gas) == "open"
    # an official release can come before the first post this service saw
    status, body = await press(client, token, gas, "2026-06-01T07:00:00+08:00")
    assert (status, body["state"]) == (200, "press_conference_held")


async def test_the_event_starts_at_its_first_post(client, pool, responders, clock, token_for):
    """Posts found before the incident opened date the event: a press conference after the first is fine."""
    now = clock.now()
    event = await event_with_posts(pool, now, [{"published_at": now - timedelta(hours=3)}])
    incident = await open_incident(pool, responders, now, title="化工厂异味", event_id=event)
    token = await token_for("zhujian.head")
    status, _ = await press(
        client, token, incident, (now - timedelta(days=2, hours=3, minutes=1)).isoformat()
    )
    assert status == 422
    status, body = await press(client, token, incident, (now - timedelta(days=2, hours=2)).isoformat())
    assert status == 200, body


def test_earliest_allowed_is_the_first_sign_of_the_event():
    first_post = datetime(2026, 5, 31, 21, 0, tzinfo=UTC)
    opened = datetime(2026, 6, 1, tzinfo=UTC)
    assert earliest_allowed(opened, None, None) == opened
    assert earliest_allowed(opened, opened, first_post) == first_post


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("note", {"text": "bad \ud800 surrogate"}, "text"),
        ("resolve", {"reason": "\udfff"}, "reason"),
        ("statement", {"url": "https://x.cn/a", "text": "通报\ud83d"}, "text"),
        (
            "press-conference",
            {"held_at": "2026-06-01T08:30:00+08:00", "place": "厅\udc00", "record": "x"},
            "place",
        ),
    ],
)
async def test_lone_surrogates_are_cleaned_not_a_500(client, gas, token_for, pool, action, body, field):
    raw = json.dumps(body).encode()  # ASCII escapes: \ud800 reaches the server as a lone surrogate
    response = await client.post(
        f"/api/v1/incidents/{gas}/{action}",
        data=raw,
        headers={**bearer(await token_for("zhujian.head")), "Content-Type": "application/json"},
    )
    assert response.status == 200, await response.text()
    stored = await pool.fetchval(
        "SELECT detail FROM timeline WHERE id = $1", (await response.json())["timeline_id"]
    )
    assert "\ufffd" in json.dumps(stored["evidence"][field], ensure_ascii=False)


@pytest.mark.parametrize("charset", ["gbk", "utf-16", "latin-1"])
async def test_api_bodies_in_another_charset_are_415(client, gas, token_for, charset):
    response = await client.post(
        f"/api/v1/incidents/{gas}/note",
        data=b"{}",
        headers={
            **bearer(await token_for("zhujian.head")),
            "Content-Type": f"application/json; charset={charset}",
        },
    )
    body = await response.json()
    assert (response.status, body["error"]) == (415, "unsupported_media_type")
    assert "UTF-8" in body["message"]


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "Utf-8"])
async def test_api_bodies_in_utf8_are_accepted(client, gas, token_for, charset):
    response = await client.post(
        f"/api/v1/incidents/{gas}/note",
        data=json.dumps({"text": "已核实"}, ensure_ascii=False).encode(),
        headers={
            **bearer(await token_for("zhujian.head")),
            "Content-Type": f"application/json; charset={charset}",
        },
    )
    assert response.status == 200


async def test_the_openapi_server_url_is_relative(client):
    response = await client.get("/api/v1/openapi.json")
    assert (await response.json())["servers"] == [{"url": "/"}]


async def raw_post(port: int, path: str, header: bytes) -> int:
    """POST with a header line sent as raw bytes (clients refuse to send undecodable ones); the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".encode()
            + header
            + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: Bearer yq_\xff\xfe",
        b"Cookie: yq_session=\xffabc",
        b"Authorization: Bearer \xed\xa0\x80",
    ],
)
async def test_undecodable_credentials_are_unauthenticated(client, gas, header):
    assert await raw_post(client.server.port, f"/api/v1/incidents/{gas}/note", header) == 401


def test_secrets_with_lone_surrogates_compare_and_hash():
    assert auth.same_secret("\udcff", "csrf-token") is False
    assert len(auth.hash_secret("yq_\udcff\ud800")) == 64
