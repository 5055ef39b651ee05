"""Single-pass grouping over a sliding window: repost chains, simhash near-duplicates, decayed cosine."""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np

from monitor.events.aggregate import absorb, new_event
from monitor.events.burst import BurstChange, BurstParams
from monitor.events.heat import post_heat
from monitor.events.model import EventState, PostIn
from monitor.events.prepared import Prepared, decode, grouping_text, prepare
from monitor.events.simhash import NEAR_DUPLICATE_DISTANCE, bands, hamming
from monitor.events.similarity import (
    DIM_BITS,
    EMPTY,
    IdfTable,
    Weighted,
    cosine,
    decay_factor,
    merge_centroid,
    norm,
    sublinear_tf,
    weigh_ids,
)
from monitor.events.text import TermTable

_WEIGHT = itemgetter(1)
_NO_HASHES = np.zeros(0, dtype=np.uint64)


def _front_runners(dots: dict[int, float], norms: dict[int, float], k: int) -> list[tuple[float, int]]:
    """(dot / norm, event) pairs that can be among the k largest; the others are never built."""
    n = len(dots)
    approx = np.fromiter(dots.values(), dtype=np.float64, count=n)
    approx /= np.fromiter(map(norms.__getitem__, dots), dtype=np.float64, count=n)  # IEEE: as `dot / norm`
    if n <= k:
        return list(zip(approx.tolist(), dots, strict=True))
    keep = np.flatnonzero(approx >= np.partition(approx, n - k)[n - k])  # ties with the k-th stay in
    events = list(dots)
    return [(a, events[i]) for i, a in zip(keep.tolist(), approx[keep].tolist(), strict=True)]


@dataclass(frozen=True)
class GroupingParams:
    """How posts join events; the defaults are argued for in bench/events_bench.py."""

    window_s: float = 72 * 3600.0
    threshold: float = 0.3
    half_life_s: float = 24 * 3600.0
    top_k: int = 48
    probe_terms: int = 32  # the post's heaviest terms find candidates; their cosine is then exact
    max_postings: int = 100  # a term in more active events than this is a stop-word for now
    max_candidates: int = 8
    min_simhash_terms: int = 8
    min_similarity_terms: int = 3
    short_threshold: float = 0.6  # few terms make cosine jumpy: short posts need more overlap
    df_half_life_s: float = 7 * 86400.0
    max_events: int = 50_000
    burst: BurstParams = field(default_factory=BurstParams)


@dataclass(frozen=True)
class Signature:
    """A post's fingerprint: simhash, or for very short texts a hash of the whole normalised text."""

    post_id: int
    event_id: int
    fingerprint: int
    short: bool
    seen: float


@dataclass(frozen=True)
class Join:
    """Where one post went and why."""

    post_id: int
    event_id: int
    how: str  # new | repost | near_duplicate | similar
    score: float
    amount: float
    burst: list[BurstChange]
    signature: Signature | None
    burst_baseline: float = 0.0
    burst_score: float = 0.0
    burst_bucket: int | None = None


