"""An event's figures as people read them, in one line: the incident's opening summary, the incident page
and every message use it."""

from __future__ import annotations

from collections.abc import Iterable

CHANNEL_NAMES = {"weibo": "微博", "news": "新闻", "wechat": "公众号", "hotline": "12345"}


def channel_names(channels: Iterable[str]) -> str:
    """微博、新闻: the channels as people name them, in a stable order."""
    return "、".join(CHANNEL_NAMES.get(c, c) for c in sorted(channels))


def event_summary(posts: int, channels: Iterable[str], heat: float, negative_share: float) -> str:
    """`5条 · 新闻、微博 · 热度54 · 负面32%`: an event's figures in one line (incidents, pages, messages)."""
    return f"{posts}条 · {channel_names(channels)} · 热度{heat:.0f} · 负面{negative_share:.0%}"
