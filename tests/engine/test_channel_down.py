"""A DingTalk robot down for 10 simulated minutes: every message arrives after recovery or on a fallback."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import asyncpg
import pytest

from monitor.channels.registry import build_channels
from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.engine.tick import Engine
from monitor.links import LinkSigner
from monitor.outbox.retry import RetryPolicy
from monitor.outbox.sender import Sender
from tests.channels.fakes import FakeDingTalk, FakeGateway, serve
from tests.channels.smtp import Mailbox
from tests.engine.helpers import drive, open_incident


@pytest.mark.parametrize("fallback_after_s", [180.0, 3600.0], ids=["falls-back", "waits-for-recovery"])
async def test_robot_down_ten_minutes(
    pool: asyncpg.Pool,
    clock: FakeClock,
    responders: Responders,
    fallback_after_s: float,
    smtp: tuple[Mailbox, int],
) -> None:
    t0 = clock.now()
    recovery = t0 + timedelta(minutes=10)
    robot = FakeDingTalk(clock, down_until=recovery)
    gateway = FakeGateway(clock)
    box, smtp_port = smtp
    async with (
        serve(robot.app()) as robot_url,
        serve(gateway.app()) as gw_url,
        aiohttp.ClientSession() as http,
    ):
        env = {
            "YQ_YINGJI_DINGTALK_URL": f"{robot_url}/robot/send?access_token={robot.token}",
            "YQ_YINGJI_DINGTALK_SECRET": robot.secret or "",
            "YUQING_SMS_GATEWAY_URL": f"{gw_url}/sms",
            "YUQING_SMS_GATEWAY_SECRET": gateway.secret or "",
            "YUQING_SMTP_HOST": "127.0.0.1",
            "YUQING_SMTP_PORT": str(smtp_port),
        }
        channels = build_channels(http, clock, env, pool)
        sender = Sender(
            pool, clock, responders, channels, links=LinkSigner(b"s", "https://yq.example"), env=env,
            worker_id="s", retry=RetryPolicy(fallback_after_s=fallback_after_s),
        )  # fmt: skip
        workers = [(Engine(pool, clock, None, responders), sender)]
        async with pool.acquire() as conn:
            for _ in range(3):
                await open_incident(conn, responders, clock.now(), grade=2, lead="yingji")
        await drive(pool, clock, workers, t0 + timedelta(minutes=25))

    rows = await pool.fetch("SELECT * FROM outbox ORDER BY id")
    assert rows and {r["status"] for r in rows} <= {"sent", "merged"}, "a message was lost"
    twice = await pool.fetchval(
        """SELECT count(*) FROM (SELECT outbox_id FROM outbox_attempts WHERE outcome = 'sent'
                                 GROUP BY outbox_id HAVING count(*) > 1) x"""
    )
    assert twice == 0
    group_rows = [r for r in rows if r["target"] == "channel:yingji/group"]
    on_robot = [r for r in rows if r["sent_via"] == "channel:yingji/group"]
    assert all(r["sent_at"] >= recovery for r in on_robot)
    failures = await pool.fetchval("SELECT count(*) FROM outbox_attempts WHERE outcome = 'retry'")
    assert failures > 0 and robot.requests > len(robot.received)
    if fallback_after_s < 600:
        early = [r for r in group_rows if r["created_at"] < recovery]
        assert early and all(r["sent_via"] == "channel:yingji/mail" for r in early)
        assert all(r["sent_at"] <= r["created_at"] + timedelta(seconds=fallback_after_s + 1) for r in early)
        assert box.messages and gateway.received
    else:
        assert all(r["sent_via"] == "channel:yingji/group" for r in group_rows)
        assert robot.received and all(t >= recovery for t in robot.received_at)
