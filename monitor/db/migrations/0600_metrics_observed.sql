-- Timeliness facts already turned into Prometheus observations (issue 7). One row per (incident, fact):
-- with several workers, the one whose INSERT wins observes the histogram or counts the breach, so each fact
-- is observed exactly once across the fleet. The exact, reset-free numbers live in the v_* views (0610).
CREATE TABLE metrics_observed (
    incident_id          bigint NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    fact                 text NOT NULL,          -- 'ack', a clock kind ('statement', …) or 'breach:<kind>'
    observed_at          timestamptz NOT NULL,
    observed_by          text NOT NULL,          -- worker id
    PRIMARY KEY (incident_id, fact)
);
