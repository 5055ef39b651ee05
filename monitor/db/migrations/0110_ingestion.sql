-- Ingestion: which sources are polled, per-poll bookkeeping, and 12345 work orders.
-- Every decision that depends on time gets `now` from the application (the injected clock).

-- Pushed-only sources (12345 intake) have a row, for health and the posts FK, but are never claimed.
ALTER TABLE sources ADD COLUMN polled boolean NOT NULL DEFAULT true;
ALTER TABLE sources ADD COLUMN last_duration_s double precision;
ALTER TABLE sources ADD COLUMN last_notes text;
DROP INDEX IF EXISTS sources_due;
CREATE INDEX sources_due ON sources (next_poll_at) WHERE enabled AND polled;

-- 12345 work orders, one row per order number whichever way it arrived (export poll or push).
-- Caller name and phone are stored only masked and as salted hashes (PIPL); never in clear.
CREATE TABLE hotline_orders (
    id                   bigserial PRIMARY KEY,
    order_no             text NOT NULL UNIQUE,
    source_id            text NOT NULL REFERENCES sources(id),
    intake               text NOT NULL CHECK (intake IN ('push', 'poll')),
    received_at          timestamptz NOT NULL,
    channel              text,
    category             text,
    urgency              text,
    title                text NOT NULL DEFAULT '',
    content              text NOT NULL DEFAULT '',
    region_codes         text[] NOT NULL DEFAULT '{}',
    region               text,
    handler_unit         text,
    caller_name_masked   text,
    caller_name_hash     text,
    caller_phone_masked  text,
    caller_phone_hash    text,
    extra                jsonb NOT NULL DEFAULT '{}'::jsonb,
    post_id              bigint REFERENCES posts(id),
    created_at           timestamptz NOT NULL
);
CREATE INDEX hotline_orders_received ON hotline_orders (received_at);
CREATE INDEX hotline_orders_caller_phone ON hotline_orders (caller_phone_hash) WHERE caller_phone_hash IS NOT NULL;
