"""E-mail through aiosmtplib to a real aiosmtpd server on loopback: delivery, escaping, SMTP error codes."""

from __future__ import annotations

import pytest

from monitor.channels.base import ChannelError, Destination
from monitor.channels.email import EmailChannel, SmtpSettings
from tests.channels.notices import notice
from tests.channels.smtp import Mailbox
from tests.ports import free_port


async def test_mail_is_delivered_with_escaped_html(smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=port, sender="yuqing@yunjiang.gov.cn"))
    await channel.send(notice(), Destination("email", "email:x", to="yingji.head@yunjiang.gov.cn"))
    msg = box.messages[0]
    assert msg["To"] == "yingji.head@yunjiang.gov.cn"
    assert msg["X-Yuqing-Idempotency-Key"] == notice().key
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()
    }
    assert "确认接报：https://yq.example/l/eyJ2IjoxfQ.sig" in parts["text/plain"]
    html = parts["text/html"]
    assert "<font color=red>" not in html and "&lt;font color=red&gt;" in html
    assert '<a href="https://yq.example/l/eyJ2IjoxfQ.sig">确认接报</a>' in html


@pytest.mark.parametrize(("reply", "retryable"), [("450 mailbox busy", True), ("550 no such user", False)])
async def test_smtp_codes(smtp: tuple[Mailbox, int], reply: str, retryable: bool) -> None:
    box, port = smtp
    box.refuse = reply
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=port))
    with pytest.raises(ChannelError) as err:
        await channel.send(notice(), Destination("email", "email:x", to="nobody@yunjiang.gov.cn"))
    assert err.value.retryable is retryable


async def test_server_down_is_retryable() -> None:
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2))
    with pytest.raises(ChannelError) as err:
        await channel.send(notice(), Destination("email", "email:x", to="a@b.cn"))
    assert err.value.retryable
