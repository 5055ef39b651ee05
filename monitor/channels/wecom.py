"""WeCom group robot (企业微信群机器人): markdown up to 4096 bytes, errcode in an HTTP 200 body."""

from __future__ import annotations

import aiohttp

from monitor.channels.base import ChannelError, Destination, ErrorKind, Notice, not_configured
from monitor.channels.dingtalk import rebase
from monitor.channels.http import json_bytes, post, vendor_error
from monitor.channels.markdown import markdown
from monitor.channels.text import fit

MAX_BYTES = 4096
# errcode → (retryable, kind). 45009: api freq out of limit (20/min per robot).
CODES: dict[int, tuple[bool, ErrorKind]] = {
    -1: (True, "transient"),  # system busy
    45009: (True, "throttled"),
    45033: (True, "throttled"),
    42001: (True, "transient"),  # access_token expired: the next attempt gets a new one
    40014: (True, "transient"),
    93000: (False, "config"),  # invalid webhook url
    93004: (False, "config"),
    40008: (False, "permanent"),
    44004: (False, "permanent"),
    40058: (False, "permanent"),
    40001: (False, "auth"),
}
_COLOURS = {1: "warning", 2: "warning", 3: "comment", 4: "info"}


def _colour(text: str, grade: int | None) -> str:
    colour = _COLOURS.get(grade or 0)
    return f'<font color="{colour}">{text}</font>' if colour else text


def payloads(notice: Notice) -> list[dict[str, object]]:
    """Markdown messages, each within 4096 bytes of content."""
    texts = fit(notice, lambda n: markdown(n, _colour), MAX_BYTES)
    return [{"msgtype": "markdown", "markdown": {"content": text}} for text in texts]


class WeComChannel:
    """POSTs to `…/cgi-bin/webhook/send?key=…` (the key is the only credential; no signing exists)."""

    kind = "wecom"
    max_bytes = MAX_BYTES

    def __init__(self, session: aiohttp.ClientSession, timeout: float = 10.0) -> None:
        self.session = session
        self.timeout = timeout

    async def send(self, notice: Notice, dest: Destination) -> None:
        if not dest.url:
            raise not_configured("wecom robot URL", dest)
        url = rebase(dest.url, dest.base_url)
        for body in payloads(notice):
            resp = await post(self.session, url, data=json_bytes(body), deadline_s=self.timeout)
            if not isinstance(resp.body, dict):
                raise ChannelError("wecom: reply is not JSON", retryable=True)
            code = resp.body.get("errcode", 0)
            if code not in (0, "0"):
                raise vendor_error(code, str(resp.body.get("errmsg", "")), CODES, "wecom")