class WindowIndex:
    """The in-memory view of the active window; PostgreSQL holds the truth and it can be rebuilt from it."""

    def __init__(self, params: GroupingParams | None = None, idf: IdfTable | None = None) -> None:
        self.params = params or GroupingParams()
        self.idf = idf or IdfTable()
        self.terms = TermTable(DIM_BITS)
        self.events: dict[int, EventState] = {}
        self._postings: dict[int, dict[int, float]] = {}
        self._norms: dict[int, float] = {}  # centroid norms of indexed events, for the candidate loop
        self._indexed: dict[int, list[int]] = {}
        self._bands: list[dict[int, dict[int, tuple[int, float]]]] = [{} for _ in range(4)]
        self._short: dict[int, tuple[int, float]] = {}
        self._signatures: deque[Signature] = deque()
        self.stream_t = 0.0

    # --- loading state -------------------------------------------------------------------------------------

    def load_event(self, e: EventState) -> None:
        self.events[e.id] = e
        self._reindex(e)

    def load_signature(self, sig: Signature) -> None:
        if sig.short:
            self._short[sig.fingerprint] = (sig.event_id, sig.seen)
        else:
            for i, band in enumerate(bands(sig.fingerprint)):
                self._bands[i].setdefault(band, {})[sig.fingerprint] = (sig.event_id, sig.seen)
        self._signatures.append(sig)

    # --- the window ----------------------------------------------------------------------------------------

    def _reindex(self, e: EventState) -> None:
        """Keep the weighted inverted index (term → {event: centroid weight}) in step with the centroid."""
        event_id, centroid, postings = e.id, e.centroid, self._postings
        old = self._indexed.get(event_id)
        if old:
            for t in set(old).difference(centroid):
                bucket = postings.get(t)
                if bucket is not None:
                    bucket.pop(event_id, None)
                    if not bucket:
                        del postings[t]
        for t, weight in centroid.items():
            postings.setdefault(t, {})[event_id] = weight
        self._indexed[event_id] = list(centroid)
        self._norms[event_id] = e.centroid_norm or 1.0

    def _forget(self, event_id: int) -> None:
        self.events.pop(event_id, None)
        self._norms.pop(event_id, None)
        for t in self._indexed.pop(event_id, []):
            bucket = self._postings.get(t)
            if bucket is not None:
                bucket.pop(event_id, None)
                if not bucket:
                    del self._postings[t]

    def sweep(self, keep: set[int] | None = None) -> int:
        """Drop events and signatures that left the window (or exceed the cap); returns events dropped."""
        cutoff = self.stream_t - self.params.window_s
        while self._signatures and self._signatures[0].seen < cutoff:
            sig = self._signatures.popleft()
            if sig.short:
                if self._short.get(sig.fingerprint, (0, 0.0))[1] == sig.seen:
                    del self._short[sig.fingerprint]
            else:
                for i, band in enumerate(bands(sig.fingerprint)):
                    entries = self._bands[i].get(band)
                    if entries and entries.get(sig.fingerprint, (0, 0.0))[1] == sig.seen:
                        del entries[sig.fingerprint]
                        if not entries:
                            del self._bands[i][band]
        keep = keep or set()
        stale = [i for i, e in self.events.items() if e.last_seen < cutoff and i not in keep]
        over = len(self.events) - len(stale) - self.params.max_events
        if over > 0:
            live = sorted(
                (e.last_seen, i) for i, e in self.events.items() if e.last_seen >= cutoff and i not in keep
            )
            stale += [i for _, i in live[:over]]
        for i in stale:
            self._forget(i)
        return len(stale)

    # --- assignment ----------------------------------------------------------------------------------------

    def features(self, post: PostIn) -> tuple[Weighted, int, bool]:
        """The post's TF-IDF vector and fingerprint (counted into the document frequencies). The text-only
        part usually comes prepared where the post was analysed; otherwise it is prepared here, alike."""
        self.idf.decay_to(post.published, self.params.df_half_life_s)
        ready = decode(post.prepared) if post.prepared is not None else None
        if ready is None:
            ready = prepare(grouping_text(post.title, post.text), self.terms)
        return self._weigh_prepared(ready)

    def _weigh_prepared(self, ready: Prepared) -> tuple[Weighted, int, bool]:
        weighted = EMPTY
        if ready.n_terms:
            tf = sublinear_tf(ready.counts)
            vector, ids = weigh_ids(ready.ids, tf, self.idf)
            weighted = Weighted(vector, ids, _NO_HASHES, tf)
            self.idf.add(ids)
        if ready.n_terms < self.params.min_simhash_terms:
            return weighted, ready.key, True
        return weighted, ready.fingerprint, False

    def _near_duplicate(self, fingerprint: int, short: bool) -> tuple[int, int] | None:
        if short:
            hit = self._short.get(fingerprint)
            return (hit[0], 0) if hit and hit[0] in self.events else None
        best: tuple[int, int] | None = None
        for i, band in enumerate(bands(fingerprint)):
            for fp, (event_id, _) in self._bands[i].get(band, {}).items():
                d = hamming(fp, fingerprint)
                if d <= NEAR_DUPLICATE_DISTANCE and event_id in self.events and (best is None or d < best[1]):
                    best = (event_id, d)
        return best

    def _most_similar(self, w: Weighted, t: float, short: bool) -> tuple[int, float] | None:
        """Dot products through the inverted index, skipping terms so common they say nothing here."""
        p = self.params
        bar = p.short_threshold if short else p.threshold
        vector = w.vector
        partial = len(vector) > p.probe_terms
        rest_sq = 0.0  # squared norm of the post's terms left out of the dot products
        if partial:
            # the heaviest terms, heaviest first (ties in vector order, as heapq.nlargest gives them)
            ordered = sorted(vector.items(), key=_WEIGHT, reverse=True)
            probe: Iterable[tuple[int, float]] = ordered[: p.probe_terms]
            rest_sq = sum([x * x for _, x in ordered[p.probe_terms :]])
        else:
            probe = vector.items()
        dots: dict[int, float] = {}
        add = dots.get  # a plain dict with a bound get: twice as fast as defaultdict's +=, same sums
        postings, cap = self._postings, p.max_postings
        for term, weight in probe:
            bucket = postings.get(term)
            if bucket is None:
                continue
            if len(bucket) > cap:
                partial = True
                rest_sq += weight * weight
                continue
            for event_id, cw in bucket.items():
                dots[event_id] = add(event_id, 0.0) + weight * cw
        if not dots:
            return None
        events, half_life, norms = self.events, p.half_life_s, self._norms
        if partial:
            ranked = _front_runners(dots, norms, p.max_candidates)
        else:
            # decay only lowers a score, so a full dot product already under the bar is out (a partial one
            # can still grow by the skipped terms)
            ranked = [(dot / norms[ev], ev) for ev, dot in dots.items() if dot >= bar * norms[ev]]
        # the skipped terms add at most their norm to a cosine (Cauchy–Schwarz, the post being a unit
        # vector): a front-runner that could not beat the bar or the best so far even then is not computed
        slack = math.sqrt(rest_sq) + 1e-9
        need = bar
        best: tuple[int, float] | None = None
        for approx, event_id in heapq.nlargest(p.max_candidates, ranked):
            e = events[event_id]
            decay = decay_factor(t - e.last_seen, half_life)
            if partial:
                if (approx + slack) * decay < need:
                    continue
                score = cosine(vector, e.centroid, e.centroid_norm) * decay
            else:
                score = approx * decay
            if score >= bar and (best is None or score > best[1]):
                best, need = (event_id, score), score
        return best

    def assign(self, post: PostIn, repost_event: int | None, new_id: Callable[[], int]) -> Join:
        """Put the post in an event (creating one if nothing matches) and update that event."""
        p = self.params
        self.stream_t = max(self.stream_t, post.published)
        how, score, event_id = "new", 1.0, None
        signature = None
        if repost_event is not None and repost_event in self.events:
            how, event_id = "repost", repost_event  # a repost's text is a comment: it isn't indexed
        else:
            w, fingerprint, short = self.features(post)
            if (near := self._near_duplicate(fingerprint, short)) is not None:
                how, event_id, score = "near_duplicate", near[0], 1.0 - near[1] / 64.0
            elif len(w.vector) >= p.min_similarity_terms and (
                sim := self._most_similar(w, post.published, short)
            ):
                how, event_id, score = "similar", sim[0], sim[1]
            if event_id is None:
                event_id = new_id()
                self.events[event_id] = new_event(event_id, post, p.burst)
            e = self.events[event_id]
            if how in ("new", "similar"):
                keep = decay_factor(post.published - e.last_seen, p.half_life_s)
                e.centroid = merge_centroid(e.centroid, keep, w.vector, p.top_k)
                e.centroid_norm = norm(e.centroid)
                self._reindex(e)
            if not short or len(w.vector) >= p.min_similarity_terms:
                signature = Signature(post.post_id, event_id, fingerprint, short, post.published)
                self.load_signature(signature)
        e = self.events[event_id]
        amount = post_heat(
            post.reposts, post.comments, post.likes, post.verified_type, post.followers, post.channel
        )
        changes = absorb(e, post, amount, p.burst)
        b = e.burst
        return Join(
            post.post_id,
            event_id,
            how,
            round(score, 4),
            amount,
            changes,
            signature,
            b.mean,
            b.score,
            b.started_bucket,
        )
