"""Kind `feed`: RSS / Atom / JSON Feed for news, WeChat bridges and RSSHub routes, via feedparser on bytes."""

from __future__ import annotations

import calendar
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser
from charset_normalizer import from_bytes

from monitor.config.sources import FeedSource, Source
from monitor.sources.entries import FeedEntry, entries_to_posts
from monitor.sources.fastfeed import fast_entries
from monitor.sources.jsonfeed import is_json_feed, json_feed_entries
from monitor.sources.kinds import ParseContext, ParseFailure, ParseResult, Request, base_headers

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1"
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=", re.IGNORECASE)
# mp.weixin.qq.com error codes that bridges (wewe-rss, we-mp-rss) pass through when their login is gone.
_WECHAT_ERROR = re.compile(rb'"?(?:ret|errcode|code|err_code)"?\s*[:=]\s*"?(200013|200003)\b')
_WECHAT_MESSAGES = {
    b"200013": "WeChat frequency control (200013 操作频繁): the bridge's account is rate-limited",
    b"200003": "WeChat session expired (200003 登录失效): log the bridge in again",
}
_DETECT_LIMIT = 256 * 1024


class FeedKind:
    """RSS 0.9x/1.0/2.0, Atom and JSON Feed; the feed is always read from bytes already downloaded."""

    name = "feed"

    def build_requests(self, source: Source, env: Mapping[str, str]) -> list[Request]:
        assert isinstance(source.spec, FeedSource)
        headers = base_headers(source, env) | {"Accept": ACCEPT}
        return [Request(url=source.spec.url, headers=headers, conditional=True)]

    def parse(self, ctx: ParseContext, body: bytes, headers: Mapping[str, str]) -> ParseResult:
        spec = ctx.source.spec
        flavor = spec.flavor if isinstance(spec, FeedSource) else "generic"
        hdrs = {k.lower(): v for k, v in headers.items()}
        content_type = hdrs.get("content-type", "")
        if not body.strip():
            raise ParseFailure("parse_error", "empty body: the server sent no feed")
        wechat = _wechat_error(body)
        if wechat is not None:
            raise ParseFailure("blocked", wechat)
        if "json" in content_type or body.lstrip()[:1] in (b"{", b"["):
            return _parse_json(ctx, body, flavor)
        fast = fast_entries(body, content_type, ctx.source.url)
        if fast is not None:
            entries, title = fast
            notes: list[str] = []
        else:
            entries, title, notes = _feedparser_entries(body, hdrs)
        posts = entries_to_posts(
            entries, source_id=ctx.source.id, now=ctx.now, flavor=flavor, feed_title=title
        )
        return ParseResult(posts=tuple(posts), notes=tuple(notes))


def _feedparser_entries(body: bytes, headers: dict[str, str]) -> tuple[list[FeedEntry], str, list[str]]:
    parsed, notes = read_feed(body, headers)
    if not parsed.get("version") and not parsed.entries:
        raise ParseFailure("parse_error", _not_a_feed(parsed, headers.get("content-type", "")))
    if parsed.get("bozo"):
        notes.append(f"feed is ill-formed but readable: {_describe(parsed.get('bozo_exception'))}")
    return [_entry(e) for e in parsed.entries], str(parsed.feed.get("title", "")), notes


def read_feed(body: bytes, headers: Mapping[str, str]) -> tuple[Any, list[str]]:
    """feedparser's result for `body` and notes, after decoding undeclared legacy encodings (GB2312, Big5).

    feedparser gets a BytesIO so it can never open a URL or a file; HTTP headers are passed so a
    charset in Content-Type is honoured. A body with no declared encoding that is not UTF-8 is
    detected and re-encoded as UTF-8 first, since feedparser alone would read it as windows-1252.
    """
    hdrs = {k.lower(): v for k, v in headers.items()}
    notes: list[str] = []
    if not _declares_encoding(body, hdrs.get("content-type", "")):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            guess = from_bytes(body[:_DETECT_LIMIT]).best()
            if guess is not None and guess.encoding:
                body = body.decode(guess.encoding, errors="replace").encode("utf-8")
                mime = hdrs.get("content-type", "").split(";")[0].strip() or "application/xml"
                hdrs["content-type"] = f"{mime}; charset=utf-8"
                notes.append(f"no declared encoding; detected {guess.encoding}")
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), response_headers=hdrs, sanitize_html=False, resolve_relative_uris=False
        )
    except (ValueError, LookupError, OverflowError) as exc:
        # feedparser reports bad feeds as `bozo`, but a few inputs still raise: a mangled encoding
        # declaration (encoding="\x80big5", a NUL in the name) or a character reference beyond
        # Unicode (&#123456789012345678901;) in its loose parser.
        raise ParseFailure("parse_error", f"unreadable feed: {_describe(exc)}") from None
    return parsed, notes


def _declares_encoding(body: bytes, content_type: str) -> bool:
    return (
        body.startswith(_BOMS)
        or "charset=" in content_type.lower()
        or _XML_ENCODING.match(body[:1024]) is not None
    )


def _wechat_error(body: bytes) -> str | None:
    head = body[:4096]
    if b"<item" in head or b"<entry" in head:
        return None
    m = _WECHAT_ERROR.search(head)
    return _WECHAT_MESSAGES[m.group(1)] if m else None


def _parse_json(ctx: ParseContext, body: bytes, flavor: str) -> ParseResult:
    try:
        document = json.loads(body)
    # RecursionError: JSON nested deeper than the decoder's stack allows ("[" * 100000).
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ParseFailure("parse_error", f"invalid JSON: {exc}") from None
    if not is_json_feed(document):
        keys = sorted(document)[:8] if isinstance(document, dict) else type(document).__name__
        raise ParseFailure("parse_error", f"JSON but not a JSON Feed (no jsonfeed.org version; got {keys})")
    posts = entries_to_posts(
        json_feed_entries(document),
        source_id=ctx.source.id,
        now=ctx.now,
        flavor=flavor,
        feed_title=str(document.get("title") or ""),
    )
    return ParseResult(posts=tuple(posts))


def _not_a_feed(parsed: Any, content_type: str) -> str:
    exc = parsed.get("bozo_exception")
    if "html" in content_type.lower() or isinstance(exc, feedparser.NonXMLContentType):
        return f"not a feed: the server sent an HTML page ({content_type or 'no Content-Type'})"
    return f"not a feed: {_describe(exc)}"


def _describe(exc: object) -> str:
    if exc is None:
        return "no RSS/Atom root element"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def _entry(e: Any) -> FeedEntry:
    content = e.get("content") or []
    body = ""
    if content and isinstance(content[0], dict):
        body = str(content[0].get("value") or "")
    if not body:
        body = str(e.get("summary") or e.get("description") or "")
    when = e.get("published_parsed") or e.get("updated_parsed")
    try:
        published = datetime.fromtimestamp(calendar.timegm(when), tz=UTC) if when else None
    except (ValueError, OverflowError, OSError):  # feedparser reads "0000-01-01" as year 0
        published = None
    tags = tuple(str(t.get("term")) for t in e.get("tags") or [] if isinstance(t, dict) and t.get("term"))
    return FeedEntry(
        guid=e.get("id") or None,
        link=e.get("link") or None,
        title_html=str(e.get("title") or ""),
        body_html=body,
        author=e.get("author") or None,
        published_raw=e.get("published") or e.get("updated") or None,
        published=published,
        tags=tags,
    )
