"""Which implementation serves each channel kind; built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg

from monitor.channels.alertmanager import AlertmanagerChannel
from monitor.channels.base import Channel
from monitor.channels.capture import CaptureChannel
from monitor.channels.dingtalk import DingTalkChannel
from monitor.channels.email import EmailChannel, SmtpSettings
from monitor.channels.feishu import FeishuChannel
from monitor.channels.sms import SmsChannel
from monitor.channels.webhook import WebhookChannel, template_from_env
from monitor.channels.wecom import WeComChannel
from monitor.clock import Clock

KINDS = ("dingtalk", "wecom", "feishu", "email", "sms", "voice", "webhook", "alertmanager", "capture")


@dataclass(frozen=True)
class ChannelSet:
    """Kind → implementation. `capture` is always present."""

    channels: Mapping[str, Channel]

    def get(self, kind: str) -> Channel | None:
        return self.channels.get(kind)


def build_channels(
    session: aiohttp.ClientSession,
    clock: Clock,
    env: Mapping[str, str],
    pool: asyncpg.Pool | None = None,
    *,
    capture_all: bool = False,
    printer: Callable[[str], None] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ChannelSet:
    """Real vendors, or everything to the capture channel (demo: YUQING_NOTIFY=capture)."""
    capture = CaptureChannel(clock, pool, printer)
    if capture_all:
        return ChannelSet({kind: capture for kind in KINDS})
    channels: dict[str, Channel] = {
        "dingtalk": DingTalkChannel(session, clock),
        "wecom": WeComChannel(session),
        "feishu": FeishuChannel(session, clock),
        "email": EmailChannel(SmtpSettings.from_env(env)),
        "sms": SmsChannel(session, clock, "sms"),
        "voice": SmsChannel(session, clock, "voice"),
        "webhook": WebhookChannel(session, clock, template_from_env(env)),
        "alertmanager": AlertmanagerChannel(session, clock),
        "capture": capture,
    }
    channels.update(overrides or {})
    return ChannelSet(channels)
