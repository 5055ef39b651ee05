"""SMS/voice gateway and generic webhook: HMAC header verified by the receiver, templates, retry table."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from monitor.channels.base import ChannelError, Destination
from monitor.channels.sms import SmsChannel
from monitor.channels.webhook import WebhookChannel, render
from monitor.clock import FakeClock
from tests.channels.fakes import FakeGateway, serve
from tests.channels.notices import NOW, notice


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_sms_is_signed_short_and_carries_the_ack_link(session: aiohttp.ClientSession) -> None:
    clock = FakeClock(NOW)
    gw = FakeGateway(clock)
    async with serve(gw.app()) as base:
        channel = SmsChannel(session, clock)
        dest = Destination(
            "sms", "sms:+8613800000001", to="+8613800000001", url=f"{base}/send", secret=gw.secret
        )
        await channel.send(notice(), dest)
        body = gw.received[0]
        assert body["to"] == "+8613800000001" and body["type"] == "sms"
        assert len(body["text"].encode()) <= 600 and "确认接报：https://yq.example/l/" in body["text"]
        assert gw.keys == [notice().key]
        with pytest.raises(ChannelError) as bad:
            await channel.send(
                notice(), Destination("sms", "s", to="+86", url=f"{base}/send", secret="wrong")
            )
        assert not bad.value.retryable and bad.value.kind == "auth"
        gw.reply = {"code": "RATE_LIMIT", "message": "too many"}
        with pytest.raises(ChannelError) as throttled:
            await channel.send(notice(), dest)
        assert throttled.value.retryable
        gw.reply = {"code": "INVALID_NUMBER", "message": "空号"}
        with pytest.raises(ChannelError) as invalid:
            await channel.send(notice(), dest)
        assert not invalid.value.retryable
        gw.down_until, gw.down_status = NOW.replace(year=2030), 503
        with pytest.raises(ChannelError) as down:
            await channel.send(notice(), dest)
        assert down.value.retryable


async def test_webhook_template_and_signature(session: aiohttp.ClientSession) -> None:
    clock = FakeClock(NOW)
    gw = FakeGateway(clock, secret="hook-secret")
    template = {"msg": "${headline}：${title}", "incident": "${incident_id}", "links": "${links}", "fixed": 1}
    async with serve(gw.app()) as base:
        channel = WebhookChannel(session, clock, template)
        await channel.send(
            notice(title="标题\"带引号'与${headline}"),
            Destination("webhook", "h", url=f"{base}/hook", secret="hook-secret"),
        )
    body = gw.received[0]
    assert body["msg"] == "新舆情事件，请确认接报：标题\"带引号'与${headline}"  # values are never re-expanded
    assert body["incident"] == 1 and body["fixed"] == 1
    assert body["links"][0] == {"label": "确认接报", "url": "https://yq.example/l/eyJ2IjoxfQ.sig"}


def test_render_keeps_types() -> None:
    assert render({"a": ["${n}", "x${n}"]}, {"n": 3}) == {"a": [3, "x3"]}


async def test_webhook_4xx_is_permanent_5xx_retries(session: aiohttp.ClientSession) -> None:
    clock = FakeClock(NOW)
    gw = FakeGateway(clock, secret="s")
    async with serve(gw.app()) as base:
        channel = WebhookChannel(session, clock)
        with pytest.raises(ChannelError) as unsigned:
            await channel.send(notice(), Destination("webhook", "h", url=f"{base}/hook"))
        assert not unsigned.value.retryable
        gw.down_until, gw.down_status = NOW.replace(year=2030), 500
        with pytest.raises(ChannelError) as down:
            await channel.send(notice(), Destination("webhook", "h", url=f"{base}/hook", secret="s"))
        assert down.value.retryable
