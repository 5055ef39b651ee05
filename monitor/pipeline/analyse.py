"""Analysis stage: claims unanalysed posts, runs the text analyser off the event loop, stores the results."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Container
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from monitor.clock import Clock
from monitor.events.prepared import grouping_text
from monitor.metrics import Metrics

log = logging.getLogger(__name__)
_POLARITIES = ("negative", "neutral", "positive")
MAX_KEYWORDS = 20  # responder keywords kept per post (a text naming more is a list, not evidence of each)
KEYWORD_SEPARATOR = "\x1f"  # joins a row's keywords into one text, which PostgreSQL splits into text[]


@dataclass(frozen=True)
class AnalysisInput:
    """One post for `analyze_many` (the attributes monitor.text.TextInput has)."""

    text: str
    region_hint: str | None = None
    author_verified_type: int | None = None
    author_name: str | None = None
    hotline_urgency: str | None = None
    # what grouping reads of the post (monitor.events.prepared.grouping_text): when given, the rows made in
    # the analysis processes also carry its grouping features, so grouping need not featurise the text
    group_text: str | None = None


class Analyzer(Protocol):
    """What this stage needs from monitor.text.TextAnalyzer (it also uses `analyze_many` when present)."""

    def analyze(
        self,
        text: str,
        *,
        region_hint: str | None = None,
        author_verified_type: int | None = None,
        hotline_urgency: str | None = None,
    ) -> Any: ...


def plain(value: Any) -> Any:
    """`to_json()` objects, dataclasses, pydantic models, tuples and sets → JSON-ready dicts and lists."""
    to_json = getattr(value, "to_json", None)
    if callable(to_json) and not isinstance(value, type):
        return plain(to_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return plain(value.model_dump())
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _one_level(value: Any) -> Any:
    """What `plain` makes of one object, leaving what it holds as it is: the JSON encoder's `default`,
    which the encoder calls for each object it cannot write itself, so nested ones are done alike."""
    to_json = getattr(value, "to_json", None)
    if callable(to_json) and not isinstance(value, type):
        return to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, set | frozenset):
        return list(value)
    return str(value)


def _row(post_id: int, result: Any, severity: Any, explain: Any) -> tuple[Any, ...]:
    polarity = str(getattr(result, "polarity", "neutral"))
    cg = severity.get("casualty_grade") if isinstance(severity, dict) else None
    return (
        post_id,
        float(getattr(result, "negative", 0.0)),
        polarity if polarity in _POLARITIES else "neutral",
        str(getattr(result, "topic", "") or "其他"),
        float(getattr(result, "topic_score", 0.0) or 0.0),
        getattr(result, "department", None),
        getattr(result, "region", None),
        cg if isinstance(cg, int) else None,
        severity if isinstance(severity, dict) else {},
        explain,
        _keywords(getattr(result, "keywords", None)),
    )


def _keywords(value: Any) -> tuple[str, ...]:
    """The responder keywords the analyser found in the post (strings only, each once, at most 20)."""
    if not isinstance(value, list | tuple):
        return ()
    words = (w for w in value if isinstance(w, str) and w and KEYWORD_SEPARATOR not in w)
    return tuple(dict.fromkeys(words))[:MAX_KEYWORDS]


def analysis_row(post_id: int, result: Any) -> tuple[Any, ...]:
    """One post_analysis row from whatever the analyser returned (attributes as in DESIGN.md §4)."""
    severity = plain(getattr(result, "severity", None)) or {}
    return _row(post_id, result, severity, plain(getattr(result, "explain", None)) or {})


def encoded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row as the stage stores it: severity and explain as JSON text, which PostgreSQL parses into jsonb
    (encoding is done where the row was made, in the analysis processes when there are some)."""
    return (*row[:8], _dumps(row[8]), _dumps(row[9]), KEYWORD_SEPARATOR.join(row[10]))


