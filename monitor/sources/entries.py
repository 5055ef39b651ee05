"""Feed entries (RSS/Atom/JSON Feed) to posts: stable identities, dates, and cleaned text."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.sources.dates import parse_datetime
from monitor.sources.post import Post
from monitor.sources.text import storable_text, strip_html

_MAX_ID = 200
# Dates further ahead than this are wrong clocks or placeholders; they would distort heat and bursts.
_FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class FeedEntry:
    """One entry as any feed format gives it, before cleaning."""

    guid: str | None
    link: str | None
    title_html: str
    body_html: str
    author: str | None = None
    published_raw: str | None = None
    published: datetime | None = None  # what the format parser made of it, if anything
    tags: tuple[str, ...] = ()


def _bounded(key: str) -> str:
    if len(key) <= _MAX_ID:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def assign_external_ids(entries: Sequence[FeedEntry]) -> list[str]:
    """GUID, else link, else a hash of title and body; later collisions fall back down that list.

    Some feeds ship the same GUID for every entry (Miniflux keeps the first occurrence
    stable so already-stored entries still match, and disambiguates the rest): first by
    link, then by content hash, and as a last resort by position.
    """
    seen: set[str] = set()
    out: list[str] = []
    for position, e in enumerate(entries):
        # surrogatepass: a JSON Feed may carry lone surrogates ("\ud800"); the hash must not fail on them.
        content = hashlib.sha256(
            f"{e.title_html}\x00{e.body_html}".encode("utf-8", "surrogatepass")
        ).hexdigest()
        given = (storable_text(c).strip() for c in (e.guid, e.link) if c)  # a GUID of NUL is no GUID
        candidates = [c for c in given if c] + [f"content:{content}"]
        chosen = next((_bounded(c) for c in candidates if _bounded(c) not in seen), None)
        if chosen is None:
            chosen = _bounded(f"{candidates[0]}#{position}")
        seen.add(chosen)
        out.append(chosen)
    return out


def entry_date(entry: FeedEntry) -> datetime | None:
    """The entry's own date; naive dates are Asia/Shanghai, and `CST` means China Standard Time."""
    raw = (entry.published_raw or "").strip()
    if raw.endswith(" CST"):  # RFC 822 parsers read CST as US Central; Chinese feeds mean +08:00
        raw = raw[:-4] + " +0800"
    return parse_datetime(raw) if raw else entry.published or None


def entries_to_posts(
    entries: Sequence[FeedEntry], *, source_id: str, now: datetime, flavor: str, feed_title: str = ""
) -> list[Post]:
    """Normalise entries into posts; undated or future-dated entries are stamped `now` and flagged."""
    posts: list[Post] = []
    for external_id, e in zip(assign_external_ids(entries), entries, strict=True):
        extra: dict[str, Any] = {"flavor": flavor}
        published = entry_date(e) or e.published
        if published is None:
            published = now
            extra["date_missing"] = True
        elif published > now + _FUTURE_SLACK:
            extra["future_date"] = published.isoformat()
            published = now
        if e.tags:
            extra["tags"] = list(e.tags[:20])
        author = (e.author or "").strip() or (feed_title if flavor == "wechat" else "") or None
        posts.append(
            Post(
                source_id=source_id,
                source_kind="feed",
                external_id=external_id,
                published_at=published,
                url=(e.link or "").strip() or None,
                author=author,
                title=strip_html(e.title_html),
                text=strip_html(e.body_html),
                extra=extra,
            )
        )
    return posts
