"""Message text: escaping hostile post text for chat markdown, Chinese durations, fitting byte limits."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from monitor.channels.base import ClockLine, Notice

# Markdown, HTML and mention syntax become full-width twins: inert in every renderer, readable in Chinese.
_FULL_WIDTH = str.maketrans(
    {
        "\\": "＼",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "<": "＜",
        ">": "＞",
        "#": "＃",
        "|": "｜",
        "!": "！",
        "~": "～",
        "@": "＠",
        "&": "＆",
        "$": "＄",
        "{": "｛",
        "}": "｝",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SCHEME = re.compile(r"(?i)\b(https?|ftp|dingtalk|weixin|lark|feishu|mailto|tel|javascript|data)\s*:")
_WWW = re.compile(r"(?i)\bwww\.")


def escape(text: str, limit: int | None = None) -> str:
    """Neutralise post text for chat markdown: no formatting, links, mentions or line structure survive."""
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())  # newlines could start headings, quotes or lists
    text = text.translate(_FULL_WIDTH)
    text = _SCHEME.sub(lambda m: m.group(1) + "：", text)  # defang auto-linking of URLs in post text
    text = _WWW.sub("www．", text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def plain(text: str, limit: int | None = None) -> str:
    """Post text for plain channels (SMS, e-mail text part): one line, no control characters."""
    text = " ".join(_CONTROL.sub("", text).split())
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def duration(seconds: float) -> str:
    """`3小时12分`, `45分`, `2天3小时`."""
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{minutes}分" if minutes else f"{hours}小时"
    return f"{minutes}分"


def clock_text(clock: ClockLine) -> str:
    """`发布权威信息：剩余 3小时12分` / `已超时 20分` / `已完成`."""
    if clock.phase == "met":
        return f"{clock.label}：已完成"
    if clock.phase == "closed":
        return f"{clock.label}：已关闭"
    if clock.phase == "overdue" or clock.remaining_s < 0:
        return f"{clock.label}：已超时 {duration(clock.remaining_s)}"
    return f"{clock.label}：剩余 {duration(clock.remaining_s)}"


def fit_bytes(text: str, max_bytes: int, marker: str = "…") -> str:
    """Cut `text` on a character boundary so its UTF-8 form fits `max_bytes`."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    room = max(0, max_bytes - len(marker.encode("utf-8")))
    return data[:room].decode("utf-8", "ignore") + marker


def fit(notice: Notice, render: Callable[[Notice], str], max_bytes: int) -> list[str]:
    """Render within `max_bytes`: shorten the summary, then split a digest into parts, then cut."""
    text = render(notice)
    if len(text.encode("utf-8")) <= max_bytes:
        return [text]
    for limit in (400, 120, 40, 0):
        shorter = _shortened(notice, limit)
        text = render(shorter)
        if len(text.encode("utf-8")) <= max_bytes:
            return [text]
    if len(notice.items) > 1:
        return _split(_shortened(notice, 0), render, max_bytes)
    return [fit_bytes(text, max_bytes)]


def _shortened(notice: Notice, limit: int) -> Notice:
    summary = notice.summary[:limit] + ("…（详见链接）" if len(notice.summary) > limit else "")
    items = tuple(replace(i, summary=i.summary[: limit // 2]) for i in notice.items)
    return replace(notice, summary=summary if limit else "", items=items)


def _split(notice: Notice, render: Callable[[Notice], str], max_bytes: int) -> list[str]:
    parts: list[list[Notice]] = [[]]
    for item in notice.items:
        trial = replace(notice, items=(*parts[-1], item))
        if parts[-1] and len(render(trial).encode("utf-8")) > max_bytes - 16:
            parts.append([item])
        else:
            parts[-1].append(item)
    total = len(parts)
    out = []
    for n, items in enumerate(parts, 1):
        part = replace(notice, headline=f"{notice.headline}（{n}/{total}）", items=tuple(items))
        out.append(fit_bytes(render(part), max_bytes))
    return out
