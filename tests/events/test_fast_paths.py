"""The grouping fast paths give the very doubles of the plain formulas they replace (workers and stored
centroids must not drift), and candidate pruning never changes which event a post joins."""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import defaultdict

import numpy as np
import pytest

from monitor.events.clusterer import GroupingParams, WindowIndex, _front_runners
from monitor.events.model import PostIn
from monitor.events.simhash import simhash64
from monitor.events.similarity import (
    DIM,
    DIM_BITS,
    IdfTable,
    Weighted,
    cosine,
    decay_factor,
    merge_centroid,
    norm,
    weigh,
)
from monitor.events.text import TermTable, normalise, term_hash, terms

TEXTS = [
    "云江市青石县临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援",
    "青石县临港化工园区化工厂爆炸事故：消防救援力量已赶赴现场处置，浓烟滚滚",
    "江北区北湖街道多个小区停水三天了，自来水公司和物业互相推诿，居民生活受到严重影响",
    "//@人民日报:【#东航MU5735#】搜救仍在进行 https://t.cn/A6xyz [蜡烛][蜡烛]",
    "爆",
    "",
]


def _vector(rng: random.Random, n: int) -> dict[int, float]:
    return {rng.randrange(DIM): rng.random() for _ in range(n)}


def _old_weigh(text: str, idf: IdfTable) -> tuple[dict[int, float], list[int], list[float]]:
    counts = terms(normalise(text))
    hashes = [term_hash(t) for t in counts]
    tf = [1.0 + math.log(c) for c in counts.values()]
    ids = np.fromiter((h & (DIM - 1) for h in hashes), dtype=np.int64, count=len(hashes))
    w = np.asarray(tf) * idf.weights(ids)
    w /= float(np.sqrt((w * w).sum())) or 1.0
    vector: dict[int, float] = {}
    for i, wt in zip(ids.tolist(), w.tolist(), strict=True):
        vector[i] = vector.get(i, 0.0) + wt
    return vector, hashes, tf


@pytest.mark.parametrize("text", TEXTS)
def test_weigh_and_simhash_equal_the_plain_formulas(text: str) -> None:
    idf = IdfTable()
    idf.add(np.arange(0, DIM, 7))
    idf.docs = 40.0
    table = TermTable(DIM_BITS)
    for _ in range(2):  # terms new to the table, then known
        got = weigh(terms(normalise(text)), table, idf)
        vector, hashes, tf = _old_weigh(text, idf)
        assert got.vector == vector and list(got.vector) == list(vector)
        assert got.hashes.tolist() == hashes and got.tf.tolist() == tf
        shifts = np.arange(64, dtype=np.uint64)
        bits = ((np.array(hashes, dtype=np.uint64)[:, None] >> shifts) & np.uint64(1)).astype(np.float64)
        votes = np.asarray(tf, dtype=np.float64) @ (bits * 2.0 - 1.0)
        expected = int(((votes > 0).astype(np.uint64) << shifts).sum()) if hashes else 0
        assert simhash64(got.hashes, got.tf) == expected


def test_long_counts_and_colliding_ids_still_weigh_alike() -> None:
    text = "爆炸" * 300 + "化工厂"
    got = weigh(terms(text), TermTable(DIM_BITS), IdfTable())
    assert got.vector == _old_weigh(text, IdfTable())[0]
    table = TermTable(id_bits=1)  # two ids only: terms collide and their weights add up
    collided = weigh(terms(TEXTS[0]), table, IdfTable())
    assert len(collided.vector) <= 2 and sorted(collided.ids.tolist()) == sorted(collided.vector)
    assert sum(collided.vector.values()) == pytest.approx(
        sum(weigh(terms(TEXTS[0]), TermTable(DIM_BITS), IdfTable()).vector.values())
    )


def test_cosine_merge_and_norm_equal_the_plain_sums() -> None:
    rng = random.Random(3)
    for _ in range(200):
        a, b = _vector(rng, rng.randint(1, 80)), _vector(rng, rng.randint(1, 60))
        b.update(dict(itertools.islice(a.items(), rng.randint(0, len(a)))))
        nb = norm(b)
        assert nb == math.sqrt(sum(x * x for x in b.values()))
        small, large = (b, a) if len(b) <= len(a) else (a, b)
        assert cosine(a, b, nb) == sum(w * large.get(t, 0.0) for t, w in small.items()) / nb
        keep = rng.random()
        plain = {t: w * keep for t, w in b.items()}
        for t, w in a.items():
            plain[t] = plain.get(t, 0.0) + w
        if len(plain) > 48:
            plain = dict(sorted(plain.items(), key=lambda kv: kv[1], reverse=True)[:48])
        merged = merge_centroid(b, keep, a, 48)
        assert merged == plain and list(merged) == list(plain)


def test_front_runners_hold_the_k_largest_with_their_ties() -> None:
    rng = random.Random(5)
    for n in (1, 8, 9, 200):
        dots = {rng.randrange(10**6): rng.choice([0.5, 0.25, rng.random()]) for _ in range(n)}
        norms = {ev: rng.choice([1.0, 2.0, rng.random() + 0.5]) for ev in dots}
        everyone = [(dot / norms[ev], ev) for ev, dot in dots.items()]
        assert heapq.nlargest(8, _front_runners(dots, norms, 8)) == heapq.nlargest(8, everyone)


def _unpruned(idx: WindowIndex, w: Weighted, t: float, short: bool) -> tuple[int, float] | None:
    """The search without its shortcuts: every front-runner's exact cosine (what grouping did before)."""
    p = idx.params
    bar = p.short_threshold if short else p.threshold
    partial = len(w.vector) > p.probe_terms
    probe = (
        dict(heapq.nlargest(p.probe_terms, w.vector.items(), key=lambda kv: kv[1])) if partial else w.vector
    )
    dots: defaultdict[int, float] = defaultdict(float)
    for term, weight in probe.items():
        bucket = idx._postings.get(term, {})
        if len(bucket) > p.max_postings:
            partial = True
            continue
        for event_id, cw in bucket.items():
            dots[event_id] += weight * cw
    floor = 0.0 if partial else bar
    norms = idx._norms
    ranked = [(dot / norms[ev], ev) for ev, dot in dots.items() if dot >= floor * norms[ev]]
    best: tuple[int, float] | None = None
    for approx, event_id in heapq.nlargest(p.max_candidates, ranked):
        e = idx.events[event_id]
        score = cosine(w.vector, e.centroid, e.centroid_norm) if partial else approx
        score *= decay_factor(t - e.last_seen, p.half_life_s)
        if score >= bar and (best is None or score > best[1]):
            best = (event_id, score)
    return best


@pytest.mark.parametrize("max_postings", [100, 3])
def test_pruning_the_front_runners_never_changes_the_match(max_postings: int) -> None:
    rng = random.Random(11)
    words = ["".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(4)) for _ in range(200)]
    params = GroupingParams(probe_terms=8, max_postings=max_postings, threshold=0.2)
    idx, ids = WindowIndex(params), itertools.count(1)
    t, matched = 1_780_000_000.0, 0
    for i in range(400):
        topic = rng.randrange(20)
        text = "，".join(words[(topic * 7 + rng.randrange(25)) % 200] for _ in range(rng.randint(1, 15)))
        t += rng.uniform(0, 1200)
        post = PostIn(i, "s", "weibo", f"m{i}", t, text)
        w, _, short = idx.features(post)
        if len(w.vector) >= 3:
            found = idx._most_similar(w, t, short)
            assert found == _unpruned(idx, w, t, short)
            matched += found is not None
        idx.assign(post, None, lambda: next(ids))
    assert matched > 50
