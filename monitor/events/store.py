"""PostgreSQL side of grouping: the lock row, the window reload, and one batch's writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from monitor.events.clusterer import Join, Signature, WindowIndex
from monitor.events.heat import bucket_start, heat_score
from monitor.events.model import EventState, PostIn
from monitor.events.rows import POST_COLUMNS, post_from_record
from monitor.events.simhash import to_signed, to_unsigned
from monitor.events.similarity import IdfTable


@dataclass(frozen=True)
class GroupingLock:
    """The locked `grouping_state` row: its epoch says whether a worker's in-memory window is current."""

    epoch: int
    stream_at: float
    next_event_id: int


def _ts(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


async def lock_grouping(conn: asyncpg.Connection) -> GroupingLock | None:
    """Take the grouping lock for this transaction, or None if another worker is grouping right now."""
    row = await conn.fetchrow(
        "SELECT epoch, stream_at, next_event_id FROM grouping_state WHERE id = 1 FOR UPDATE SKIP LOCKED"
    )
    return GroupingLock(row["epoch"], row["stream_at"], row["next_event_id"]) if row else None


async def claim_posts(conn: asyncpg.Connection, limit: int, until: datetime | None = None) -> list[PostIn]:
    """Analysed, ungrouped posts, oldest first (`until`: seen before). The caller holds the grouping lock,
    so no other worker can group them meanwhile: row locks would only cost a write per post."""
    rows = await conn.fetch(
        f"""SELECT {POST_COLUMNS} FROM posts p JOIN post_analysis a ON a.post_id = p.id
            WHERE p.analysed_at IS NOT NULL AND p.grouped_at IS NULL
              AND ($2::timestamptz IS NULL OR p.fetched_at < $2)
            ORDER BY p.id LIMIT $1""",
        limit,
        until,
    )
    return sorted((post_from_record(r) for r in rows), key=lambda p: (p.published, p.post_id))


async def load_window(conn: asyncpg.Connection, index: WindowIndex, stream_at: float) -> None:
    """Rebuild the in-memory window from the tables (after another worker grouped, or at start)."""
    state = await conn.fetchrow("SELECT docs, df, df_at FROM grouping_state WHERE id = 1")
    index.idf = IdfTable.from_bytes(state["df"], state["docs"], state["df_at"])
    index.stream_t = stream_at
    cutoff = _ts(stream_at - index.params.window_s)
    for r in await conn.fetch(
        f"""SELECT {_EVENT_COLUMNS} FROM events WHERE last_seen_at >= $1 ORDER BY last_seen_at""",
        cutoff,
    ):
        index.load_event(_event(r))
    for r in await conn.fetch(
        """SELECT post_id, event_id, fingerprint, short, seen_at FROM event_signatures
           WHERE seen_at >= $1 ORDER BY seen_at, post_id""",
        cutoff,
    ):
        index.load_signature(
            Signature(
                r["post_id"],
                r["event_id"],
                to_unsigned(r["fingerprint"]),
                r["short"],
                r["seen_at"].timestamp(),
            )
        )
    index.sweep()


_EVENT_COLUMNS = """id, title, first_seen_at, last_seen_at, post_count, state, incident_id, grade,
    centroid_terms, centroid_weights"""


def _event(r: asyncpg.Record) -> EventState:
    return EventState.from_row(
        r["id"],
        r["first_seen_at"].timestamp(),
        r["last_seen_at"].timestamp(),
        r["title"],
        r["post_count"],
        r["state"],
        r["incident_id"],
        r["grade"],
        dict(zip(r["centroid_terms"], r["centroid_weights"], strict=True)),
    )


async def load_events(conn: asyncpg.Connection, ids: list[int]) -> list[EventState]:
    rows = await conn.fetch(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = ANY($1::bigint[])",
        ids,
    )
    return [_event(r) for r in rows]


async def repost_roots(conn: asyncpg.Connection, posts: list[PostIn]) -> dict[tuple[str, str], int]:
    """Events of already-grouped posts that these posts repost (root first, else the parent)."""
    keys = {(p.source_id, ext) for p in posts for ext in (p.root_external_id, p.parent_external_id) if ext}
    if not keys:
        return {}
    rows = await conn.fetch(
        """SELECT p.source_id, p.external_id, ep.event_id
           FROM unnest($1::text[], $2::text[]) AS k(source_id, external_id)
           JOIN posts p ON p.source_id = k.source_id AND p.external_id = k.external_id
           JOIN event_posts ep ON ep.post_id = p.id""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {(r["source_id"], r["external_id"]): r["event_id"] for r in rows}


async def save_events(conn: asyncpg.Connection, events: list[EventState], now: datetime) -> None:
    """Upsert every touched event's row and state; centroids go flat, sliced by offsets (binary, not JSON)."""
    t = now.timestamp()
    offsets = [0]
    for e in events:
        offsets.append(offsets[-1] + len(e.centroid))
    await conn.execute(
        """INSERT INTO events (id, title, first_seen_at, last_seen_at, post_count, channels, topic, region,
                               negative_share, heat, bursting, state, created_at, updated_at, centroid_terms,
                               centroid_weights)
           SELECT id, title, f, l, n, ARRAY(SELECT jsonb_object_keys(s->'channels') ORDER BY 1),
                  topic, region, neg, heat, b, s, $12, $12,
                  ($13::integer[])[($14::int[])[i] + 1 : ($14::int[])[i + 1]],
                  ($15::real[])[($14::int[])[i] + 1 : ($14::int[])[i + 1]]
           FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::text[],
                       $7::text[], $8::real[], $9::float8[], $10::bool[], $11::jsonb[])
                WITH ORDINALITY AS x(id, title, f, l, n, topic, region, neg, heat, b, s, i)
           ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, first_seen_at = EXCLUDED.first_seen_at,
               last_seen_at = EXCLUDED.last_seen_at, post_count = EXCLUDED.post_count,
               channels = EXCLUDED.channels, topic = EXCLUDED.topic, region = EXCLUDED.region,
               negative_share = EXCLUDED.negative_share, heat = EXCLUDED.heat, bursting = EXCLUDED.bursting,
               state = EXCLUDED.state, updated_at = EXCLUDED.updated_at,
               centroid_terms = EXCLUDED.centroid_terms, centroid_weights = EXCLUDED.centroid_weights""",
        [e.id for e in events],
        [e.title for e in events],
        [_ts(e.first_seen) for e in events],
        [_ts(e.last_seen) for e in events],
        [e.post_count for e in events],
        [e.top(e.topics) for e in events],
        [e.top(e.regions) for e in events],
        [e.negative_share for e in events],
        [heat_score(e.heat.at_time(max(t, e.heat.at or t)), e.negative_share) for e in events],
        [e.burst.bursting for e in events],
        [e.to_json() for e in events],
        now,
        [t for e in events for t in e.centroid],
        offsets,
        [w for e in events for w in e.centroid.values()],
    )


async def save_joins(
    conn: asyncpg.Connection,
    joins: list[Join],
    posts: dict[int, PostIn],
    events: dict[int, EventState],
    now: datetime,
    bucket_s: float,
) -> None:
    """Memberships, fingerprints, the heat series, bursts, and the posts' grouped_at."""
    await conn.copy_records_to_table(
        "event_posts",
        records=[(j.post_id, j.event_id, j.how, j.score, j.amount, now) for j in joins],
        columns=["post_id", "event_id", "how", "score", "heat", "joined_at"],
    )
    sigs = [j.signature for j in joins if j.signature is not None]
    if sigs:
        await conn.copy_records_to_table(
            "event_signatures",
            records=[(s.post_id, s.event_id, to_signed(s.fingerprint), s.short, _ts(s.seen)) for s in sigs],
            columns=["post_id", "event_id", "fingerprint", "short", "seen_at"],
        )
    series: dict[tuple[int, float], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for j in joins:
        p = posts[j.post_id]
        acc = series[(j.event_id, bucket_start(p.published))]
        acc[0] += 1
        acc[1] += j.amount
        acc[2] += p.negative
        acc[3] += p.official or p.media
    keys = list(series)
    await conn.execute(
        """INSERT INTO event_heat (event_id, bucket_at, posts, engagement, negative, influential, heat)
           SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::int[], $4::float8[], $5::float8[],
                                $6::int[], $7::float8[])
           ON CONFLICT (event_id, bucket_at) DO UPDATE SET posts = event_heat.posts + EXCLUDED.posts,
               engagement = event_heat.engagement + EXCLUDED.engagement,
               negative = event_heat.negative + EXCLUDED.negative,
               influential = event_heat.influential + EXCLUDED.influential, heat = EXCLUDED.heat""",
        [k[0] for k in keys],
        [_ts(k[1]) for k in keys],
        [int(series[k][0]) for k in keys],
        [series[k][1] for k in keys],
        [series[k][2] for k in keys],
        [int(series[k][3]) for k in keys],
        [_latest_heat(events[k[0]]) for k in keys],
    )
    bursts = [
        (
            j.event_id,
            change == "started",
            _ts(posts[j.post_id].published),
            _ts((j.burst_bucket or 0) * bucket_s),
            j.burst_baseline,
            j.burst_score,
        )
        for j in joins
        for change in j.burst
    ]
    if bursts:
        # one statement per change, in the batch's order (an end and a new start of one event follow each
        # other), pipelined in a single round trip
        await conn.executemany(
            """WITH ended AS (
                   UPDATE event_bursts SET ended_at = $3::timestamptz
                   WHERE NOT $2::bool AND event_id = $1::bigint AND ended_at IS NULL)
               INSERT INTO event_bursts (event_id, started_at, detected_at, baseline, score)
               SELECT $1::bigint, $4::timestamptz, $3::timestamptz, $5::float8, $6::float8 WHERE $2::bool
               ON CONFLICT DO NOTHING""",
            bursts,
        )
    await conn.execute(
        # the prepared features have served their purpose
        "UPDATE posts SET grouped_at = $2, group_features = NULL WHERE id = ANY($1::bigint[])",
        [j.post_id for j in joins],
        now,
    )


def _latest_heat(e: EventState) -> float:
    return heat_score(e.heat.value, e.negative_share)


async def save_state(
    conn: asyncpg.Connection,
    index: WindowIndex,
    epoch: int,
    next_event_id: int,
    now: datetime,
    *,
    with_df: bool,
) -> None:
    """Bump the epoch; the document frequencies (1 MiB) are written only every so many batches."""
    if not with_df:
        await conn.execute(
            """UPDATE grouping_state SET epoch = $1, stream_at = $2, next_event_id = $3, updated_at = $4
               WHERE id = 1""",
            epoch,
            index.stream_t,
            next_event_id,
            now,
        )
        return
    await conn.execute(
        """UPDATE grouping_state SET epoch = $1, docs = $2, df = $3, df_at = $4, stream_at = $5,
                  next_event_id = $6, updated_at = $7
           WHERE id = 1""",
        epoch,
        index.idf.docs,
        index.idf.to_bytes(),
        index.idf.at,
        index.stream_t,
        next_event_id,
        now,
    )


async def close_quiet_bursts(conn: asyncpg.Connection, now: datetime, quiet_s: float) -> int:
    """A burst ends when its event goes quiet, even if no further post arrives to say so."""
    rows = await conn.fetch(
        """WITH quiet AS (
               UPDATE events SET bursting = false
               WHERE bursting AND last_seen_at < $1::timestamptz - make_interval(secs => $2)
               RETURNING id, last_seen_at)
           UPDATE event_bursts b SET ended_at = q.last_seen_at + make_interval(secs => $2)
           FROM quiet q WHERE b.event_id = q.id AND b.ended_at IS NULL RETURNING b.id""",
        now,
        quiet_s,
    )
    return len(rows)


async def set_grades(conn: asyncpg.Connection, grades: dict[int, int | None]) -> None:
    if grades:
        await conn.execute(
            """UPDATE events e SET grade = x.g FROM unnest($1::bigint[], $2::smallint[]) AS x(id, g)
               WHERE e.id = x.id AND e.grade IS DISTINCT FROM x.g""",
            list(grades),
            list(grades.values()),
        )
