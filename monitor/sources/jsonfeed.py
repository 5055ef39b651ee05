"""JSON Feed 1.0/1.1 (jsonfeed.org) into feed entries; feedparser does not read this format."""

from __future__ import annotations

from typing import Any

from monitor.sources.entries import FeedEntry


def is_json_feed(document: object) -> bool:
    """A decoded JSON document that declares itself a JSON Feed."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("version"), str)
        and "jsonfeed.org/version/" in document["version"]
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return _text(authors[0].get("name")) or None
    author = item.get("author")  # version 1.0
    if isinstance(author, dict):
        return _text(author.get("name")) or None
    return None


def json_feed_entries(document: dict[str, Any]) -> list[FeedEntry]:
    """The feed's items as entries; items that are not objects are skipped."""
    items = document.get("items")
    out: list[FeedEntry] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        item_id = item.get("id")
        body = (
            _text(item.get("content_html")) or _text(item.get("content_text")) or _text(item.get("summary"))
        )
        tags = item.get("tags")
        out.append(
            FeedEntry(
                guid=str(item_id) if isinstance(item_id, str | int) and item_id != "" else None,
                link=_text(item.get("url")) or _text(item.get("external_url")) or None,
                title_html=_text(item.get("title")),
                body_html=body,
                author=_author(item),
                published_raw=_text(item.get("date_published")) or _text(item.get("date_modified")) or None,
                tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
            )
        )
    return out
