"""Heat: per-post weight from engagement and author influence, and an event's exponentially decayed heat."""

from __future__ import annotations

import math
from dataclasses import dataclass

from monitor.events.similarity import decay_factor

# Weibo `verified_type`: 1 = government (政务), 3 = media; -1 or None = not verified.
GOVERNMENT_VERIFIED = frozenset({1})
MEDIA_VERIFIED = frozenset({3})
CHANNEL_WEIGHT = {"news": 3.0, "hotline": 2.0, "wechat": 1.5}
HEAT_HALF_LIFE_S = 12 * 3600.0
BUCKET_S = 900.0  # the heat series and burst detector work in 15-minute buckets


def author_weight(verified_type: int | None, followers: int | None, channel: str = "weibo") -> float:
    """3 for government/media accounts, 2 for a million followers, 1.5 for 100k, else the channel's weight."""
    if verified_type is not None and (
        verified_type in GOVERNMENT_VERIFIED or verified_type in MEDIA_VERIFIED
    ):
        return 3.0
    f = followers or 0
    if f >= 1_000_000:
        return 2.0
    if f >= 100_000:
        return 1.5
    return CHANNEL_WEIGHT.get(channel, 1.0)


def engagement(reposts: int, comments: int, likes: int) -> float:
    """log-scaled interaction (BettaFish-style weights: a repost counts double a comment, ten likes)."""
    return math.log1p(max(reposts, 0) + 0.5 * max(comments, 0) + 0.1 * max(likes, 0))


def post_heat(
    reposts: int, comments: int, likes: int, verified_type: int | None, followers: int | None, channel: str
) -> float:
    """One post's contribution: (1 + log engagement) × author weight; an ordinary post scores 1."""
    return (1.0 + engagement(reposts, comments, likes)) * author_weight(verified_type, followers, channel)


@dataclass(frozen=True)
class Heat:
    """Decayed sum of post contributions, as of `at` (epoch seconds)."""

    value: float = 0.0
    at: float | None = None

    def at_time(self, t: float, half_life_s: float = HEAT_HALF_LIFE_S) -> float:
        """The value aged to `t` (never grown for a `t` in the past)."""
        if self.at is None:
            return 0.0
        return self.value * decay_factor(t - self.at, half_life_s)

    def add(self, t: float, amount: float, half_life_s: float = HEAT_HALF_LIFE_S) -> Heat:
        """Add a contribution at `t`; a late (older) contribution is aged to the current time."""
        if self.at is None:
            return Heat(amount, t)
        if t >= self.at:
            return Heat(self.value * decay_factor(t - self.at, half_life_s) + amount, t)
        return Heat(self.value + amount * decay_factor(self.at - t, half_life_s), self.at)


def heat_score(decayed: float, negative_share: float) -> float:
    """What grading compares with thresholds: decayed heat, weighted 0.5×–1.5× by the negative share."""
    return decayed * (0.5 + min(max(negative_share, 0.0), 1.0))


def bucket_start(t: float, bucket_s: float = BUCKET_S) -> float:
    return math.floor(t / bucket_s) * bucket_s
