-- Incident extras for events and 12345 orders: one incident per event, and merged orders (并单).

CREATE UNIQUE INDEX incidents_one_per_event ON incidents (event_id) WHERE event_id IS NOT NULL;

-- 12345 work orders handled inside an incident: the one that opened it and every one merged into it (并单).
CREATE TABLE incident_orders (
    order_no             text PRIMARY KEY,
    incident_id          bigint NOT NULL REFERENCES incidents(id),
    post_id              bigint,
    urgency              text,
    merged_at            timestamptz NOT NULL,
    how                  text NOT NULL CHECK (how IN ('opened', 'merged'))
);
CREATE INDEX incident_orders_incident ON incident_orders (incident_id);
