-- Sources and their health, normalised posts, and the analysis queue.
-- Every decision that depends on time gets `now` from the application (the injected clock).

CREATE TABLE sources (
    id                   text PRIMARY KEY,
    kind                 text NOT NULL CHECK (kind IN ('feed', 'weibo', 'hotline')),
    name                 text NOT NULL DEFAULT '',
    region               text,
    url                  text,
    enabled              boolean NOT NULL DEFAULT true,
    interval_s           double precision NOT NULL,
    stale_after_s        double precision NOT NULL,
    -- scheduling: the poller claims rows whose next_poll_at has passed, with a lease
    next_poll_at         timestamptz NOT NULL,
    lease_until          timestamptz,
    leased_by            text,
    -- conditional GET validators
    etag                 text,
    last_modified        text,
    -- health
    state                text NOT NULL DEFAULT 'new'
                         CHECK (state IN ('new', 'ok', 'not_modified', 'failing', 'blocked', 'stale', 'disabled')),
    last_attempt_at      timestamptz,
    last_success_at      timestamptz,
    last_new_post_at     timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0,
    last_error_kind      text,
    last_error           text,
    last_status          integer,
    polls_total          bigint NOT NULL DEFAULT 0,
    posts_total          bigint NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX sources_due ON sources (next_poll_at) WHERE enabled;

CREATE TABLE posts (
    id                   bigserial PRIMARY KEY,
    source_id            text NOT NULL REFERENCES sources(id),
    source_kind          text NOT NULL,
    external_id          text NOT NULL,
    url                  text,
    author               text,
    author_id            text,
    author_followers     bigint,
    author_verified_type integer,
    published_at         timestamptz NOT NULL,
    fetched_at           timestamptz NOT NULL,
    title                text NOT NULL DEFAULT '',
    text                 text NOT NULL DEFAULT '',
    reposts              bigint NOT NULL DEFAULT 0,
    comments             bigint NOT NULL DEFAULT 0,
    likes                bigint NOT NULL DEFAULT 0,
    region_hint          text,
    parent_external_id   text,
    root_external_id     text,
    fingerprint          text NOT NULL,
    extra                jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- pipeline stages: a NULL means "still to do", so a crash leaves the work in the queue
    analysed_at          timestamptz,
    grouped_at           timestamptz,
    UNIQUE (source_id, external_id)
);
CREATE INDEX posts_fingerprint ON posts (fingerprint);
CREATE INDEX posts_published ON posts (published_at);
CREATE INDEX posts_to_analyse ON posts (id) WHERE analysed_at IS NULL;
CREATE INDEX posts_to_group ON posts (id) WHERE analysed_at IS NOT NULL AND grouped_at IS NULL;
CREATE INDEX posts_root ON posts (root_external_id) WHERE root_external_id IS NOT NULL;

CREATE TABLE post_analysis (
    post_id              bigint PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    negative             real NOT NULL,
    polarity             text NOT NULL CHECK (polarity IN ('negative', 'neutral', 'positive')),
    topic                text NOT NULL,
    topic_score          real NOT NULL,
    department           text,
    region               text,
    casualty_grade       smallint,
    severity             jsonb NOT NULL DEFAULT '{}'::jsonb,
    explain              jsonb NOT NULL DEFAULT '{}'::jsonb,
    analysed_at          timestamptz NOT NULL
);

-- Operator alerts: stale sources, login walls, overdue clocks found by the auditor, delivery failures.
-- One open alert per dedup_key; the notification work turns them into messages.
CREATE TABLE ops_alerts (
    id                   bigserial PRIMARY KEY,
    kind                 text NOT NULL,
    subject              text NOT NULL,
    severity             text NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
    message              text NOT NULL,
    dedup_key            text NOT NULL,
    raised_at            timestamptz NOT NULL,
    last_seen_at         timestamptz NOT NULL,
    resolved_at          timestamptz,
    notified_at          timestamptz
);
CREATE UNIQUE INDEX ops_alerts_open ON ops_alerts (dedup_key) WHERE resolved_at IS NULL;
