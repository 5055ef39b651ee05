"""DingTalk, WeCom and Feishu channels against local look-alikes that verify signatures like the vendors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from monitor.channels.base import ChannelError, Destination
from monitor.channels.dingtalk import DingTalkChannel, sign, signed_url
from monitor.channels.feishu import FeishuChannel
from monitor.channels.feishu import sign as feishu_sign
from monitor.channels.wecom import WeComChannel
from monitor.clock import FakeClock
from tests.channels.fakes import FakeDingTalk, FakeFeishu, FakeWeCom, serve
from tests.channels.notices import NOW, digest_of, notice


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(NOW)


def test_dingtalk_sign_matches_the_documented_vector() -> None:
    # secret "SECtest", timestamp 1700000000000 → aZLL…h4g= (see research notes)
    assert sign("SECtest", 1700000000000) == "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D"
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SECtest", 1700000000000)
    assert url.endswith("&timestamp=1700000000000&sign=aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D")


def test_feishu_sign_matches_the_documented_vector() -> None:
    assert feishu_sign("SECtest", 1700000000) == "G7XpBpG8NgG02fJOAhX6FRAObIljmFoxVReo8I62pEk="


async def test_dingtalk_action_card_signed_and_escaped(session, fake_clock: FakeClock) -> None:
    fake = FakeDingTalk(fake_clock)
    async with serve(fake.app()) as base:
        channel = DingTalkChannel(session, fake_clock)
        # 专有钉钉/浙政钉: the configured base URL replaces the public host, keeping the token
        dest = Destination(
            "dingtalk",
            "channel:yingji/group",
            url="https://oapi.dingtalk.com/robot/send?access_token=dt-token",
            secret=fake.secret,
            base_url=base,
        )
        await channel.send(notice(), dest)
    card = fake.received[0]["actionCard"]
    assert [b["title"] for b in card["btns"]] == ["确认接报", "查看详情"]
    assert card["btns"][0]["actionURL"] == "https://yq.example/l/eyJ2IjoxfQ.sig"
    assert "evil.example/x)" not in card["text"] and "<@all>" not in card["text"]
    assert "Ⅱ级 重大·橙" in card["text"] and "剩余 3小时12分" in card["text"]


async def test_dingtalk_errors_are_classified(session, fake_clock: FakeClock) -> None:
    fake = FakeDingTalk(fake_clock)
    async with serve(fake.app()) as base:
        channel = DingTalkChannel(session, fake_clock)
        good = Destination(
            "dingtalk", "d", url=f"{base}/robot/send?access_token=dt-token", secret=fake.secret
        )
        with pytest.raises(ChannelError) as bad_sign:
            await channel.send(notice(), Destination("dingtalk", "d", url=good.url, secret="SECwrong"))
        assert (bad_sign.value.retryable, bad_sign.value.kind) == (
            False,
            "auth",
        ) and "310000" in bad_sign.value.reason
        with pytest.raises(ChannelError) as no_token:
            await channel.send(
                notice(), Destination("dingtalk", "d", url=f"{base}/robot/send?access_token=x")
            )
        assert not no_token.value.retryable and "300005" in no_token.value.reason
        for _ in range(20):
            await channel.send(notice(), good)
        with pytest.raises(ChannelError) as throttled:
            await channel.send(notice(), good)
        assert (
            throttled.value.retryable
            and throttled.value.kind == "throttled"
            and "130101" in throttled.value.reason
        )
        fake_clock.advance(61)
        fake.down_until = fake_clock.now().replace(year=2027)
        with pytest.raises(ChannelError) as down:
            await channel.send(notice(), good)
        assert down.value.retryable and "502" in down.value.reason
    with pytest.raises(ChannelError) as refused:  # nobody listening any more
        await channel.send(notice(), good)
    assert refused.value.retryable


async def test_dingtalk_long_digest_is_split_under_the_limit(session, fake_clock: FakeClock) -> None:
    fake = FakeDingTalk(fake_clock, limit=100)
    async with serve(fake.app()) as base:
        dest = Destination(
            "dingtalk", "d", url=f"{base}/robot/send?access_token=dt-token", secret=fake.secret
        )
        await DingTalkChannel(session, fake_clock).send(digest_of(200), dest)
    assert len(fake.received) > 1
    assert all(len(json.dumps(b, ensure_ascii=False).encode()) <= 20000 for b in fake.received)


async def test_wecom_markdown_limit_and_errors(session, fake_clock: FakeClock) -> None:
    fake = FakeWeCom(fake_clock)
    async with serve(fake.app()) as base:
        channel = WeComChannel(session)
        dest = Destination("wecom", "w", url=f"{base}/cgi-bin/webhook/send?key=wc-key")
        await channel.send(notice(summary="超长摘要" * 3000), dest)
        content = fake.received[0]["markdown"]["content"]
        assert (
            len(content.encode()) <= 4096 and '<font color="warning">' in content and "<@all>" not in content
        )
        await channel.send(digest_of(80), dest)
        assert len(fake.received) > 2
        with pytest.raises(ChannelError) as bad_key:
            await channel.send(
                notice(), Destination("wecom", "w", url=f"{base}/cgi-bin/webhook/send?key=nope")
            )
        assert not bad_key.value.retryable and "93000" in bad_key.value.reason
        while len(fake.received) < 20:
            await channel.send(notice(), dest)
        with pytest.raises(ChannelError) as throttled:
            await channel.send(notice(), dest)
        assert throttled.value.retryable and "45009" in throttled.value.reason


async def test_feishu_card_signature_in_body(session, fake_clock: FakeClock) -> None:
    fake = FakeFeishu(fake_clock)
    async with serve(fake.app()) as base:
        channel = FeishuChannel(session, fake_clock)
        dest = Destination("feishu", "f", url=f"{base}/open-apis/bot/v2/hook/fs-token", secret=fake.secret)
        await channel.send(notice(), dest)
        card = fake.received[0]["card"]
        assert card["header"]["template"] == "orange"
        buttons = card["elements"][1]["actions"]
        assert buttons[0]["url"] == "https://yq.example/l/eyJ2IjoxfQ.sig"
        assert "<at" not in card["elements"][0]["text"]["content"]
        with pytest.raises(ChannelError) as bad:
            await channel.send(notice(), Destination("feishu", "f", url=dest.url, secret="wrong"))
        assert not bad.value.retryable and "19021" in bad.value.reason
        fake.limit = 1
        with pytest.raises(ChannelError) as throttled:
            await channel.send(notice(), dest)
        assert throttled.value.retryable and throttled.value.kind == "throttled"
