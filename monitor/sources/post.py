"""The normalised `Post` every source kind produces, its content fingerprint and engagement counts."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.sources.text import storable_json, storable_text

_URL = re.compile(r"https?://\S+")
# Weibo emoticons ([偷笑]) and hashtag marks carry no content for duplicate detection.
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")
_NON_WORD = re.compile(r"[\W_]+")
_COUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*(万|w|亿|千|k)?\s*\+?$", re.IGNORECASE)
_COUNT_UNITS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000}
# No real count comes near this; a hostile 1e30 or Infinity must still fit a bigint column.
MAX_COUNT = 10**12
_TEXT_FIELDS = (
    "source_id", "source_kind", "external_id", "url", "author", "author_id", "title", "text", "region_hint",
    "parent_external_id", "root_external_id",
)  # fmt: skip
# Below this many characters a text is too generic ("转发微博") to prove two posts are the same.
_MIN_FINGERPRINT_CHARS = 8


@dataclass(frozen=True, slots=True)
class Post:
    """One item from any source, normalised: what storage, analysis and grouping see."""

    source_id: str
    source_kind: str
    external_id: str
    published_at: datetime
    url: str | None = None
    author: str | None = None
    author_id: str | None = None
    author_followers: int | None = None
    author_verified_type: int | None = None
    title: str = ""
    text: str = ""
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    region_hint: str | None = None
    parent_external_id: str | None = None
    root_external_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.published_at.tzinfo is None:
            raise ValueError("Post.published_at must be timezone-aware")
        # Hostile sources send NUL, lone surrogates and NaN; one such post would fail its whole batch insert.
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) and (cleaned := storable_text(value)) is not value:
                object.__setattr__(self, name, cleaned)
        extra = storable_json(self.extra)
        if extra != self.extra:  # NaN != NaN, so an extra holding one is replaced too
            object.__setattr__(self, "extra", extra)
        if not self.external_id:
            raise ValueError("Post.external_id must not be empty")

    @property
    def fingerprint(self) -> str:
        return content_fingerprint(self.title, self.text, fallback=f"{self.source_id}\x00{self.external_id}")


def normalise_for_fingerprint(text: str) -> str:
    """Width, case, links, emoticons and punctuation removed, so reposted copies compare equal."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _URL.sub("", text)
    text = _EMOTICON.sub("", text)
    return _NON_WORD.sub("", text)


def content_fingerprint(title: str, text: str, *, fallback: str) -> str:
    """A hash of the normalised content, equal for the same text seen through different sources.

    The body decides when it is long enough; otherwise title and body together. A post with
    no usable content gets a fingerprint unique to itself (`fallback`), so empty posts never
    look like duplicates of each other.
    """
    body = normalise_for_fingerprint(text)
    key = body if len(body) >= _MIN_FINGERPRINT_CHARS else normalise_for_fingerprint(title) + body
    if len(key) < _MIN_FINGERPRINT_CHARS:
        key = "\x00unique\x00" + fallback
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()


def parse_count(value: object) -> int:
    """Engagement counts as Weibo shows them: 123, "1,234", "1.2万", "100万+", "3亿"; labels mean 0.

    The result is always 0..MAX_COUNT, whatever the input (NaN means 0, Infinity the cap).
    """
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return min(max(value, 0), MAX_COUNT)
    if isinstance(value, float):
        return 0 if math.isnan(value) else int(min(max(value, 0.0), MAX_COUNT))
    if not isinstance(value, str):
        return 0
    m = _COUNT.match(value.strip().replace(",", ""))
    if m is None:
        return 0  # "转发", "评论", "赞": the label Weibo shows instead of a zero
    number = float(m.group(1))  # inf for a 400-digit string, capped below
    unit = m.group(2)
    if unit is not None:
        number *= _COUNT_UNITS[unit.lower()]
    return round(min(number, MAX_COUNT))
