-- Events and their heat series for Grafana's Situation dashboard and the reports (issue 7): titles, counts and
-- heat, never post text or authors. yuqing_reporting (0620) may read them.
CREATE VIEW v_events AS
SELECT e.id                                            AS event_id,
       e.title,
       e.first_seen_at,
       e.last_seen_at,
       e.post_count,
       e.channels,
       e.topic,
       coalesce(e.region, '')                          AS region,
       e.negative_share,
       e.heat,
       e.bursting,
       e.grade,
       e.incident_id
  FROM events e;

CREATE VIEW v_event_heat AS
SELECT h.event_id,
       e.title,
       coalesce(e.region, '')                          AS region,
       e.incident_id,
       h.bucket_at,
       h.posts,
       h.engagement,
       CASE WHEN h.posts > 0 THEN h.negative / h.posts ELSE 0 END AS negative_share,
       h.influential,
       h.heat
  FROM event_heat h
  JOIN events e ON e.id = h.event_id;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'yuqing_reporting') THEN
        GRANT SELECT ON v_events, v_event_heat TO yuqing_reporting;
    END IF;
END $$;
