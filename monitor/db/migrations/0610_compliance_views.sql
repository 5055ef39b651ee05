-- Exact compliance facts for Grafana's PostgreSQL data source and the 日报/周报/专报 (issue 7).
-- Per-incident facts, no counter resets. Views never read now(): callers pass `now` to the functions
-- (the service passes its injected clock; Grafana passes now()).

-- One row per statutory clock of every incident (the engine's `clocks`, legal ones only): when it
-- started, when it is due, when its evidence came, and whether the incident closed with it unmet.
CREATE VIEW v_clock_compliance AS
SELECT c.id                                            AS clock_id,
       i.id                                            AS incident_id,
       i.title,
       i.kind                                          AS incident_kind,
       i.grade,
       i.lead_department                               AS department,
       coalesce(i.region, '')                          AS region,
       c.kind,
       c.label,
       extract(epoch FROM c.due_at - c.started_at)::float8 AS within_s,
       c.started_at,
       c.due_at,
       c.satisfied_at                                  AS met_at,
       c.satisfied_by                                  AS met_by,
       extract(epoch FROM c.satisfied_at - c.started_at)::float8 AS seconds_to_evidence,
       c.breached_at,
       c.closed_at,
       i.state NOT IN ('resolved', 'reviewed')         AS incident_open
  FROM clocks c
  JOIN incidents i ON i.id = c.incident_id
 WHERE c.legal;

-- Each clock with its outcome at `p_now`: met (on time), late (evidence after the deadline),
-- breached (no evidence and past due), closed (incident closed before the deadline, no evidence) or running.
CREATE FUNCTION clock_outcomes(p_now timestamptz)
RETURNS TABLE (
    clock_id bigint, incident_id bigint, title text, incident_kind text, grade smallint, department text,
    region text, kind text, label text, within_s float8, started_at timestamptz, due_at timestamptz,
    met_at timestamptz, met_by text, seconds_to_evidence float8, incident_open boolean, outcome text
) LANGUAGE sql STABLE AS $$
    SELECT v.clock_id, v.incident_id, v.title, v.incident_kind, v.grade, v.department, v.region, v.kind,
           v.label, v.within_s, v.started_at, v.due_at, v.met_at, v.met_by, v.seconds_to_evidence,
           v.incident_open,
           CASE WHEN v.met_at IS NOT NULL AND v.met_at <= v.due_at THEN 'met'
                WHEN v.met_at IS NOT NULL THEN 'late'
                WHEN v.closed_at IS NOT NULL AND v.closed_at < v.due_at AND v.breached_at IS NULL THEN 'closed'
                WHEN v.due_at <= p_now OR v.breached_at IS NOT NULL THEN 'breached'
                ELSE 'running' END
      FROM v_clock_compliance v
$$;

-- Per department and clock kind, for clocks started in [p_from, p_to): how many were met on time, late,
-- breached, closed early or still running at `p_now`, and the on-time ratio of those decided (met, late
-- or breached).
CREATE FUNCTION department_timeliness(p_from timestamptz, p_to timestamptz, p_now timestamptz)
RETURNS TABLE (
    department text, kind text, total bigint, met bigint, late bigint, breached bigint, closed bigint,
    running bigint, on_time_ratio float8
) LANGUAGE sql STABLE AS $$
    SELECT o.department, o.kind,
           count(*),
           count(*) FILTER (WHERE o.outcome = 'met'),
           count(*) FILTER (WHERE o.outcome = 'late'),
           count(*) FILTER (WHERE o.outcome = 'breached'),
           count(*) FILTER (WHERE o.outcome = 'closed'),
           count(*) FILTER (WHERE o.outcome = 'running'),
           (count(*) FILTER (WHERE o.outcome = 'met'))::float8
             / nullif(count(*) FILTER (WHERE o.outcome IN ('met', 'late', 'breached')), 0)
      FROM clock_outcomes(p_now) o
     WHERE o.started_at >= p_from AND o.started_at < p_to
     GROUP BY o.department, o.kind
$$;

-- One row per incident for Grafana's per-incident table and the reports: the facts, not the policy.
CREATE VIEW v_incident_facts AS
SELECT i.id                                            AS incident_id,
       i.kind                                          AS incident_kind,
       i.title,
       i.grade,
       i.state,
       i.topic,
       coalesce(i.region, '')                          AS region,
       i.lead_department                               AS department,
       i.first_seen_at,
       i.opened_at,
       i.acknowledged_at,
       i.statement_at,
       i.statement_url,
       i.press_conference_at,
       i.responded_at,
       i.resolved_at,
       extract(epoch FROM i.acknowledged_at - i.opened_at)::float8 AS seconds_to_ack,
       i.state NOT IN ('resolved', 'reviewed')         AS incident_open
  FROM incidents i;
