"""The grouping stage's data: a post's features and an event's running state (serialised to jsonb)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.events.burst import BurstState
from monitor.events.heat import GOVERNMENT_VERIFIED, MEDIA_VERIFIED, Heat
from monitor.events.similarity import SparseVector

MAX_HAZARDS = 16
MAX_ORDERS = 50
MAX_EVENT_KEYWORDS = 64  # distinct responder keywords an event counts (the first ones said)


def channel_of(source_kind: str, extra: dict[str, Any] | None = None) -> str:
    """weibo, news, wechat or hotline: the distinct channels that corroborate each other."""
    if source_kind in ("weibo", "news", "wechat", "hotline"):
        return source_kind
    flavor = str((extra or {}).get("flavor") or (extra or {}).get("feed_flavor") or "")
    if flavor == "wechat":
        return "wechat"
    if flavor == "weibo_rsshub":
        return "weibo"
    return "news"


@dataclass(frozen=True)
class PostIn:
    """One analysed post as grouping sees it (a row of posts ⋈ post_analysis)."""

    post_id: int
    source_id: str
    channel: str
    external_id: str
    published: float  # epoch seconds
    text: str
    seen: float | None = None  # when the system fetched it (epoch seconds)
    title: str = ""
    url: str | None = None
    author: str | None = None
    followers: int | None = None
    verified_type: int | None = None
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    parent_external_id: str | None = None
    root_external_id: str | None = None
    region: str | None = None
    topic: str | None = None
    topic_score: float = 0.0
    department: str | None = None
    negative: float = 0.0
    severity: dict[str, Any] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()  # the responders' keywords and department names it says (as analysed)
    hotline_order_no: str | None = None
    hotline_urgency: str | None = None
    hotline_unit: str | None = None  # the unit the 12345 platform dispatched the order to (承办单位)
    hotline_assist: tuple[str, ...] = ()  # and the units it dispatched to help (协办单位)
    prepared: bytes | None = None  # grouping features made where it was analysed (monitor.events.prepared)

    @property
    def official(self) -> bool:
        return bool(self.severity.get("official_account")) or self.verified_type in GOVERNMENT_VERIFIED

    @property
    def media(self) -> bool:
        return bool(self.severity.get("media_account")) or self.verified_type in MEDIA_VERIFIED


@dataclass
class EventState:
    """Everything grouping, heat, burst and grading need about one event, kept in constant memory."""

    id: int
    first_seen: float
    last_seen: float
    title: str = ""
    title_weight: float = 0.0
    post_count: int = 0
    centroid: SparseVector = field(default_factory=dict)
    centroid_norm: float = 0.0
    channels: dict[str, int] = field(default_factory=dict)
    topics: dict[str, float] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    keywords: dict[str, int] = field(default_factory=dict)  # how many posts say each responder keyword
    negative_sum: float = 0.0
    engagement: float = 0.0
    official_posts: int = 0
    media_posts: int = 0
    deaths: int = 0
    injured: int = 0
    serious: int = 0  # 重伤, which the criteria table grades (monitor.text.severity.Casualties.serious)
    missing: int = 0
    casualty_grade: int | None = None
    hazards: list[str] = field(default_factory=list)
    hazard_posts: dict[str, int] = field(default_factory=dict)  # how many posts name each hazard
    urgent: bool = False
    hotline_orders: list[str] = field(default_factory=list)
    hotline_unit: str | None = None  # the first 12345 order's 承办单位: it leads an incident the order opens
    hotline_assist: list[str] = field(default_factory=list)  # that order's 协办单位: they support
    heat: Heat = field(default_factory=Heat)
    burst: BurstState = field(default_factory=BurstState)
    incident_id: int | None = None  # mirrors events.incident_id / events.grade (columns, not state)
    grade: int | None = None
    opening: bool = False  # decided to open during the batch being grouped; settled when it commits

    @property
    def negative_share(self) -> float:
        return self.negative_sum / self.post_count if self.post_count else 0.0

    def top(self, votes: dict[str, Any]) -> str | None:
        return max(votes.items(), key=lambda kv: (kv[1], kv[0]))[0] if votes else None

    def to_json(self) -> dict[str, Any]:
        """The jsonb `events.state` column."""
        return {
            "title_weight": self.title_weight,
            "channels": self.channels,
            "topics": {k: round(v, 4) for k, v in self.topics.items()},
            "regions": self.regions,
            "departments": self.departments,
            "keywords": self.keywords,
            "negative_sum": round(self.negative_sum, 4),
            "engagement": round(self.engagement, 4),
            "official_posts": self.official_posts,
            "media_posts": self.media_posts,
            "deaths": self.deaths,
            "injured": self.injured,
            "serious": self.serious,
            "missing": self.missing,
            "casualty_grade": self.casualty_grade,
            "hazards": self.hazards,
            "hazard_posts": self.hazard_posts,
            "urgent": self.urgent,
            "hotline_orders": self.hotline_orders,
            "hotline_unit": self.hotline_unit,
            "hotline_assist": self.hotline_assist,
            "heat": [self.heat.value, self.heat.at],
            "burst": _burst_json(self.burst),
        }

    @classmethod
    def from_row(
        cls,
        id: int,
        first_seen: float,
        last_seen: float,
        title: str,
        post_count: int,
        state: dict[str, Any],
        incident_id: int | None = None,
        grade: int | None = None,
        centroid: dict[int, float] | None = None,
    ) -> EventState:
        centroid = centroid or {}
        heat = state.get("heat") or [0.0, None]
        e = cls(
            id=id,
            first_seen=first_seen,
            last_seen=last_seen,
            title=title,
            title_weight=float(state.get("title_weight", 0.0)),
            post_count=post_count,
            centroid=centroid,
            centroid_norm=sum(w * w for w in centroid.values()) ** 0.5,
            channels=dict(state.get("channels", {})),
            topics=dict(state.get("topics", {})),
            regions=dict(state.get("regions", {})),
            departments=dict(state.get("departments", {})),
            keywords=dict(state.get("keywords") or {}),  # events stored before: none counted
            negative_sum=float(state.get("negative_sum", 0.0)),
            engagement=float(state.get("engagement", 0.0)),
            official_posts=int(state.get("official_posts", 0)),
            media_posts=int(state.get("media_posts", 0)),
            deaths=int(state.get("deaths", 0)),
            injured=int(state.get("injured", 0)),
            serious=int(state.get("serious", state.get("injured", 0))),  # stored before: every injured
            missing=int(state.get("missing", 0)),
            casualty_grade=state.get("casualty_grade"),
            hazards=list(state.get("hazards", [])),
            # events stored before the counts were kept: each hazard counted once
            hazard_posts=dict(state.get("hazard_posts") or dict.fromkeys(state.get("hazards", []), 1)),
            urgent=bool(state.get("urgent", False)),
            hotline_orders=list(state.get("hotline_orders", [])),
            hotline_unit=state.get("hotline_unit"),
            hotline_assist=list(state.get("hotline_assist") or []),
            heat=Heat(float(heat[0]), None if heat[1] is None else float(heat[1])),
            burst=BurstState(**state["burst"]) if state.get("burst") else BurstState(),
            incident_id=incident_id,
            grade=grade,
        )
        return e


def _burst_json(b: BurstState) -> dict[str, Any]:
    return {
        "bucket": b.bucket,
        "current": round(b.current, 4),
        "mean": round(b.mean, 6),
        "var": round(b.var, 6),
        "bursting": b.bursting,
        "started_bucket": b.started_bucket,
        "quiet": b.quiet,
        "peak": round(b.peak, 4),
        "score": round(b.score, 4),
    }
