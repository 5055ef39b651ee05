"""Kind `weibo`: m.weibo.cn `container/getIndex` JSON (keyword real-time search, account timelines)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from monitor.config.sources import Source, WeiboSource
from monitor.secrets import read_secret
from monitor.sources.dates import resolve_weibo_date
from monitor.sources.kinds import FollowUp, ParseContext, ParseFailure, ParseResult, Request, base_headers
from monitor.sources.post import Post, parse_count
from monitor.sources.text import storable_text, strip_html

MBLOG_CARD = 9
_REGION_PREFIX = "发布于"
_FULL_TEXT_LINK = "全文"
_MAX_VERIFIED_TYPE = 2**31 - 1
_DELETED = ("此微博已被作者删除", "该微博因被多人投诉", "此微博已被删除", "该账号因被投诉违反")


class WeiboKind:
    """Builds getIndex URLs and turns cards into posts; 418/432 and `ok: -100` are a login wall."""

    name = "weibo"

    def build_requests(self, source: Source, env: Mapping[str, str]) -> list[Request]:
        spec = source.spec
        assert isinstance(spec, WeiboSource)
        headers = base_headers(source, env) | {
            "Accept": "application/json, text/plain, */*",
            "Referer": f"{spec.base_url.rstrip('/')}/",
            "X-Requested-With": "XMLHttpRequest",
            "MWeibo-Pwa": "1",
        }
        if spec.cookie_env:
            headers["Cookie"] = read_secret(spec.cookie_env, env, required=True) or ""
        return [Request(url=getindex_url(spec, page), headers=headers) for page in range(1, spec.pages + 1)]

    def parse(self, ctx: ParseContext, body: bytes, headers: Mapping[str, str]) -> ParseResult:
        document = _decode(body, headers)
        ok = document.get("ok")
        if ok == -100:
            raise ParseFailure("blocked", "Weibo login wall (ok: -100): the cookie is missing or expired")
        message = str(document.get("msg") or "")
        if ok != 1:
            if "频繁" in message:
                raise ParseFailure("blocked", f"Weibo rate limit: {message}")
            if ok == 0:  # "这里还没有内容" and friends: a valid, empty answer
                return ParseResult(notes=(f"Weibo says: {message}",) if message else ())
            raise ParseFailure("parse_error", f"unexpected getIndex answer ok={ok!r} {message}".strip())
        data = document.get("data")
        cards = data.get("cards") if isinstance(data, dict) else None
        if not isinstance(cards, list):
            raise ParseFailure("parse_error", "getIndex answer has no data.cards list")
        posts: dict[str, Post] = {}
        notes: list[str] = []
        for mblog in iter_mblogs(cards):
            for post in mblog_posts(mblog, ctx):
                posts.setdefault(post.external_id, post)
        base = ctx.source.spec.base_url.rstrip("/") if isinstance(ctx.source.spec, WeiboSource) else ""
        follow_ups = tuple(
            FollowUp(p.external_id, f"{base}/statuses/extend?id={p.external_id}")
            for p in posts.values()
            if p.extra.get("truncated")
        )
        return ParseResult(posts=tuple(posts.values()), notes=tuple(notes), follow_ups=follow_ups)

    def complete(self, post: Post, body: bytes) -> Post:
        """The full text of a long post from `statuses/extend`; the preview stays if it is unusable."""
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return post
        if not isinstance(document, dict) or document.get("ok") != 1:
            return post
        data = document.get("data")
        text = data.get("longTextContent") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            return post
        extra = {k: v for k, v in post.extra.items() if k != "truncated"} | {"long_text": True}
        return replace(post, text=strip_html(text), extra=extra)


def getindex_url(spec: WeiboSource, page: int = 1) -> str:
    """The m.weibo.cn API URL for a search (type=61, real-time) or a user's timeline."""
    base = spec.base_url.rstrip("/") + "/api/container/getIndex?"
    if spec.mode == "search":
        container = f"100103type=61&q={spec.query}&t=0"
        params: dict[str, str] = {"containerid": container, "page_type": "searchall"}
    else:
        params = {"type": "uid", "value": str(spec.uid), "containerid": f"107603{spec.uid}"}
    if page > 1:
        params["page"] = str(page)
    return base + urlencode(params, quote_via=quote)


