-- Web and API authentication: API tokens and console sessions (stored hashed), login rate limiting,
-- and idempotency keys for API actions. People themselves come from responders/, not from the database.

CREATE TABLE api_tokens (
    id                   bigserial PRIMARY KEY,
    person_id            text NOT NULL,
    token_hash           text NOT NULL UNIQUE,          -- sha256 of the token; the token itself is never stored
    label                text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    expires_at           timestamptz,
    revoked_at           timestamptz,
    last_used_at         timestamptz
);
CREATE INDEX api_tokens_person ON api_tokens (person_id);

CREATE TABLE web_sessions (
    id                   bigserial PRIMARY KEY,
    person_id            text NOT NULL,
    session_hash         text NOT NULL UNIQUE,          -- sha256 of the cookie value
    csrf_token           text NOT NULL,                 -- per-session form token (not a credential on its own)
    token_id             bigint REFERENCES api_tokens(id) ON DELETE CASCADE,
    created_at           timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL,
    last_seen_at         timestamptz NOT NULL,
    revoked_at           timestamptz
);
CREATE INDEX web_sessions_person ON web_sessions (person_id);

-- Every login attempt, so limits hold across workers and restarts.
CREATE TABLE login_attempts (
    id                   bigserial PRIMARY KEY,
    remote               text NOT NULL,
    at                   timestamptz NOT NULL,
    ok                   boolean NOT NULL
);
CREATE INDEX login_attempts_remote ON login_attempts (remote, at);

-- A retried API action with the same Idempotency-Key replays the first answer instead of acting twice.
CREATE TABLE api_idempotency (
    person_id            text NOT NULL,
    key                  text NOT NULL,
    request_hash         text NOT NULL,
    status               integer NOT NULL,
    body                 jsonb NOT NULL,
    created_at           timestamptz NOT NULL,
    PRIMARY KEY (person_id, key)
);
