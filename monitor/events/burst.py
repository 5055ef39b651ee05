"""Online burst detection: activity in the current bucket far above the event's own EWMA baseline."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

BurstChange = Literal["started", "ended"]


@dataclass(frozen=True)
class BurstParams:
    """Thresholds: z-score over the EWMA baseline, a ratio over its mean and an absolute floor."""

    bucket_s: float = 900.0
    alpha: float = 0.2
    z: float = 3.0
    ratio: float = 3.0
    min_amount: float = 5.0
    prior_mean: float = 0.5  # a new event starts from the baseline of an ordinary, quiet event
    prior_var: float = 1.0
    min_var: float = 0.25
    end_after: int = 4  # closed buckets back under the baseline before a burst ends


@dataclass(frozen=True)
class BurstState:
    """The detector's whole state; `bucket` is the index of the bucket being filled."""

    bucket: int | None = None
    current: float = 0.0
    mean: float = 0.5
    var: float = 1.0
    bursting: bool = False
    started_bucket: int | None = None
    quiet: int = 0
    peak: float = 0.0
    score: float = 0.0


def initial(p: BurstParams) -> BurstState:
    return BurstState(mean=p.prior_mean, var=p.prior_var)


def threshold(s: BurstState, p: BurstParams) -> float:
    """The activity one bucket needs to count as a burst."""
    sd = math.sqrt(max(s.var, p.min_var))
    return max(p.min_amount, s.mean + p.z * sd, p.ratio * s.mean)


def _ewma(mean: float, var: float, x: float, alpha: float) -> tuple[float, float]:
    diff = x - mean
    incr = alpha * diff
    return mean + incr, (1 - alpha) * (var + diff * incr)


def _close(s: BurstState, upto: int, p: BurstParams) -> tuple[BurstState, list[BurstChange]]:
    """Fold the current bucket and any empty ones before `upto` into the baseline."""
    assert s.bucket is not None
    changes: list[BurstChange] = []
    mean, var, quiet, bursting = s.mean, s.var, s.quiet, s.bursting
    values = [s.current] + [0.0] * min(upto - s.bucket - 1, 64)
    for x in values:
        if bursting:
            quiet = quiet + 1 if x < mean + math.sqrt(max(var, p.min_var)) else 0
            if quiet >= p.end_after:
                bursting, quiet = False, 0
                changes.append("ended")
        mean, var = _ewma(mean, var, x, p.alpha)
    skipped = upto - s.bucket - 1 - 64
    if skipped > 0:  # a long silence: the baseline has decayed to (almost) nothing
        mean *= (1 - p.alpha) ** skipped
        var *= (1 - p.alpha) ** skipped
    started = s.started_bucket if bursting else None
    closed = replace(
        s,
        bucket=upto,
        current=0.0,
        mean=mean,
        var=var,
        bursting=bursting,
        quiet=quiet,
        started_bucket=started,
    )
    return closed, changes


def observe(s: BurstState, t: float, amount: float, p: BurstParams) -> tuple[BurstState, list[BurstChange]]:
    """Add `amount` of activity at epoch-seconds `t`; report bursts that ended and/or started."""
    b = math.floor(t / p.bucket_s)
    changes: list[BurstChange] = []
    if s.bucket is None:
        s = replace(s, bucket=b)
    elif b > s.bucket:
        s, changes = _close(s, b, p)
    # a late post (b < s.bucket) counts towards the bucket being filled
    current = s.current + amount
    bursting, started, quiet, peak, score = s.bursting, s.started_bucket, s.quiet, s.peak, s.score
    if not bursting and current >= threshold(s, p):
        bursting, started, quiet, peak = True, s.bucket, 0, current
        score = (current - s.mean) / math.sqrt(max(s.var, p.min_var))
        changes = [*changes, "started"]
    elif bursting and current > peak:
        peak = current
    # built directly, not with dataclasses.replace: this runs once per post
    return BurstState(s.bucket, current, s.mean, s.var, bursting, started, quiet, peak, score), changes
