"""A fast reader for plain, well-formed UTF-8 RSS 2.0 and Atom 1.0; anything unusual goes to feedparser.

feedparser spends most of its time in generic SAX bookkeeping. Most real feeds are simple, so
they are read here with ElementTree, several times faster. The reader declines (returns None)
at the first sign of anything it does not handle exactly like feedparser: a DTD, a non-UTF-8
encoding, a parse error, an XHTML construct or a date it cannot read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from monitor.sources.entries import FeedEntry, entry_date

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
_UTF8 = {"utf-8", "utf8"}
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# C1 controls mean windows-1252 or double-encoded text, which feedparser repairs and we do not.
_C1 = re.compile("[\x80-\x9f]")


def _eligible(body: bytes, content_type: str) -> bool:
    if (
        body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00"))
        or b"<!DOCTYPE" in body
        or b"<!ENTITY" in body
    ):
        return False
    charset = _CHARSET.search(content_type)
    if charset is not None and charset.group(1).lower() not in _UTF8:
        return False
    declared = _XML_ENCODING.match(body.removeprefix(b"\xef\xbb\xbf")[:512])
    return declared is None or declared.group(1).decode("ascii", "replace").lower() in _UTF8


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _first(parent: ET.Element, *tags: str) -> str:
    for tag in tags:
        value = _text(parent.find(tag))
        if value:
            return value
    return ""


def _link(href: str, base: str | None) -> str | None:
    if not href:
        return None
    return urljoin(base, href) if base and "://" not in href else href


def _rss(channel: ET.Element, base: str | None) -> list[FeedEntry]:
    entries = []
    for item in channel.findall("item"):
        entries.append(
            FeedEntry(
                guid=_text(item.find("guid")) or None,
                link=_link(_text(item.find("link")), base),
                title_html=_text(item.find("title")),
                body_html=_first(item, _CONTENT, "description"),
                author=_first(item, _DC + "creator", "author") or None,
                published_raw=_first(item, "pubDate", _DC + "date") or None,
                tags=tuple(_text(c) for c in item.findall("category") if _text(c)),
            )
        )
    return entries


def _atom_text(element: ET.Element | None) -> str | None:
    """Text of a text construct; None when it is XHTML or out-of-line, which feedparser treats specially."""
    if element is None:
        return ""
    if element.get("type") == "xhtml" or element.get("src") is not None or len(element):
        return None
    return _text(element)


def _atom(feed: ET.Element, base: str | None) -> list[FeedEntry] | None:
    entries = []
    for entry in feed.findall(_ATOM + "entry"):
        if entry.get(_XML_BASE) is not None:
            return None
        title = _atom_text(entry.find(_ATOM + "title"))
        content = entry.find(_ATOM + "content")
        body = _atom_text(content if content is not None else entry.find(_ATOM + "summary"))
        if title is None or body is None:
            return None
        links = [x for x in entry.findall(_ATOM + "link") if x.get("rel", "alternate") == "alternate"]
        entries.append(
            FeedEntry(
                guid=_text(entry.find(_ATOM + "id")) or None,
                link=_link(links[0].get("href", "") if links else "", base),
                title_html=title,
                body_html=body,
                author=_text(entry.find(f"{_ATOM}author/{_ATOM}name")) or None,
                published_raw=_first(entry, _ATOM + "published", _ATOM + "updated") or None,
                tags=tuple(t for c in entry.findall(_ATOM + "category") if (t := c.get("term", ""))),
            )
        )
    return entries


def fast_entries(
    body: bytes, content_type: str, base: str | None = None
) -> tuple[list[FeedEntry], str] | None:
    """(entries, feed title) for a plain RSS 2.0 or Atom 1.0 document, or None to use feedparser."""
    if not _eligible(body, content_type):
        return None
    try:
        # Safe here: documents with a DTD were declined above, so there is no entity to expand,
        # and expat never fetches external resources.
        root = ET.fromstring(body)  # noqa: S314
    except (ET.ParseError, ValueError):
        return None
    if root.get(_XML_BASE) is not None or any(e.get(_XML_BASE) is not None for e in root):
        return None
    entries: list[FeedEntry] | None
    if root.tag == "rss" and root.get("version", "").startswith("2"):
        channel = root.find("channel")
        if channel is None:
            return None
        entries, title = _rss(channel, base), _text(channel.find("title"))
    elif root.tag == _ATOM + "feed":
        entries, title = _atom(root, base), _text(root.find(_ATOM + "title"))
    else:
        return None
    if entries is None or any(e.published_raw and entry_date(e) is None for e in entries):
        return None
    if any(_C1.search(f"{e.title_html}{e.body_html}{e.author or ''}") for e in entries):
        return None
    return entries, title