def encoded_row(post_id: int, result: Any) -> tuple[Any, ...]:
    """`encoded(analysis_row(post_id, result))`, the same text, made without walking the explanation in
    Python first: the JSON encoder (C) converts what it holds as it writes it."""
    severity = getattr(result, "severity", None)
    if severity is not None and not isinstance(severity, dict):
        severity = _one_level(severity)
    return encoded(_row(post_id, result, severity or {}, getattr(result, "explain", None) or {}))


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=_one_level)
    except TypeError:  # a key JSON cannot take (a tuple): `plain` makes it a string, as before
        return json.dumps(plain(value), ensure_ascii=False, default=str)


def analysis_text(title: str, text: str, source_kind: str, extra: dict[str, Any]) -> str:
    """What the analyser reads: title and text; for a 12345 order also the platform's own category and the
    unit it was dispatched to (派单), which say more about the owning department than the caller's words."""
    body = f"{title}\n{text}" if title else text
    if source_kind == "hotline":
        tags = [str(extra[k]) for k in ("category", "handler_unit") if extra.get(k)]
        if tags:
            body = f"【{'｜'.join(tags)}】{body}"
    return body


def with_fallback_region(
    row: tuple[Any, ...], hint: str | None, source_region: str | None, known: Container[str]
) -> tuple[Any, ...]:
    """属地 for an `encoded` row when the analyser found none (the text names no place, the hint resolved
    to none): the post's hint if it is a region id (12345 region codes resolve to one at intake), else the
    source's configured region (checked against the region tree when sources.yaml loads), unless the text
    names a place elsewhere (a local site's national story about 山东 is not about the city)."""
    if row[6] is not None or not ((hint and hint in known) or source_region):
        return row
    stored = json.loads(row[9])  # the row is `encoded`: explain is JSON text
    explain = stored if isinstance(stored, dict) else {}
    named = explain.get("region")
    outside = named.get("outside") if isinstance(named, dict) else None
    region: str | None
    if hint and hint in known:
        region, why = hint, f"text names no place → post region hint {hint!r}"
    elif outside:
        places = "、".join(map(str, outside))
        region, why = (
            None,
            f"text names {places}, outside the city → source region {source_region!r} not applied",
        )
    else:
        region, why = source_region, f"text names no place → source configured with region {source_region!r}"
    explain["region_fallback"] = why
    return (*row[:6], region, *row[7:9], _dumps(explain), *row[10:])


def failed_row(post_id: int, error: str) -> tuple[Any, ...]:
    """A neutral placeholder, so one bad post never blocks the queue; the error is kept in `explain`."""
    return (post_id, 0.0, "neutral", "其他", 0.0, None, None, None, {}, {"error": error[:500]}, ())


