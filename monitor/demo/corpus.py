"""The demo corpus: the scripted scenario plus hot-search background noise, placed on a simulated timeline."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import yaml

CHANNELS = ("weibo", "news", "wechat", "hotline")


@dataclass(frozen=True)
class DemoItem:
    """One post (or 12345 order) and when, in simulated time, it appears."""

    at: datetime
    channel: str
    item_id: str
    text: str
    title: str = ""
    summary: str = ""
    author: str = ""
    followers: int = 0
    verified_type: int = -1
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    hotline: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoAction:
    """Something a person does in the demo (acknowledge by one-click link, record a statement)."""

    at: datetime
    kind: str
    incident_match: str
    person: str
    url: str = ""
    text: str = ""


def _stable_id(*parts: object) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode()).hexdigest()[:16]


def load_scenario(start: datetime) -> tuple[list[DemoItem], list[DemoAction]]:
    """The scripted explosion and water-quality stories, and the demo's actions."""
    raw: dict[str, Any] = yaml.safe_load(
        (resources.files("monitor.demo") / "data" / "scenario.yaml").read_text(encoding="utf-8")
    )
    items: list[DemoItem] = []
    for i, p in enumerate(raw["posts"]):
        at = start + timedelta(minutes=float(p["at"]))
        hotline = {}
        if p["channel"] == "hotline":
            hotline = {
                k: str(p[k])
                for k in (
                    "order_no",
                    "urgency",
                    "category",
                    "handler_unit",
                    "region_code",
                    "caller_name",
                    "caller_phone",
                )
                if k in p
            }
        items.append(
            DemoItem(
                at=at,
                channel=p["channel"],
                item_id=p.get("order_no") or _stable_id("scenario", i),
                text=p["text"],
                title=p.get("title", ""),
                summary=p.get("summary", ""),
                author=p.get("author", ""),
                followers=int(p.get("followers", 0)),
                verified_type=int(p.get("verified_type", -1)),
                reposts=int(p.get("reposts", 0)),
                comments=int(p.get("comments", 0)),
                likes=int(p.get("likes", 0)),
                hotline=hotline,
            )
        )
    actions = [
        DemoAction(
            at=start + timedelta(minutes=float(a["at"])),
            kind=a["kind"],
            incident_match=a["incident_match"],
            person=a["person"],
            url=a.get("url", ""),
            text=a.get("text", ""),
        )
        for a in raw.get("actions", [])
    ]
    return items, actions


def load_noise(start: datetime, span: timedelta, every: timedelta) -> list[DemoItem]:
    """Hot-search topics (MIT sample) spread over `span`, alternating Weibo and news."""
    text = (resources.files("monitor.demo") / "data" / "hotsearch_2024_06_sample.csv").read_text(
        encoding="utf-8"
    )
    rows = list(csv.DictReader(text.splitlines()))
    count = max(1, int(span / every))
    items: list[DemoItem] = []
    for i, row in enumerate(rows[:count]):
        channel = "weibo" if i % 3 else "news"
        hot = int(row["peak_hot"] or 0)
        items.append(
            DemoItem(
                at=start + every * i + timedelta(seconds=17),
                channel=channel,
                item_id=_stable_id("noise", row["title"]),
                text=f"#{row['title']}# {row['description']}" if channel == "weibo" else row["description"],
                title=row["title"],
                summary=row["description"],
                author="热搜速递" if channel == "weibo" else "新闻聚合",
                followers=50000,
                reposts=hot // 5000,
                comments=hot // 8000,
                likes=hot // 2000,
            )
        )
    return items


def build_corpus(
    start: datetime, span: timedelta = timedelta(hours=8)
) -> tuple[list[DemoItem], list[DemoAction]]:
    """Everything the demo replays, sorted by time."""
    scenario, actions = load_scenario(start)
    noise = load_noise(start, span, every=timedelta(minutes=2))
    return sorted(scenario + noise, key=lambda it: it.at), actions
