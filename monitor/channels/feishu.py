"""Feishu/Lark custom bot (自定义机器人): interactive card, signature in the body, `code` in the reply."""

from __future__ import annotations

import base64
import hashlib
import hmac

from monitor.channels.base import ChannelError, Destination, ErrorKind, Notice, not_configured
from monitor.channels.dingtalk import rebase
from monitor.channels.http import HttpChannel, json_bytes, post, vendor_error
from monitor.channels.markdown import body_lines, heading
from monitor.channels.text import fit

MAX_BYTES = 29000  # the vendor rejects cards over 30 KB (19036)
# code → (retryable, kind). 19021: sign match fail or timestamp not within one hour.
CODES: dict[int, tuple[bool, ErrorKind]] = {
    19021: (False, "auth"),
    19022: (False, "auth"),  # IP not allowed
    19024: (False, "auth"),  # keyword check failed
    19036: (False, "too_large"),
    9499: (False, "permanent"),
    11232: (True, "throttled"),
    11233: (True, "throttled"),
    99991400: (True, "throttled"),
    99991663: (True, "transient"),  # tenant token expired
    99991668: (True, "transient"),
    99991661: (True, "transient"),
}
_TEMPLATES = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


def sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: base64(HMAC-SHA256(key="<s>\\n<secret>", msg=b""))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _card_text(notice: Notice) -> str:
    return "\n".join(body_lines(notice, links=False)[1:])


def payloads(notice: Notice) -> list[dict[str, object]]:
    """Interactive cards: a coloured header, lark_md body and link buttons."""
    buttons = [
        {
            "tag": "button",
            "text": {"tag": "plain_text", "content": lk.label},
            "type": "primary" if i == 0 else "default",
            "url": lk.url,
        }
        for i, lk in enumerate(notice.links)
    ]
    out: list[dict[str, object]] = []
    for text in fit(notice, _card_text, MAX_BYTES - 2000):
        elements: list[dict[str, object]] = [{"tag": "div", "text": {"tag": "lark_md", "content": text}}]
        if buttons:
            elements.append({"tag": "action", "actions": buttons})
        card = {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": heading(notice)[:100]},
                "template": _TEMPLATES.get(notice.grade or 0, "grey"),
            },
            "elements": elements,
        }
        out.append({"msg_type": "interactive", "card": card})
    return out


class FeishuChannel(HttpChannel):
    """POSTs to `…/open-apis/bot/v2/hook/<token>`; `code != 0` (or StatusCode) is a failure."""

    kind = "feishu"
    max_bytes = MAX_BYTES

    async def send(self, notice: Notice, dest: Destination) -> None:
        if not dest.url:
            raise not_configured("feishu bot URL", dest)
        url = rebase(dest.url, dest.base_url)
        for body in payloads(notice):
            if dest.secret:
                ts = int(self.clock.now().timestamp())
                body = {"timestamp": str(ts), "sign": sign(dest.secret, ts), **body}
            resp = await post(self.session, url, data=json_bytes(body), deadline_s=self.timeout)
            if not isinstance(resp.body, dict):
                raise ChannelError("feishu: reply is not JSON", retryable=True)
            code = resp.body.get("code", resp.body.get("StatusCode", 0))
            if code not in (0, "0"):
                message = str(resp.body.get("msg", resp.body.get("StatusMessage", "")))
                raise vendor_error(code, message, CODES, "feishu")
