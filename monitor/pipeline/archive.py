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
from monitor.sources.post import MAX_COUNT
from monitor.sources.text import storable_text, truncate

SOURCES = {"weibo": "weibo", "news": "feed", "wechat": "feed", "hotline": "hotline"}
MAX_TEXT = 20_000
MAX_INT = 2**31 - 1  # verified_type is an int column
# Posts outside these years are mistakes; the bounds leave room for the poll cycle, the drain and the
# look-back windows of grouping and clocks without leaving the range datetime and PostgreSQL can hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


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
    handler_unit: str | None = None  # a 12345 order's 承办单位
    assist_units: tuple[str, ...] = ()  # and its 协办单位


def _shown(value: object) -> str:
    """A bad value as a message quotes it: repr, cut short (a hostile line may be megabytes)."""
    return truncate(repr(value), 60)


def parse_time(value: Any) -> datetime:
    """ISO 8601 (naive means Asia/Shanghai) or Unix seconds → aware UTC, from EARLIEST to before LATEST."""
    if isinstance(value, str) and value.strip():
        try:
            t = _iso_time(value.strip())
        except OverflowError:
            t = None
        except ValueError as exc:
            detail = str(exc)
            reason = "" if detail.startswith("Invalid isoformat") else f" ({detail})"
            raise ValueError(f"published_at: not an ISO 8601 time: {_shown(value)}{reason}") from None
    elif isinstance(value, int | float) and not isinstance(value, bool) and value == value:  # not NaN
        try:
            t = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):  # OSError: the platform's time_t cannot hold it
            t = None
    else:
        raise ValueError("published_at: expected ISO 8601 or Unix seconds")
    if t is None or not EARLIEST <= t < LATEST:
        raise ValueError(
            f"published_at: out of range ({EARLIEST.year} to {LATEST.year - 1}): {_shown(value)}"
        )
    return t


def _iso_time(text: str) -> datetime:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=SHANGHAI)).astimezone(UTC)


def _number(raw: dict[str, Any], name: str, limit: int) -> int | None:
    """A whole number from a number or numeric string, within ±limit so it fits its column."""
    value = raw.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name}: expected a number")
    try:
        number = value if isinstance(value, int) else float(value)
    except ValueError:
        raise ValueError(f"{name}: expected a number, got {_shown(value)}") from None
    if number != number:  # NaN
        raise ValueError(f"{name}: expected a number, got {_shown(value)}")
    if not -limit <= number <= limit:
        raise ValueError(f"{name}: out of range (at most {limit}): {_shown(value)}")
    return int(number)


def _count(raw: dict[str, Any], name: str) -> int:
    return max(_number(raw, name, MAX_COUNT) or 0, 0)


def _optional_str(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    text = None if value is None else storable_text(str(value))
    return text or None


def _units(raw: dict[str, Any]) -> tuple[str, ...]:
    value = raw.get("assist_units")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise ValueError(f"assist_units: expected a list of unit names, got {_shown(value)}")
    return tuple(u for u in (storable_text(u).strip()[:200] for u in value[:10]) if u)


def parse_line(line: str) -> ArchivePost:
    """One JSON line → ArchivePost; ValueError names the field that is wrong."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    except ValueError:  # an integer literal longer than Python converts
        raise ValueError("not JSON: a number has too many digits") from None
    except RecursionError:
        raise ValueError("not JSON: nested too deeply") from None
    if not isinstance(raw, dict):
        raise ValueError("expected a JSON object")
    # NUL and lone surrogates (JSON escapes allow both) would fail the whole batch insert.
    post_id = "" if raw.get("id") is None else storable_text(str(raw["id"]))
    text = raw.get("text")
    if not post_id:
        raise ValueError("id: required")
    if not isinstance(text, str) or not (text := storable_text(text)).strip():
        raise ValueError("text: required, non-empty")
    source = str(raw.get("source") or "weibo")
    if source not in SOURCES:
        raise ValueError(f"source: expected one of {', '.join(SOURCES)}")
    return ArchivePost(
        id=post_id[:200],
        text=text[:MAX_TEXT],
        published_at=parse_time(raw.get("published_at")),
        source=source,
        title=storable_text(str(raw.get("title") or ""))[:500],
        url=_optional_str(raw, "url"),
        author=_optional_str(raw, "author"),
        followers=_number(raw, "followers", MAX_COUNT),
        verified_type=_number(raw, "verified_type", MAX_INT),
        reposts=_count(raw, "reposts"),
        comments=_count(raw, "comments"),
        likes=_count(raw, "likes"),
        region=_optional_str(raw, "region"),
        parent_id=_optional_str(raw, "parent_id"),
        urgency=_optional_str(raw, "urgency"),
        handler_unit=_optional_str(raw, "handler_unit"),
        assist_units=_units(raw),
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
