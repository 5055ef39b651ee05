"""`sources.yaml`: what to watch — Weibo, feeds (news, WeChat bridges, RSSHub) and 12345 exports/push."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from monitor.config.errors import ConfigError, ConfigProblem, problems_from_validation
from monitor.config.loader import read_yaml_lines, with_lines
from monitor.config.types import STRICT, ByteSize, Duration, EnvName, PositiveDuration

_ID = r"^[a-z0-9][a-z0-9_.-]*$"


def _http_url(v: str) -> str:
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http(s) URL")
    return v


class Auth(BaseModel):
    """A credential sent as a header, read from the environment at run time."""

    model_config = STRICT

    header: str = "Authorization"
    env: EnvName
    prefix: str = ""


class Defaults(BaseModel):
    """Values every source inherits unless it sets its own."""

    model_config = STRICT

    interval: PositiveDuration = timedelta(minutes=5)
    timeout: PositiveDuration = timedelta(seconds=20)
    connect_timeout: PositiveDuration = timedelta(seconds=5)
    max_body: ByteSize = 5 * 1024 * 1024
    stale_after: PositiveDuration = timedelta(hours=2)
    per_host_concurrency: int = Field(default=2, ge=1, le=32)
    per_host_min_gap: Duration = timedelta(0)
    user_agent: str = "yuqing/0.1 (+government public-opinion monitor)"


class _SourceBase(BaseModel):
    model_config = STRICT

    id: str = Field(pattern=_ID)
    name: str = ""
    region: str | None = None
    enabled: bool = True
    interval: PositiveDuration | None = None
    timeout: PositiveDuration | None = None
    max_body: ByteSize | None = None
    stale_after: PositiveDuration | None = None
    auth: Auth | None = None


class FeedSource(_SourceBase):
    """RSS / Atom / JSON Feed: news, WeChat bridges (wewe-rss, we-mp-rss, RSSHub), RSSHub Weibo routes."""

    kind: Literal["feed"]
    url: str
    flavor: Literal["news", "wechat", "weibo_rsshub", "generic"] = "news"

    _check_url = field_validator("url")(_http_url)


class WeiboSource(_SourceBase):
    """m.weibo.cn `container/getIndex`: keyword real-time search or an official account's timeline."""

    kind: Literal["weibo"]
    mode: Literal["search", "user"]
    query: str | None = None
    uid: str | None = Field(default=None, pattern=r"^\d+$")
    base_url: str = "https://m.weibo.cn"
    pages: int = Field(default=1, ge=1, le=10)
    cookie_env: EnvName | None = None

    _check_url = field_validator("base_url")(_http_url)

    @model_validator(mode="after")
    def _mode_fields(self) -> Self:
        if self.mode == "search" and not self.query:
            raise ValueError("mode: search needs `query`")
        if self.mode == "user" and not self.uid:
            raise ValueError("mode: user needs `uid`")
        return self


class HotlineSource(_SourceBase):
    """12345 work orders: polled as a JSON or CSV export, or pushed to the intake endpoint."""

    kind: Literal["hotline"]
    url: str | None = None
    format: Literal["json", "csv"] = "json"
    push: bool = False
    token_env: EnvName | None = None
    hmac_secret_env: EnvName | None = None
    encoding: str = "utf-8"

    @model_validator(mode="after")
    def _intake(self) -> Self:
        if not self.push and not self.url:
            raise ValueError("a hotline source needs `url` (polled) or `push: true`")
        if self.url is not None:
            _http_url(self.url)
        if self.push and not (self.token_env or self.hmac_secret_env):
            raise ValueError("a pushed hotline source needs token_env or hmac_secret_env")
        return self


_KINDS = ("feed", "weibo", "hotline")
SourceSpec = Annotated[FeedSource | WeiboSource | HotlineSource, Field(discriminator="kind")]


class SourcesFile(BaseModel):
    """The whole `sources.yaml`."""

    model_config = STRICT

    defaults: Defaults = Field(default_factory=Defaults)
    sources: tuple[SourceSpec, ...] = ()


class Source(BaseModel):
    """A source with its defaults applied: what the poller and the database use."""

    model_config = STRICT

    spec: FeedSource | WeiboSource | HotlineSource
    interval: Duration
    timeout: Duration
    connect_timeout: Duration
    max_body: int
    stale_after: Duration
    per_host_concurrency: int
    per_host_min_gap: Duration
    user_agent: str

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def url(self) -> str | None:
        return getattr(self.spec, "url", None)


def _resolve(spec: FeedSource | WeiboSource | HotlineSource, d: Defaults) -> Source:
    return Source(
        spec=spec,
        interval=spec.interval or d.interval,
        timeout=spec.timeout or d.timeout,
        connect_timeout=d.connect_timeout,
        max_body=spec.max_body or d.max_body,
        stale_after=spec.stale_after or d.stale_after,
        per_host_concurrency=d.per_host_concurrency,
        # Weibo bans fast clients: several seconds between calls to one host unless configured otherwise.
        per_host_min_gap=max(d.per_host_min_gap, timedelta(seconds=3))
        if spec.kind == "weibo"
        else d.per_host_min_gap,
        user_agent=d.user_agent,
    )


def load_sources(path: Path | str, known_regions: Iterable[str] | None = None) -> list[Source]:
    """Load `sources.yaml`; every problem is reported at once with its path."""
    path = Path(path)
    file = str(path)
    data, lines = read_yaml_lines(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(file, "", "expected a mapping with `defaults` and `sources`")])
    problems: list[ConfigProblem] = []
    parsed: SourcesFile | None = None
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as err:
        problems.extend(problems_from_validation(err, file, union_tags=_KINDS))
    # Cross-references are checked on the raw entries too, so they are reported with the type errors.
    raw = data.get("sources")
    seen: dict[str, int] = {}
    regions = set(known_regions) if known_regions is not None else None
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(entry, dict):
            continue
        source_id, region = entry.get("id"), entry.get("region")
        if isinstance(source_id, str) and source_id in seen:
            problems.append(
                ConfigProblem(
                    file,
                    f"sources[{i}].id",
                    f"duplicate source id {source_id!r} (sources[{seen[source_id]}])",
                )
            )
        if isinstance(source_id, str):
            seen.setdefault(source_id, i)
        if regions is not None and isinstance(region, str) and region not in regions:
            problems.append(ConfigProblem(file, f"sources[{i}].region", f"unknown region {region!r}"))
    if problems:
        raise ConfigError(with_lines(problems, {file: lines}))
    assert parsed is not None
    return [_resolve(s, parsed.defaults) for s in parsed.sources]
