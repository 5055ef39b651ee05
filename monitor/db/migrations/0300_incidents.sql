-- Incidents, the departments involved, and the append-only timeline.

CREATE TABLE incidents (
    id                   bigserial PRIMARY KEY,
    kind                 text NOT NULL CHECK (kind IN ('opinion', 'hotline')),
    dedup_key            text NOT NULL UNIQUE,          -- 'event:<id>' or 'hotline:<order_no>'
    event_id             bigint,
    title                text NOT NULL,
    summary              text NOT NULL DEFAULT '',
    grade                smallint NOT NULL CHECK (grade BETWEEN 1 AND 4),   -- 1 = Ⅰ 特别重大 … 4 = Ⅳ 一般
    grade_reasons        jsonb NOT NULL DEFAULT '[]'::jsonb,
    state                text NOT NULL DEFAULT 'open' CHECK (state IN (
                             'open', 'acknowledged', 'statement_published', 'press_conference_held',
                             'responded', 'resolved', 'reviewed')),
    topic                text,
    region               text,
    lead_department      text NOT NULL,
    route_reasons        jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- the escalation policy and clocks in force when it opened: later config edits don't change it
    policy               jsonb NOT NULL,
    hotline_order_no     text,
    first_seen_at        timestamptz NOT NULL,
    opened_at            timestamptz NOT NULL,
    acknowledged_at      timestamptz,
    acknowledged_by      text,
    statement_at         timestamptz,
    statement_url        text,
    press_conference_at  timestamptz,
    responded_at         timestamptz,
    resolved_at          timestamptz,
    resolved_reason      text,
    reviewed_at          timestamptz,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX incidents_open ON incidents (state) WHERE state NOT IN ('resolved', 'reviewed');
CREATE INDEX incidents_lead ON incidents (lead_department);
CREATE INDEX incidents_opened ON incidents (opened_at);

CREATE TABLE incident_departments (
    incident_id          bigint NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    department_id        text NOT NULL,
    role                 text NOT NULL CHECK (role IN ('lead', 'support', 'coordinator', 'informed')),
    added_at             timestamptz NOT NULL,
    PRIMARY KEY (incident_id, department_id)
);
CREATE INDEX incident_departments_dept ON incident_departments (department_id);

CREATE TABLE timeline (
    id                   bigserial PRIMARY KEY,
    incident_id          bigint NOT NULL REFERENCES incidents(id),
    at                   timestamptz NOT NULL,
    actor                text NOT NULL,                 -- a person id, or 'system'
    kind                 text NOT NULL,                 -- opened, graded, post_joined, ack, statement, ...
    detail               jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX timeline_incident ON timeline (incident_id, id);

-- Append-only: the timeline is evidence of compliance, so rows are never changed or removed.
CREATE FUNCTION timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline is append-only';
END $$;
CREATE TRIGGER timeline_no_update BEFORE UPDATE OR DELETE ON timeline
    FOR EACH ROW EXECUTE FUNCTION timeline_append_only();
