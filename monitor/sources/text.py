"""Turns hostile HTML fragments from feeds and Weibo into plain, whitespace-normalised text."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from typing import Any

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p",
        "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "iframe", "object"})
# Weibo renders emoticons as <img alt="[偷笑]">; the alt text is part of what the author wrote.
_EMOTICON_ALT = re.compile(r"^\[[^\[\]]{1,8}\]$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_MAX_TEXT = 100_000
# PostgreSQL text and jsonb cannot hold NUL, and a lone surrogate (JSON "\ud800") cannot be sent as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if _EMOTICON_ALT.match(alt):
                self.parts.append(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP_TAGS:  # <script/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces, drop invisible characters, keep at most one blank line."""
    text = text.translate(_INVISIBLE)
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def strip_html(fragment: str | None) -> str:
    """Plain text of an HTML fragment: tags removed, entities decoded, scripts dropped."""
    if not fragment:
        return ""
    fragment = fragment[:_MAX_TEXT]
    if "<" not in fragment and "&" not in fragment:
        return normalise_whitespace(fragment)
    parser = _TextExtractor()
    try:
        parser.feed(fragment)
        parser.close()
    except Exception:  # html.parser is lenient, but a hostile fragment must never stop ingestion
        return normalise_whitespace(re.sub(r"<[^>]*>", " ", fragment))
    return normalise_whitespace("".join(parser.parts))


def truncate(text: str | None, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def storable_text(text: str) -> str:
    """`text` as PostgreSQL accepts it: NUL dropped, lone surrogates replaced by U+FFFD."""
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def storable_json(value: Any) -> Any:
    """A JSON-like value as jsonb accepts it: storable strings, and NaN/Infinity as null."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {storable_text(k) if isinstance(k, str) else k: storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value