def _decode(body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    try:
        document = json.loads(body)
    # RecursionError: JSON nested deeper than the decoder's stack allows ("[" * 100000).
    except (ValueError, UnicodeDecodeError, RecursionError):
        head = body[:2048].lower()
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if b"passport.weibo" in head or b"visitor" in head or b"login" in head:
            raise ParseFailure("blocked", "Weibo sent a login/visitor page instead of JSON") from None
        raise ParseFailure(
            "parse_error", f"expected getIndex JSON, got {content_type or 'non-JSON'}"
        ) from None
    if not isinstance(document, dict):
        raise ParseFailure("parse_error", f"expected a JSON object, got {type(document).__name__}")
    return document


def iter_mblogs(cards: list[Any]) -> Iterator[dict[str, Any]]:
    """Every mblog in a card list, including those nested in `card_group` (search results)."""
    for card in cards:
        if not isinstance(card, dict):
            continue
        mblog = card.get("mblog")
        if card.get("card_type") == MBLOG_CARD and isinstance(mblog, dict):
            yield mblog
        group = card.get("card_group")
        if isinstance(group, list):
            yield from iter_mblogs(group)


def mblog_posts(mblog: dict[str, Any], ctx: ParseContext) -> list[Post]:
    """The post for an mblog and, for a repost, the original it reposts (if it still exists)."""
    original = mblog.get("retweeted_status")
    parent = _id(original) if isinstance(original, dict) else None
    post = _mblog_post(mblog, ctx, parent=parent)
    if post is None:
        return []
    out = [post]
    if isinstance(original, dict) and parent is not None and not _deleted(original):
        root = _mblog_post(original, ctx, parent=None)
        if root is not None:
            root.extra["seen_via_repost"] = post.external_id
            out.append(root)
    return out


def _id(mblog: dict[str, Any]) -> str | None:
    for key in ("idstr", "id", "mid"):
        value = mblog.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            text = storable_text(str(value))  # an id of NUL alone is no id
            if text:
                return text
    return None


def _is_verified_type(value: object) -> bool:
    # Weibo's types are small (-1 none, 0 personal, 1-7 organisations, 200+ members); the column is integer.
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_VERIFIED_TYPE


def _deleted(mblog: dict[str, Any]) -> bool:
    text = str(mblog.get("text") or "")
    return not isinstance(mblog.get("user"), dict) or any(marker in text for marker in _DELETED)


def _region(mblog: dict[str, Any]) -> str | None:
    raw = mblog.get("region_name")
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip().removeprefix(_REGION_PREFIX).strip() or None


def _text(mblog: dict[str, Any]) -> tuple[str, bool]:
    text = strip_html(str(mblog.get("text") or ""))
    truncated = bool(mblog.get("isLongText"))
    if truncated and text.endswith(_FULL_TEXT_LINK):
        text = text[: -len(_FULL_TEXT_LINK)].rstrip()
    return text, truncated


def _mblog_post(mblog: dict[str, Any], ctx: ParseContext, *, parent: str | None) -> Post | None:
    external_id = _id(mblog)
    if external_id is None:
        return None
    user: dict[str, Any] = mblog["user"] if isinstance(mblog.get("user"), dict) else {}
    raw_date = str(mblog.get("created_at") or "")
    published = resolve_weibo_date(raw_date, ctx.now) if raw_date else None
    text, truncated = _text(mblog)
    verified_type = user.get("verified_type")
    extra: dict[str, Any] = {"created_at_raw": raw_date}
    if published is None:
        published, extra["date_missing"] = ctx.now, True
    if truncated:
        extra["truncated"] = True
    for key in ("bid", "source", "mblogtype"):
        if mblog.get(key) not in (None, ""):
            extra[key] = mblog[key]
    if user.get("verified_reason"):
        extra["verified_reason"] = str(user["verified_reason"]).strip()
    bid = mblog.get("bid") or external_id
    user_id = user.get("id")
    return Post(
        source_id=ctx.source.id,
        source_kind="weibo",
        external_id=external_id,
        published_at=published,
        url=f"https://m.weibo.cn/status/{bid}",
        author=str(user.get("screen_name") or "") or None,
        author_id=str(user_id) if user_id not in (None, "") else None,
        author_followers=parse_count(user.get("followers_count")) if "followers_count" in user else None,
        author_verified_type=verified_type if _is_verified_type(verified_type) else None,
        text=text,
        reposts=parse_count(mblog.get("reposts_count")),
        comments=parse_count(mblog.get("comments_count")),
        likes=parse_count(mblog.get("attitudes_count")),
        region_hint=_region(mblog),
        parent_external_id=parent,
        root_external_id=parent,  # m.weibo.cn's retweeted_status is always the chain's original
        extra=extra,
    )
