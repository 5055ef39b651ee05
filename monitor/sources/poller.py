"""The polling engine: claim due sources, fetch, parse, store and record health, each source isolated."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from monitor.clock import Clock
from monitor.config.sources import Source
from monitor.metrics import Metrics
from monitor.secrets import SecretError
from monitor.sources.alerts import apply_alerts, sweep_sources
from monitor.sources.backoff import SUCCESSES, OutcomeKind, next_delay, parse_retry_after
from monitor.sources.fetch import Fetcher, FetchLimits, FetchResult, Validators, next_validators
from monitor.sources.followups import complete_posts
from monitor.sources.health import Health, after_poll, alerts_for
from monitor.sources.kinds import ParseContext, ParseFailure, ParseResult, SourceKind, kind_for
from monitor.sources.leases import Claim, PollRecord, claim_due, finish_poll, renew_lease
from monitor.sources.pii import pii_salt
from monitor.sources.registry import SyncReport, sync_sources
from monitor.sources.store import known_external_ids, store_orders, store_posts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollerSettings:
    """How much one worker takes on per pass."""

    worker_id: str
    batch_size: int = 100
    max_concurrency: int = 16
    queue_lease: timedelta = timedelta(minutes=10)
    lease_margin: timedelta = timedelta(minutes=1)
    sweep_every: timedelta = timedelta(minutes=1)
    follow_up_budget: int = 5  # extra GETs per poll (Weibo long texts), each behind the per-host gap


@dataclass(frozen=True)
class PollOutcome:
    """What fetching and parsing one source came to, before anything is written."""

    kind: OutcomeKind
    detail: str = ""
    status: int | None = None
    validators: Validators = field(default_factory=Validators)
    retry_after: str | None = None
    result: ParseResult | None = None
    notes: tuple[str, ...] = ()


class Poller:
    """One worker's poller; several may share a database and never poll the same source at once."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        fetcher: Fetcher,
        clock: Clock,
        metrics: Metrics,
        sources: Sequence[Source],
        settings: PollerSettings,
        env: Mapping[str, str],
        region_codes: Mapping[str, str],
        rng: random.Random | None = None,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self._pool = pool
        self._fetcher = fetcher
        self._clock = clock
        self._metrics = metrics
        self._all_sources = list(sources)
        self._sources = {s.id: s for s in sources if s.spec.enabled}
        self._settings = settings
        self._env = env
        self._region_codes = region_codes
        self._rng = rng or random.Random()
        # Called as soon as one source's new posts are committed, so analysis starts on them while the rest
        # of the pass is still fetching (a slow source would otherwise hold back the fast ones' posts).
        self._on_stored = on_stored
        # Parsing is CPU work under the GIL: one feed at a time off the event loop. More threads parsing
        # at once finish no sooner, and they starve the loop's database round trips (the stores).
        self._parse_gate = asyncio.Semaphore(1)
        self._synced = False
        self._next_sweep: datetime | None = None

    async def sync(self) -> SyncReport:
        """Mirror the configured sources into the table (first pass does this by itself)."""
        async with self._pool.acquire() as conn:
            report = await sync_sources(conn, self._all_sources, now=self._clock.now())
        self._synced = True
        log.info(
            "sources: %d added, %d updated, %d disabled",
            len(report.added),
            len(report.updated),
            len(report.disabled),
        )
        return report

    async def run_once(self) -> int:
        """One pass: poll every due source this worker can claim; returns how many were polled."""
        if not self._synced:
            await self.sync()
        now = self._clock.now()
        async with self._pool.acquire() as conn:
            claims = await claim_due(
                conn,
                list(self._sources),
                now=now,
                lease=self._settings.queue_lease,
                worker_id=self._settings.worker_id,
                limit=self._settings.batch_size,
            )
        gate = asyncio.Semaphore(self._settings.max_concurrency)

        async def bounded(claim: Claim) -> None:
            async with gate:
                await self.poll(claim)

        await asyncio.gather(*(bounded(c) for c in claims))
        if self._next_sweep is None or self._clock.now() >= self._next_sweep:
            await self.sweep()
        return len(claims)

    async def sweep(self) -> None:
        """Raise or resolve staleness alerts for every source, and refresh the age gauge."""
        now = self._clock.now()
        self._next_sweep = now + self._settings.sweep_every
        async with self._pool.acquire() as conn, conn.transaction():
            ages = await sweep_sources(conn, self._sources, now=now)
        for age in ages:
            self._metrics.source_age.labels(source=age.source_id).set(age.seconds)

    async def poll(self, claim: Claim) -> None:
        """Poll one claimed source; every failure ends as that source's health, never as an exception."""
        source = self._sources[claim.id]
        async with self._pool.acquire() as conn:
            now = self._clock.now()
            if not await renew_lease(
                conn,
                claim.id,
                worker_id=self._settings.worker_id,
                now=now,
                until=now + self._poll_bound(source),
            ):
                log.warning("lease on source %s lapsed before its poll started; skipping", claim.id)
                return
        started = self._clock.monotonic()
        try:
            outcome = await self._fetch_and_parse(source, kind_for(source.kind), claim)
        except Exception as exc:  # a bug in one parser must not stop the other sources
            log.exception("polling source %s failed unexpectedly", claim.id)
            outcome = PollOutcome(
                "parse_error",
                f"internal error: {type(exc).__name__}: {exc}"[:500],
                validators=claim.validators,
            )
        elapsed = self._clock.monotonic() - started
        try:
            new_posts, health = await self._record(source, claim, outcome, elapsed)
        except Exception:
            log.exception(
                "could not record the poll of source %s; it is retried when the lease lapses", claim.id
            )
            return
        if new_posts and self._on_stored is not None:
            self._on_stored()
        self._count(source, outcome, new_posts, health, elapsed)

    def _poll_bound(self, source: Source) -> timedelta:
        pages = getattr(source.spec, "pages", 1) + (
            self._settings.follow_up_budget if source.kind == "weibo" else 0
        )
        per_request = source.timeout + source.per_host_min_gap
        # Requests may queue behind the rest of this pass at the per-host gate.
        return (pages + self._settings.max_concurrency) * per_request + self._settings.lease_margin

    async def _fetch_and_parse(self, source: Source, kind: SourceKind, claim: Claim) -> PollOutcome:
        old = claim.validators
        try:
            requests = kind.build_requests(source, self._env)
            salt = pii_salt(self._env) if source.kind == "hotline" else None
        except SecretError as exc:
            return PollOutcome("config", str(exc), validators=old)
        limits = FetchLimits.of(source)
        first = await self._fetcher.fetch(requests[0], limits, old)
        validators = next_validators(old, first)
        if first.kind != "ok":
            detail = first.detail or first.kind
            if first.kind == "blocked":
                detail = f"{detail}: login wall or ban"
            return PollOutcome(first.kind, detail, first.status, validators, first.retry_after)
        fetched: list[FetchResult] = [first]
        notes: list[str] = []
        for page, request in enumerate(requests[1:], start=2):
            more = await self._fetcher.fetch(request, limits)
            if more.kind != "ok":
                notes.append(f"page {page}: {more.kind} {more.detail}".strip())
                break
            fetched.append(more)
        ctx = ParseContext(source, self._clock.now(), self._region_codes, salt)
        try:
            async with self._parse_gate:
                result = await asyncio.to_thread(_parse_all, kind, ctx, fetched, notes)
        except ParseFailure as failure:
            # Keep the old validators: a 304 must not hide a feed that is still broken.
            return PollOutcome(failure.kind, failure.detail, first.status, old, first.retry_after)
        except SecretError as exc:  # 12345 caller data but no salt to hash it with
            return PollOutcome("config", str(exc), first.status, old)
        if result.follow_ups:
            async with self._pool.acquire() as conn:
                known = await known_external_ids(conn, source.id, [f.external_id for f in result.follow_ups])
            result = await complete_posts(
                self._fetcher,
                kind,
                result,
                headers=requests[0].headers,
                limits=limits,
                known=known,
                budget=self._settings.follow_up_budget,
            )
        return PollOutcome("ok", "", first.status, validators, None, result, tuple(notes) + result.notes)

    async def _record(
        self, source: Source, claim: Claim, outcome: PollOutcome, elapsed: float
    ) -> tuple[int, Health]:
        async with self._pool.acquire() as conn, conn.transaction():
            now = self._clock.now()
            new_posts = 0
            if outcome.result is not None and outcome.result.orders:
                stored = await store_orders(
                    conn, outcome.result.orders, source_id=source.id, intake="poll", now=now
                )
                new_posts = sum(1 for s in stored if s.created)
            elif outcome.result is not None:
                new_posts = len(await store_posts(conn, outcome.result.posts, now=now))
            health = after_poll(
                claim.health,
                outcome.kind,
                new_posts=new_posts,
                detail=outcome.detail,
                now=now,
                created_at=claim.created_at,
                stale_after=source.stale_after,
            )
            failed = outcome.kind not in SUCCESSES
            delay = next_delay(
                outcome.kind,
                failures=health.consecutive_failures,
                interval=source.interval,
                retry_after=parse_retry_after(outcome.retry_after, now) if failed else None,
                rand=self._rng.random(),
            )
            record = PollRecord(
                health=health,
                status=outcome.status,
                validators=outcome.validators,
                next_poll_at=now + delay,
                duration_s=elapsed,
                notes="\n".join(outcome.notes)[:2000] or None,
                new_posts=new_posts,
            )
            if not await finish_poll(conn, source.id, record, worker_id=self._settings.worker_id, now=now):
                log.warning("lease on source %s was taken over during its poll; not recording", source.id)
                return new_posts, health
            changes = alerts_for(
                source.id,
                source.spec.name,
                health,
                now=now,
                created_at=claim.created_at,
                stale_after=source.stale_after,
            )
            await apply_alerts(conn, changes, now=now)
        if failed:
            log.warning("source %s: %s %s", source.id, outcome.kind, outcome.detail)
        return new_posts, health

    def _count(
        self, source: Source, outcome: PollOutcome, new_posts: int, health: Health, elapsed: float
    ) -> None:
        m = self._metrics
        m.polls.labels(kind=source.kind, outcome=outcome.kind).inc()
        m.poll_seconds.labels(kind=source.kind).observe(elapsed)
        if new_posts:
            m.posts_ingested.labels(kind=source.kind).inc(new_posts)
        healthy = outcome.kind in SUCCESSES
        m.source_healthy.labels(source=source.id, kind=source.kind).set(1 if healthy else 0)
        m.source_failures.labels(source=source.id).set(health.consecutive_failures)


def _parse_all(
    kind: SourceKind, ctx: ParseContext, fetched: list[FetchResult], notes: list[str]
) -> ParseResult:
    """Parse every fetched page; the first page decides success, later pages only add to it."""
    merged = kind.parse(ctx, fetched[0].body, fetched[0].headers)
    seen = {p.external_id for p in merged.posts}
    for page, more in enumerate(fetched[1:], start=2):
        try:
            extra = kind.parse(ctx, more.body, more.headers)
        except ParseFailure as failure:
            notes.append(f"page {page}: {failure.kind} {failure.detail}")
            break
        fresh = tuple(p for p in extra.posts if p.external_id not in seen)
        fresh_ids = {p.external_id for p in fresh}
        seen |= fresh_ids
        merged = ParseResult(
            posts=merged.posts + fresh,
            orders=merged.orders + extra.orders,
            notes=merged.notes + extra.notes,
            follow_ups=merged.follow_ups + tuple(f for f in extra.follow_ups if f.external_id in fresh_ids),
        )
    return merged
