"""SMS and voice through a generic gateway: signed JSON POST; HTTP status and body `code` decide retry."""

from __future__ import annotations

import aiohttp

from monitor.channels.base import (
    Destination,
    Notice,
    not_configured,
    permanent,
    responsibility,
    throttled,
    transient,
)
from monitor.channels.http import json_bytes, post
from monitor.channels.signing import signed_headers
from monitor.channels.text import clock_text, fit_bytes, plain
from monitor.clock import Clock

SMS_BYTES = 600  # long SMS: the gateway concatenates segments; keep it to a few
VOICE_BYTES = 300


def sms_text(notice: Notice, max_bytes: int) -> str:
    """One short paragraph: grade, headline, title, the nearest clock, and the ack link."""
    grade = f"【{notice.grade_label}】" if notice.grade_label else ""
    clock = next((c for c in notice.clocks if c.phase in ("overdue", "running")), None)
    parts = [f"{grade}{notice.headline}：{plain(notice.title, 60)}"]
    if notice.department:
        parts.append(responsibility(notice, colon=""))
    if clock:
        parts.append(clock_text(clock))
    if notice.items:
        parts.append(f"共{len(notice.items)}条待处理")
    link = next((lk for lk in notice.links if lk.label.startswith("确认")), None) or (
        notice.links[0] if notice.links else None
    )
    tail = f" {link.label}：{link.url}" if link else ""
    room = max_bytes - len(tail.encode())
    return fit_bytes("；".join(parts), room) + tail


class SmsChannel:
    """`kind` is `sms` or `voice`; the gateway URL and secret come with the destination."""

    def __init__(
        self, session: aiohttp.ClientSession, clock: Clock, kind: str = "sms", timeout: float = 10.0
    ):
        self.session = session
        self.clock = clock
        self.kind = kind
        self.max_bytes = SMS_BYTES if kind == "sms" else VOICE_BYTES
        self.timeout = timeout

    async def send(self, notice: Notice, dest: Destination) -> None:
        if not dest.url:
            raise not_configured(f"{self.kind} gateway URL", dest)
        if not dest.to:
            raise permanent(f"{self.kind}: no phone number", "config")
        text = sms_text(notice, self.max_bytes)
        body = json_bytes({"to": dest.to, "type": self.kind, "text": text, "idempotency_key": notice.key})
        ts = int(self.clock.now().timestamp())
        headers = signed_headers(dest.secret, ts, body, notice.key)
        resp = await post(self.session, dest.url, data=body, headers=headers, deadline_s=self.timeout)
        reply = resp.body if isinstance(resp.body, dict) else {}
        code = str(reply.get("code", "0")).upper()
        if reply.get("ok") is True or code in ("0", "OK", "SUCCESS"):
            return
        message = str(reply.get("message", ""))[:200]
        if "LIMIT" in code or "THROTTL" in code:
            raise throttled(f"{self.kind} gateway {code}: {message}", 30.0)
        if "BUSY" in code or "TIMEOUT" in code or reply.get("retryable") is True:
            raise transient(f"{self.kind} gateway {code}: {message}")
        raise permanent(f"{self.kind} gateway {code}: {message}")
