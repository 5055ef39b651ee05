"""Replay archives: timestamped JSON lines of posts, validated line by line (bad lines reported, skipped)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.clock import SHANGHAI

SOURCES = {"weibo": "weibo", "news": "feed", "wechat": "feed", "hotline": "hotline"}
MAX_TEXT = 20_000


@dataclass(frozen=True)
class ArchivePost:
    """One line: `{"id", "text", "published_at", optional source/author/followers/verified_type/...}`."""

    id: str
    text: str
    published_at: datetime
    source: str = "weibo"
    title: str = ""
    url: str | None = None
    author: str | None = None
    followers: int | None = None
    verified_type: int | None = None
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    region: str | None = None
    parent_id: str | None = None
    urgency: str | None = None


def parse_time(value: Any) -> datetime:
    """ISO-8601 (naive means Asia/Shanghai) or Unix seconds → aware UTC."""
    if isinstance(value, bool):
        raise ValueError("published_at: expected ISO-8601 or Unix seconds")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str) and value.strip():
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return (t if t.tzinfo else t.replace(tzinfo=SHANGHAI)).astimezone(UTC)
    raise ValueError("published_at: expected ISO-8601 or Unix seconds")


def _count(raw: dict[str, Any], name: str) -> int:
    value = raw.get(name)
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name}: expected a number")
    return max(int(float(value)), 0)


def _optional_int(raw: dict[str, Any], name: str) -> int | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name}: expected a number")
    return int(float(value))


def _optional_str(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    return None if value is None or value == "" else str(value)


def parse_line(line: str) -> ArchivePost:
    """One JSON line → ArchivePost; ValueError says what is wrong."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ValueError("expected a JSON object")
    post_id, text = raw.get("id"), raw.get("text")
    if post_id is None or str(post_id) == "":
        raise ValueError("id: required")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text: required, non-empty")
    source = str(raw.get("source") or "weibo")
    if source not in SOURCES:
        raise ValueError(f"source: expected one of {', '.join(SOURCES)}")
    return ArchivePost(
        id=str(post_id)[:200],
        text=text[:MAX_TEXT],
        published_at=parse_time(raw.get("published_at")),
        source=source,
        title=str(raw.get("title") or "")[:500],
        url=_optional_str(raw, "url"),
        author=_optional_str(raw, "author"),
        followers=_optional_int(raw, "followers"),
        verified_type=_optional_int(raw, "verified_type"),
        reposts=_count(raw, "reposts"),
        comments=_count(raw, "comments"),
        likes=_count(raw, "likes"),
        region=_optional_str(raw, "region"),
        parent_id=_optional_str(raw, "parent_id"),
        urgency=_optional_str(raw, "urgency"),
    )


def read_archive(lines: Iterable[str]) -> tuple[list[ArchivePost], list[str]]:
    """Posts sorted by time (ties keep file order) and one problem per bad line (`line 7: text: required`)."""
    posts: list[ArchivePost] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            p = parse_line(line)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if (p.source, p.id) in seen:
            problems.append(f"line {number}: duplicate id {p.id!r} for source {p.source}")
            continue
        seen.add((p.source, p.id))
        posts.append(p)
    posts.sort(key=lambda p: p.published_at)
    return posts, problems


def load_archive(path: Path) -> tuple[list[ArchivePost], list[str]]:
    with path.open(encoding="utf-8", errors="replace") as f:
        return read_archive(f)


def roots(posts: list[ArchivePost]) -> dict[str, str]:
    """Each repost's root id, following parent links within the archive (cycles stop where they loop)."""
    parent = {p.id: p.parent_id for p in posts if p.parent_id}
    out: dict[str, str] = {}
    for pid in parent:
        seen = {pid}
        cur = parent[pid]
        while cur in parent and parent[cur] and parent[cur] not in seen:
            seen.add(cur)
            cur = parent[cur]
        if cur:
            out[pid] = cur
    return out


def fingerprint(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
