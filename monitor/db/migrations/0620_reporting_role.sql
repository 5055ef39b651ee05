-- Grafana's PostgreSQL data source logs in as a member of yuqing_reporting (deploy/postgres/initdb creates
-- the login). The role may read the reporting views and nothing else: no post text, no accounts or tokens.
-- Views run with their owner's rights, so no table grants are needed. A server where the service may not
-- create roles skips this; grant SELECT on the v_* views to your reporting login by hand there.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'yuqing_reporting') THEN
        BEGIN
            CREATE ROLE yuqing_reporting NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN
            NULL;  -- another database in this cluster created it meanwhile
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'cannot create role yuqing_reporting: grant SELECT on the v_* views by hand';
            RETURN;
        END;
    END IF;
    GRANT SELECT ON v_clock_compliance, v_incident_facts TO yuqing_reporting;
    GRANT EXECUTE ON FUNCTION clock_outcomes(timestamptz),
                              department_timeliness(timestamptz, timestamptz, timestamptz) TO yuqing_reporting;
END $$;
