"""A tiny HTML renderer that escapes every value unless it is already `Html` (autoescape by construction)."""

from __future__ import annotations

import html
import string
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit


class Html(str):
    """Markup that is already safe to emit; anything else is escaped on the way in."""

    __slots__ = ()

    def __add__(self, other: str) -> Html:
        return Html(str.__add__(self, escape(other)))

    def __radd__(self, other: str) -> Html:
        return Html(str.__add__(escape(other), self))


def escape(value: object) -> Html:
    """Text → markup: `&<>"'` are escaped, `None` is empty, and `Html` passes through unchanged."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    return Html(html.escape(str(value), quote=True))


def render(template: str, /, **values: object) -> Html:
    """Fill `{name}` placeholders of a constant template; every value is escaped unless it is `Html`.

    Only plain names are allowed (no attribute access, indexing or format specs), so a value can never
    reach into objects or change how another value is rendered.
    """
    out: list[str] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValueError(f"template placeholder {{{field}}} must be a plain name")
        if field not in values:
            raise KeyError(f"template value {field!r} is missing")
        out.append(escape(values[field]))
    return Html("".join(out))


def join(parts: Iterable[object], sep: str = "") -> Html:
    """Concatenate fragments, escaping any that are not markup yet."""
    return Html(sep.join(escape(p) for p in parts))


def safe_url(url: str | None) -> str | None:
    """Only absolute http(s) URLs may become links; `javascript:` and friends become plain text."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def link(url: str | None, text: object, *, external: bool = True) -> Html:
    """An anchor for a safe URL (opened with noopener/noreferrer), or just the escaped text."""
    target = safe_url(url) if external else url
    if target is None:
        return escape(text)
    if external:
        return render(
            '<a href="{u}" rel="noopener noreferrer nofollow" target="_blank">{t}</a>', u=target, t=text
        )
    return render('<a href="{u}">{t}</a>', u=target, t=text)


def attrs(values: Mapping[str, Any]) -> Html:
    """` name="value"` pairs for values that are not None/False (True renders the bare name)."""
    out: list[str] = []
    for name, value in values.items():
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"bad attribute name {name!r}")
        if value is None or value is False:
            continue
        out.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return Html("".join(out))