class AnalysisStage:
    """The `analyse` job: one transaction per batch, claimed with FOR UPDATE SKIP LOCKED."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        analyzer: Analyzer,
        *,
        batch_size: int = 500,
        metrics: Metrics | None = None,
        regions: Container[str] = (),
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.analyzer = analyzer
        self.batch_size = batch_size
        self.metrics = metrics
        self.regions = regions  # the region tree's ids: which post hints are already a region

    def _one(self, post_id: int, item: AnalysisInput) -> tuple[Any, ...]:
        try:
            result = self.analyzer.analyze(
                item.text,
                region_hint=item.region_hint,
                author_verified_type=item.author_verified_type,
                hotline_urgency=item.hotline_urgency,
            )
            return (*encoded_row(post_id, result), None)
        except Exception as exc:  # a poison post must not stop the stage
            log.warning("analysis of post %s failed: %s", post_id, exc)
            return (*encoded(failed_row(post_id, f"{type(exc).__name__}: {exc}")), None)

    def _analyse(self, rows: list[asyncpg.Record]) -> list[tuple[Any, ...]]:
        results = self._analyse_texts(rows)
        return [
            with_fallback_region(res, r["region_hint"], r["source_region"], self.regions)
            for r, res in zip(rows, results, strict=True)
        ]

    def _analyse_texts(self, rows: list[asyncpg.Record]) -> list[tuple[Any, ...]]:
        items = []
        for r in rows:
            extra = r["extra"] if isinstance(r["extra"], dict) else {}
            items.append(
                AnalysisInput(
                    text=analysis_text(r["title"], r["text"], r["source_kind"], extra),
                    region_hint=r["region_hint"],
                    author_verified_type=r["author_verified_type"],
                    author_name=r["author"],
                    hotline_urgency=extra.get("urgency") if r["source_kind"] == "hotline" else None,
                    group_text=grouping_text(r["title"], r["text"]),
                )
            )
        ready = getattr(self.analyzer, "analyse_rows", None)
        many = getattr(self.analyzer, "analyze_many", None)
        try:  # the models score a whole batch at once, many times faster than post by post
            if ready is not None:  # rows made where the analysis ran: JSON encoded, grouping features too
                made = ready(items)
                return [(r["id"], *values) for r, values in zip(rows, made, strict=True)]
            if many is not None:  # here, grouping featurises the posts itself
                results = many(items)
                return [(*encoded_row(r["id"], res), None) for r, res in zip(rows, results, strict=True)]
        except Exception as exc:
            log.warning("batch analysis failed (%s); analysing post by post", exc)
        return [self._one(r["id"], item) for r, item in zip(rows, items, strict=True)]

    async def run_once(self) -> int:
        """Analyse one batch; returns how many posts were analysed."""
        now = self.clock.now()
        started = self.clock.monotonic()
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT p.id, p.title, p.text, p.region_hint, p.author, p.author_verified_type,
                          p.source_kind, p.extra, s.region AS source_region
                   FROM posts p LEFT JOIN sources s ON s.id = p.source_id
                   WHERE p.analysed_at IS NULL ORDER BY p.id LIMIT $1 FOR UPDATE OF p SKIP LOCKED""",
                self.batch_size,
            )
            if not rows:
                return 0
            results = await asyncio.to_thread(self._analyse, list(rows))
            columns = list(zip(*results, strict=True))
            features = list(columns.pop())
            await conn.execute(
                """INSERT INTO post_analysis (post_id, negative, polarity, topic, topic_score, department,
                                              region, casualty_grade, severity, explain, keywords,
                                              analysed_at)
                   SELECT id, neg, pol, topic, score, dept, region, grade, sev::jsonb, why::jsonb,
                          string_to_array(kw, E'\\x1f'), $12
                   FROM unnest($1::bigint[], $2::real[], $3::text[], $4::text[], $5::real[], $6::text[],
                               $7::text[], $8::smallint[], $9::text[], $10::text[], $11::text[])
                        AS r(id, neg, pol, topic, score, dept, region, grade, sev, why, kw)
                   ON CONFLICT (post_id) DO UPDATE SET negative = EXCLUDED.negative,
                       polarity = EXCLUDED.polarity, topic = EXCLUDED.topic,
                       topic_score = EXCLUDED.topic_score,
                       department = EXCLUDED.department, region = EXCLUDED.region,
                       casualty_grade = EXCLUDED.casualty_grade, severity = EXCLUDED.severity,
                       explain = EXCLUDED.explain, keywords = EXCLUDED.keywords,
                       analysed_at = EXCLUDED.analysed_at""",
                *[list(c) for c in columns],
                now,
            )
            await conn.execute(
                """UPDATE posts p SET analysed_at = $2, group_features = f.features
                   FROM unnest($1::bigint[], $3::bytea[]) AS f(id, features) WHERE p.id = f.id""",
                [r["id"] for r in rows],
                now,
                features,
            )
        if self.metrics is not None:
            self.metrics.posts_analysed.inc(len(rows))
            self.metrics.analysis_seconds.observe(max(self.clock.monotonic() - started, 0.0))
        return len(rows)
