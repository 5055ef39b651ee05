-- The clock and escalation engine: every deadline and next action is a row, claimed with SKIP LOCKED.
-- Times come from the application's injected clock ($now); nothing here calls now() for a decision.

CREATE TABLE clocks (
    id                   bigserial PRIMARY KEY,
    incident_id          bigint NOT NULL REFERENCES incidents(id),
    kind                 text NOT NULL,                 -- statement, press_conference, response, hotline, ack
    legal                boolean NOT NULL,              -- statutory (wall-clock, never paused) or internal target
    label                text NOT NULL,
    started_at           timestamptz NOT NULL,
    due_at               timestamptz NOT NULL,
    warn_at              double precision[] NOT NULL DEFAULT '{}',
    warnings_fired       smallint NOT NULL DEFAULT 0,   -- how many of warn_at have been processed
    breach_rungs         integer NOT NULL DEFAULT 0,    -- breach-ladder pages processed (incl. top-rung repeats)
    next_fire_at         timestamptz,                   -- NULL once satisfied, closed or finished
    satisfied_at         timestamptz,
    satisfied_by         text,
    satisfied_action     text,
    breached_at          timestamptz,
    closed_at            timestamptz,                   -- incident resolved with this clock unmet
    UNIQUE (incident_id, kind)
);
CREATE INDEX clocks_due ON clocks (next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX clocks_open ON clocks (due_at) WHERE satisfied_at IS NULL AND closed_at IS NULL;

-- One row per department chain on an incident (GoAlert's escalation_policy_state).
CREATE TABLE escalations (
    id                   bigserial PRIMARY KEY,
    incident_id          bigint NOT NULL REFERENCES incidents(id),
    department_id        text NOT NULL,
    revision             integer NOT NULL DEFAULT 0,    -- bumped when the chain restarts (regrade, reassign)
    step                 integer NOT NULL DEFAULT 0,
    loop_count           integer NOT NULL DEFAULT 0,
    attempt              integer NOT NULL DEFAULT 0,    -- pages of this step in this loop (repeats, reminders)
    paged_at             timestamptz,
    acked_at             timestamptz,
    acked_by             text,
    ack_expires_at       timestamptz,
    force                boolean NOT NULL DEFAULT false,
    next_action_at       timestamptz,                   -- NULL when the chain is done
    done_at              timestamptz,
    done_reason          text,
    updated_at           timestamptz NOT NULL,
    UNIQUE (incident_id, department_id)
);
CREATE INDEX escalations_due ON escalations (next_action_at) WHERE next_action_at IS NOT NULL;

-- Notifications, written in the same transaction as the state change that caused them.
CREATE TABLE outbox (
    id                   bigserial PRIMARY KEY,
    idem_key             text NOT NULL UNIQUE,          -- <step_key>:<target>: one message per destination+step
    step_key             text NOT NULL,
    incident_id          bigint REFERENCES incidents(id),
    ops_alert_id         bigint REFERENCES ops_alerts(id),
    target               text NOT NULL,                 -- person:<id> | channel:<dept>/<name>
    event                text NOT NULL,                 -- page, reminder, warning, breach, rung, ops, ...
    payload              jsonb NOT NULL DEFAULT '{}'::jsonb,
    status               text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sending', 'sent', 'merged', 'failed')),
    route                smallint NOT NULL DEFAULT 0,   -- index into the target's routes (fallbacks)
    route_failing_since  timestamptz,
    route_attempts       integer NOT NULL DEFAULT 0,    -- failed attempts on the current route (backoff)
    attempts             integer NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL,
    next_attempt_at      timestamptz NOT NULL,
    lease_until          timestamptz,
    leased_by            text,
    sent_at              timestamptz,
    sent_via             text,
    merged_into          bigint,
    last_error           text,
    last_error_kind      text
);
CREATE INDEX outbox_ready ON outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_incident ON outbox (incident_id);
CREATE INDEX outbox_failed ON outbox (id) WHERE status = 'failed';

-- Vendor requests per destination in the last minute: the shared rate-limit window (robots: 20/min).
CREATE TABLE rate_slots (
    dest_key             text NOT NULL,
    at                   timestamptz NOT NULL
);
CREATE INDEX rate_slots_dest ON rate_slots (dest_key, at);

-- Every delivery attempt, written before the vendor is called and completed after.
CREATE TABLE outbox_attempts (
    id                   bigserial PRIMARY KEY,
    outbox_id            bigint NOT NULL REFERENCES outbox(id),
    at                   timestamptz NOT NULL,
    dest_key             text NOT NULL,
    channel              text NOT NULL,
    outcome              text NOT NULL,                 -- sending, sent, retry, permanent
    error                text,
    duration_s           double precision
);
CREATE INDEX outbox_attempts_row ON outbox_attempts (outbox_id);

-- The local capture channel (demo, tests): idempotent on the outbox key; `deliveries` counts re-sends.
CREATE TABLE captured_notifications (
    id                   bigserial PRIMARY KEY,
    idem_key             text NOT NULL UNIQUE,
    incident_id          bigint,
    target               text NOT NULL,
    dest_key             text NOT NULL,
    channel              text NOT NULL,
    title                text NOT NULL,
    body                 text NOT NULL,
    captured_at          timestamptz NOT NULL,
    deliveries           integer NOT NULL DEFAULT 1
);
CREATE INDEX captured_incident ON captured_notifications (incident_id);

-- Single-use one-click links: a nonce is stored when its link is used.
CREATE TABLE link_nonces (
    nonce                text PRIMARY KEY,
    person_id            text NOT NULL,
    incident_id          bigint NOT NULL,
    action               text NOT NULL,
    used_at              timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL
);
CREATE INDEX link_nonces_expiry ON link_nonces (expires_at);

-- The auditor reads clock events from the timeline by kind.
CREATE INDEX timeline_clock_events ON timeline (incident_id, kind)
    WHERE kind IN ('clock_warning', 'clock_breach', 'breach_escalation');
