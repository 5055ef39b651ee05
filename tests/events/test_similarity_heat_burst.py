"""Pure maths: decayed IDF, cosine, centroids, heat and the EWMA burst detector, as table tests."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from monitor.events.burst import BurstParams, BurstState, initial, observe, threshold
from monitor.events.heat import Heat, author_weight, bucket_start, engagement, heat_score, post_heat
from monitor.events.similarity import (
    DIM,
    DIM_BITS,
    IdfTable,
    cosine,
    decay_factor,
    merge_centroid,
    norm,
    top_terms,
    weigh,
)
from monitor.events.text import TermTable, normalise, terms

HOUR = 3600.0


@pytest.mark.parametrize(
    ("age", "half_life", "expected"),
    [(0, 10, 1.0), (10, 10, 0.5), (20, 10, 0.25), (-5, 10, 1.0)],
)
def test_decay_factor(age: float, half_life: float, expected: float) -> None:
    assert decay_factor(age, half_life) == pytest.approx(expected)


def test_decay_factor_rejects_nonpositive_half_life() -> None:
    with pytest.raises(ValueError):
        decay_factor(1, 0)


def test_idf_decays_and_rare_terms_weigh_more() -> None:
    idf = IdfTable()
    common, rare = np.array([1]), np.array([2])
    idf.decay_to(0.0, HOUR)
    for _ in range(9):
        idf.add(np.array([1]))
    idf.add(np.array([1, 2]))
    assert idf.weights(rare)[0] > idf.weights(common)[0]
    idf.decay_to(HOUR, HOUR)
    assert idf.docs == pytest.approx(5.0)
    assert float(idf.df[1]) == pytest.approx(5.0)
    idf.decay_to(0.0, HOUR)  # going back in time changes nothing
    assert idf.docs == pytest.approx(5.0)


def test_idf_round_trips_through_bytes() -> None:
    idf = IdfTable()
    idf.add(np.array([3, DIM - 1]))
    back = IdfTable.from_bytes(idf.to_bytes(), idf.docs, 12.0)
    assert back.docs == 1.0 and back.at == 12.0
    assert float(back.df[3]) == 1.0 and float(back.df[DIM - 1]) == 1.0
    assert IdfTable.from_bytes(None, 5.0, None).docs == 0.0


def _vec(text: str, idf: IdfTable | None = None) -> dict[int, float]:
    return weigh(terms(normalise(text)), TermTable(DIM_BITS), idf or IdfTable()).vector


def test_weighted_vector_is_unit_and_cosine_ranks_related_text_higher() -> None:
    a = _vec("临港化工园区化工厂爆炸 浓烟滚滚")
    b = _vec("化工厂爆炸 临港化工园区现场浓烟")
    c = _vec("北湖街道小区停水三天")
    assert norm(a) == pytest.approx(1.0)
    assert cosine(a, b, norm(b)) > 0.5 > cosine(a, c, norm(c))
    assert cosine(a, {}, 0.0) == 0.0
    assert weigh(Counter(), TermTable(DIM_BITS), IdfTable()).vector == {}


def test_merge_centroid_decays_adds_and_truncates() -> None:
    merged = merge_centroid({1: 1.0, 2: 0.2}, 0.5, {2: 1.0, 3: 0.1}, top_k=2)
    assert merged == {1: 0.5, 2: 1.1}
    assert top_terms({1: 0.1, 2: 0.9, 3: 0.5}, 2) == [2, 3]


@pytest.mark.parametrize(
    ("verified", "followers", "channel", "weight"),
    [
        (1, 10, "weibo", 3.0),  # government account
        (3, 10, "weibo", 3.0),  # media account
        (0, 2_000_000, "weibo", 2.0),
        (None, 200_000, "weibo", 1.5),
        (None, 10, "weibo", 1.0),
        (None, None, "news", 3.0),
        (None, None, "hotline", 2.0),
        (-1, None, "wechat", 1.5),
    ],
)
def test_author_weight(verified: int | None, followers: int | None, channel: str, weight: float) -> None:
    assert author_weight(verified, followers, channel) == weight


def test_post_heat_grows_with_engagement_and_influence() -> None:
    assert post_heat(0, 0, 0, None, None, "weibo") == 1.0
    assert engagement(100, 0, 0) == pytest.approx(math.log1p(100))
    assert engagement(-5, -5, -5) == 0.0
    assert post_heat(1000, 0, 0, 1, None, "weibo") == pytest.approx((1 + math.log1p(1000)) * 3)
    assert post_heat(10, 10, 10, None, None, "weibo") < post_heat(10, 10, 10, 3, None, "weibo")


def test_heat_decays_with_half_life_and_late_posts_are_aged() -> None:
    h = Heat().add(0.0, 10.0, half_life_s=HOUR)
    assert h.at_time(HOUR, half_life_s=HOUR) == pytest.approx(5.0)
    h2 = h.add(HOUR, 5.0, half_life_s=HOUR)
    assert h2.value == pytest.approx(10.0) and h2.at == HOUR
    late = h2.add(0.0, 4.0, half_life_s=HOUR)
    assert late.value == pytest.approx(12.0) and late.at == HOUR
    assert Heat().at_time(100.0) == 0.0
    assert heat_score(100.0, 0.0) == 50.0 and heat_score(100.0, 1.0) == 150.0 and heat_score(100, 7) == 150
    assert bucket_start(1799.0) == 900.0


P = BurstParams(bucket_s=60.0, alpha=0.2, z=3.0, ratio=3.0, min_amount=5.0)


def _feed(counts: list[int], p: BurstParams = P) -> list[tuple[int, list[str]]]:
    """Feed `counts[i]` posts of weight 1 into minute i; return (minute, changes) on every change."""
    s = initial(p)
    out = []
    for minute, n in enumerate(counts):
        for k in range(n):
            s, changes = observe(s, minute * 60.0 + k * 0.01, 1.0, p)
            if changes:
                out.append((minute, list(changes)))
    return out


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([1, 1, 1, 1, 1, 1], []),  # steady trickle: never a burst
        ([1, 0, 1, 8, 1], [(3, ["started"])]),  # a jump well above the baseline
        ([4, 4, 4, 4], []),  # under the absolute floor
        ([20, 20, 20, 20, 20, 20, 20, 20], [(0, ["started"])]),  # new and big: bursts at once, then stays
        ([1, 9, 0, 0, 0, 0, 1], [(1, ["started"]), (6, ["ended"])]),  # ends after four quiet buckets
    ],
)
def test_burst_table(counts: list[int], expected: list[tuple[int, list[str]]]) -> None:
    assert _feed(counts) == expected


def test_threshold_respects_floor_z_and_ratio() -> None:
    assert threshold(BurstState(mean=0.0, var=0.0), P) == 5.0
    assert threshold(BurstState(mean=10.0, var=1.0), P) == 30.0  # ratio dominates
    assert threshold(BurstState(mean=10.0, var=100.0), P) == 40.0  # z-score dominates


def test_long_silence_decays_the_baseline_and_late_posts_count_now() -> None:
    s = initial(P)
    for minute in range(30):
        for _ in range(3):
            s, _ = observe(s, minute * 60.0, 1.0, P)
    assert s.mean > 2.0
    s, _ = observe(s, 10_000 * 60.0, 1.0, P)  # after a week of nothing
    assert s.mean < 0.01 and s.bucket == 10_000
    s, _ = observe(s, 5 * 60.0, 1.0, P)  # a late post goes into the bucket being filled
    assert s.bucket == 10_000 and s.current == 2.0
