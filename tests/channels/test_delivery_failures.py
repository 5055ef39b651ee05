"""A destination that cannot be reached: the error names the variable to set, and permanent failures and
giving up reach the service log (the incident, the destination, the reason; never a URL or secret)."""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from monitor.channels.alertmanager import AlertmanagerChannel
from monitor.channels.base import Channel, ChannelError, Destination
from monitor.channels.dingtalk import DingTalkChannel
from monitor.channels.email import SmtpSettings
from monitor.channels.feishu import FeishuChannel
from monitor.channels.registry import build_channels
from monitor.channels.sms import SmsChannel
from monitor.channels.webhook import WebhookChannel
from monitor.channels.wecom import WeComChannel
from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.engine.tick import Engine
from monitor.links import LinkSigner
from monitor.outbox.retry import RetryPolicy
from monitor.outbox.routes import resolve
from monitor.outbox.sender import Sender
from tests.channels.fakes import serve
from tests.channels.notices import NOW, notice
from tests.engine.helpers import drive, open_incident
from tests.ports import free_port


async def test_every_not_configured_error_names_its_variable() -> None:
    clock = FakeClock(NOW)
    async with aiohttp.ClientSession() as session:
        channels: list[Channel] = [
            DingTalkChannel(session, clock),
            WeComChannel(session),
            FeishuChannel(session, clock),
            SmsChannel(session, clock, "sms"),
            SmsChannel(session, clock, "voice"),
            WebhookChannel(session, clock),
            AlertmanagerChannel(session, clock),
        ]
        for channel in channels:
            dest = Destination(channel.kind, "k", to="+8613800000001", url_env="YQ_X_URL")
            with pytest.raises(ChannelError) as err:
                await channel.send(notice(), dest)
            assert not err.value.retryable and err.value.kind == "config"
            assert err.value.reason.endswith("not configured: set YQ_X_URL (or YQ_X_URL_FILE)"), channel.kind


def test_routes_carry_the_variable_their_url_comes_from(responders: Responders) -> None:
    group = resolve(responders, "channel:shuiwu/group", {})
    assert (group[0].url, group[0].url_env) == (None, "YQ_SHUIWU_WECOM_URL")
    duty = resolve(responders, "person:shuiwu.duty", {})
    sms = next(d for d in duty if d.kind == "sms")
    assert sms.url_env == "YUQING_SMS_GATEWAY_URL"
    assert next(d for d in duty if d.kind == "email").url_env is None


async def _refuse(request: web.Request) -> web.Response:
    return web.Response(status=404, text="no such route")


async def test_permanent_failures_and_giving_up_are_logged_without_secrets(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = clock.now()
    app = web.Application()
    app.router.add_post("/{tail:.*}", _refuse)
    async with serve(app) as base, aiohttp.ClientSession() as http:
        gateway = f"{base}/sms/gw-secret-31415"
        env = {
            "YUQING_SMS_GATEWAY_URL": gateway,  # answers 404: permanent
            "YUQING_SMS_GATEWAY_SECRET": "sig-secret-27182",
            "YUQING_SMTP_HOST": "127.0.0.1",
            "YUQING_SMTP_PORT": str(free_port()),  # nobody listens: retried, then given up
        }  # YQ_SHUIWU_WECOM_URL unset
        sender = Sender(
            pool, clock, responders, build_channels(http, clock, env, pool),
            links=LinkSigner(b"s", "https://yq.example"), env=env, worker_id="s",
            retry=RetryPolicy(fallback_after_s=60, give_up_after_s=600),
        )  # fmt: skip
        async with pool.acquire() as conn:
            iid = await open_incident(conn, responders, t0, grade=4, lead="shuiwu")
        with caplog.at_level(logging.WARNING, logger="monitor.outbox.sender"):
            await drive(
                pool, clock, [(Engine(pool, clock, None, responders), sender)], t0 + timedelta(minutes=15)
            )

    errors = await pool.fetch(
        "SELECT detail FROM timeline WHERE incident_id = $1 AND kind = 'notification'", iid
    )
    reasons = {e["detail"]["error"] for e in errors}
    assert "wecom robot URL not configured: set YQ_SHUIWU_WECOM_URL (or YQ_SHUIWU_WECOM_URL_FILE)" in reasons
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    about = f"message for incident {iid} to "
    assert any(
        about + "水务局/group (wecom) failed: wecom robot URL not configured: set YQ_SHUIWU_WECOM_URL" in m
        for m in logged
    ), logged
    assert any(about in m and "(sms) failed: HTTP 404" in m and "falling back to" in m for m in logged), (
        logged
    )
    assert any(about in m and "(email) kept failing: smtp:" in m for m in logged), logged
    assert any(about in m and "giving up: not delivered" in m for m in logged), logged
    text = "\n".join(logged)
    assert "gw-secret-31415" not in text and "sig-secret-27182" not in text and base not in text
    assert "13864540001" not in text  # phone numbers are masked in destination labels


def test_empty_smtp_settings_mean_the_documented_defaults() -> None:
    """deploy/yuqing.env.example lists `YUQING_SMTP_HOST=` to fill in; empty must not become host ''."""
    settings = SmtpSettings.from_env(
        {"YUQING_SMTP_HOST": "", "YUQING_SMTP_PORT": "", "YUQING_SMTP_TLS": "", "YUQING_SMTP_FROM": " "}
    )
    assert (settings.host, settings.port, settings.tls) == ("127.0.0.1", 25, "none")
    assert settings.sender == "yuqing@localhost"
