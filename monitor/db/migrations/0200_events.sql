-- Events: posts about one happening, their near-duplicate fingerprints, heat series and bursts.
-- The grouping stage keeps a window of this in memory; these tables are the truth it is rebuilt from.

CREATE TABLE events (
    id                   bigserial PRIMARY KEY,
    title                text NOT NULL DEFAULT '',
    first_seen_at        timestamptz NOT NULL,
    last_seen_at         timestamptz NOT NULL,
    post_count           integer NOT NULL DEFAULT 0,
    channels             text[] NOT NULL DEFAULT '{}',      -- weibo, news, wechat, hotline
    topic                text,
    region               text,
    negative_share       real NOT NULL DEFAULT 0,
    heat                 double precision NOT NULL DEFAULT 0,   -- decayed heat × negativity, at updated_at
    bursting             boolean NOT NULL DEFAULT false,
    grade                smallint CHECK (grade BETWEEN 1 AND 4), -- the latest computed grade, if it qualifies
    incident_id          bigint,
    state                jsonb NOT NULL,     -- aggregates, heat and burst state (monitor/events/model.py)
    centroid_terms       integer[] NOT NULL DEFAULT '{}',   -- the decayed TF-IDF centroid: hashed term ids
    centroid_weights     real[] NOT NULL DEFAULT '{}',      -- … and their weights
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX events_last_seen ON events (last_seen_at);
CREATE INDEX events_heat ON events (heat DESC);

CREATE TABLE event_posts (
    post_id              bigint PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    event_id             bigint NOT NULL REFERENCES events(id),
    how                  text NOT NULL CHECK (how IN ('new', 'repost', 'near_duplicate', 'similar')),
    score                real NOT NULL,
    heat                 real NOT NULL,          -- the post's own contribution (engagement × influence)
    joined_at            timestamptz NOT NULL
);
CREATE INDEX event_posts_event ON event_posts (event_id, post_id);

-- 64-bit simhash per post (or, for very short texts, a hash of the whole text), for near-duplicate lookup.
CREATE TABLE event_signatures (
    post_id              bigint PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    event_id             bigint NOT NULL REFERENCES events(id),
    fingerprint          bigint NOT NULL,
    short                boolean NOT NULL,
    seen_at              timestamptz NOT NULL
);
CREATE INDEX event_signatures_seen ON event_signatures (seen_at);

-- The heat time series: one row per event per 15-minute bucket of publication time.
CREATE TABLE event_heat (
    event_id             bigint NOT NULL REFERENCES events(id),
    bucket_at            timestamptz NOT NULL,
    posts                integer NOT NULL,
    engagement           double precision NOT NULL,  -- Σ post heat in the bucket
    negative             double precision NOT NULL,  -- Σ probability of negative
    influential          integer NOT NULL,           -- posts by government or media accounts
    heat                 double precision NOT NULL,  -- the event's heat score after the bucket's posts
    PRIMARY KEY (event_id, bucket_at)
);

CREATE TABLE event_bursts (
    id                   bigserial PRIMARY KEY,
    event_id             bigint NOT NULL REFERENCES events(id),
    started_at           timestamptz NOT NULL,       -- start of the bucket that crossed the threshold
    detected_at          timestamptz NOT NULL,       -- publication time of the post that crossed it
    ended_at             timestamptz,
    baseline             double precision NOT NULL,
    score                double precision NOT NULL
);
CREATE INDEX event_bursts_event ON event_bursts (event_id, id);
CREATE UNIQUE INDEX event_bursts_one_open ON event_bursts (event_id) WHERE ended_at IS NULL;

-- One row: the grouping lock, a change counter (epoch) that tells a worker its in-memory window is stale,
-- and the decayed document frequencies (a fixed-size hashed table, zlib-compressed float32).
CREATE TABLE grouping_state (
    id                   smallint PRIMARY KEY CHECK (id = 1),
    epoch                bigint NOT NULL DEFAULT 0,
    docs                 double precision NOT NULL DEFAULT 0,
    df                   bytea,
    df_at                double precision,
    stream_at            double precision NOT NULL DEFAULT 0,
    next_event_id        bigint NOT NULL DEFAULT 1,   -- events get ids here, under the lock, without a round trip
    updated_at           timestamptz
);
ALTER TABLE grouping_state ALTER COLUMN df SET STORAGE EXTERNAL;  -- already zlib-compressed
INSERT INTO grouping_state (id) VALUES (1);
