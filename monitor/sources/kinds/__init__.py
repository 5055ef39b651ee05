"""The protocol every source kind implements: build its requests, parse downloaded bytes (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from monitor.config.sources import Source
from monitor.secrets import read_secret
from monitor.sources.post import Post

if TYPE_CHECKING:
    from monitor.sources.orders import HotlineOrder

FailureKind = Literal["parse_error", "blocked"]


@dataclass(frozen=True)
class Request:
    """One HTTP GET a poll needs; `conditional` requests carry the stored ETag / Last-Modified."""

    url: str
    headers: Mapping[str, str]
    conditional: bool = False


@dataclass(frozen=True)
class ParseContext:
    """Everything a parser may know besides the bytes: the source, the injected `now`, lookup tables."""

    source: Source
    now: datetime
    region_codes: Mapping[str, str] = field(default_factory=dict)
    pii_salt: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """A further GET a parse asks for, such as the full text of a long Weibo post; the poller decides."""

    external_id: str
    url: str


@dataclass(frozen=True)
class ParseResult:
    """What a parse produced: posts (and, for 12345, the orders behind them) plus notes for the operator."""

    posts: tuple[Post, ...] = ()
    orders: tuple[HotlineOrder, ...] = ()
    notes: tuple[str, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()


class ParseFailure(Exception):
    """The bytes are not usable: `parse_error` (not a feed, bad JSON) or `blocked` (login wall, ban)."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(detail)
        self.kind: FailureKind = kind
        self.detail = detail


class SourceKind(Protocol):
    """One module per kind implements this; the poller does the I/O, the kind never does."""

    name: str

    def build_requests(self, source: Source, env: Mapping[str, str]) -> list[Request]:
        """The GETs for one poll, first one conditional where the protocol supports it."""
        ...

    def parse(self, ctx: ParseContext, body: bytes, headers: Mapping[str, str]) -> ParseResult:
        """Normalise one downloaded body; raise ParseFailure when it is unusable."""
        ...


@runtime_checkable
class CompletesPosts(Protocol):
    """A kind whose follow-ups complete a post (pure: the poller fetched `body`)."""

    def complete(self, post: Post, body: bytes) -> Post:
        """The post with what the follow-up body adds; unchanged if the body is unusable."""
        ...


def base_headers(source: Source, env: Mapping[str, str]) -> dict[str, str]:
    """User-Agent plus the source's credential header, read from the environment now (never stored)."""
    headers = {"User-Agent": source.user_agent}
    auth = source.spec.auth
    if auth is not None:
        secret = read_secret(auth.env, env, required=True)
        # Config strings are whitespace-stripped, so `prefix: "Bearer "` arrives as "Bearer".
        prefix = f"{auth.prefix} " if auth.prefix[-1:].isalnum() else auth.prefix
        headers[auth.header] = f"{prefix}{secret}"
    return headers


def kind_for(name: str) -> SourceKind:
    """The implementation of a configured `kind`; adding a kind is adding a module and a line here."""
    if name == "feed":
        from monitor.sources.kinds.feed import FeedKind

        return FeedKind()
    if name == "weibo":
        from monitor.sources.kinds.weibo import WeiboKind

        return WeiboKind()
    if name == "hotline":
        from monitor.sources.kinds.hotline import HotlineKind

        return HotlineKind()
    raise ValueError(f"unknown source kind {name!r}")
