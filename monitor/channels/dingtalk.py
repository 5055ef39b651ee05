"""DingTalk custom robot (自定义机器人): actionCard/markdown, HMAC-SHA256 加签, errcode in the body."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus, urlsplit, urlunsplit

from monitor.channels.base import ChannelError, Destination, ErrorKind, Notice, not_configured
from monitor.channels.http import HttpChannel, json_bytes, post, vendor_error
from monitor.channels.markdown import markdown
from monitor.channels.text import fit

MAX_BYTES = 20000
# errcode → (retryable, kind). 130101: more than 20 messages a minute; 310000: keyword/sign/IP check failed.
CODES: dict[int, tuple[bool, ErrorKind]] = {
    -1: (True, "transient"),  # 系统繁忙
    130101: (True, "throttled"),
    90018: (True, "throttled"),
    90030: (True, "throttled"),
    310000: (False, "auth"),
    300001: (False, "auth"),
    300005: (False, "config"),  # token is not exist
    400102: (False, "config"),  # robot stopped
    40035: (False, "permanent"),
    460101: (False, "too_large"),
    101002: (False, "too_large"),
}
_COLOURS = {1: "#FF0000", 2: "#FF8C00", 3: "#D4A017", 4: "#1E90FF"}


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key=secret, msg="<ms>\\n<secret>")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(url: str, secret: str | None, timestamp_ms: int) -> str:
    """The webhook URL with `timestamp` and `sign` appended fresh for this request."""
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def rebase(url: str, base_url: str | None) -> str:
    """Point the webhook at another host (专有钉钉 / 浙政钉 deployments), keeping path and token."""
    if not base_url:
        return url
    base = urlsplit(base_url)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def _colour(text: str, grade: int | None) -> str:
    colour = _COLOURS.get(grade or 0)
    return f'<font color="{colour}">{text}</font>' if colour else text


def payloads(notice: Notice) -> list[dict[str, object]]:
    """An actionCard with buttons when there are links, else markdown; split to fit 20000 bytes."""
    title = f"【{notice.grade_label}】{notice.headline}" if notice.grade_label else notice.headline
    buttons = [{"title": lk.label, "actionURL": lk.url} for lk in notice.links]
    texts = fit(notice, lambda n: markdown(n, _colour, links=not buttons), MAX_BYTES - 2000)
    out: list[dict[str, object]] = []
    for text in texts:
        if buttons:
            card = {"title": title[:60], "text": text, "btnOrientation": "1" if len(buttons) > 2 else "0"}
            out.append({"msgtype": "actionCard", "actionCard": {**card, "btns": buttons}})
        else:
            out.append({"msgtype": "markdown", "markdown": {"title": title[:60], "text": text}})
    return out


class DingTalkChannel(HttpChannel):
    """POSTs to the robot webhook; `errcode != 0` is a failure even with HTTP 200."""

    kind = "dingtalk"
    max_bytes = MAX_BYTES

    async def send(self, notice: Notice, dest: Destination) -> None:
        if not dest.url:
            raise not_configured("dingtalk robot URL", dest)
        for body in payloads(notice):
            ts = int(self.clock.now().timestamp() * 1000)
            url = signed_url(rebase(dest.url, dest.base_url), dest.secret, ts)
            resp = await post(self.session, url, data=json_bytes(body), deadline_s=self.timeout)
            if not isinstance(resp.body, dict):
                raise ChannelError("dingtalk: reply is not JSON", retryable=True)
            code = resp.body.get("errcode", 0)
            if code not in (0, "0"):
                raise vendor_error(code, str(resp.body.get("errmsg", "")), CODES, "dingtalk")
