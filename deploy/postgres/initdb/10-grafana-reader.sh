#!/bin/bash
# Runs once, when the postgres container initialises an empty data volume: the login that Grafana's
# PostgreSQL data source uses. It is a member of yuqing_reporting, which the service's migrations grant
# SELECT on the reporting views only (v_clock_compliance, v_incident_facts, v_event_heat): no post text,
# no accounts or tokens. The views run with their owner's rights, so no table grants are needed.
set -euo pipefail
: "${GRAFANA_PG_USER:?set GRAFANA_PG_USER in yuqing.env}"
: "${GRAFANA_PG_PASSWORD:?set GRAFANA_PG_PASSWORD in yuqing.env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v reader="$GRAFANA_PG_USER" -v reader_password="$GRAFANA_PG_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
SELECT 'CREATE ROLE yuqing_reporting NOLOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'yuqing_reporting') \gexec
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password' IN ROLE yuqing_reporting
    NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER ROLE :"reader" SET default_transaction_read_only = on;
ALTER ROLE :"reader" SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE :"db" TO :"reader";
GRANT USAGE ON SCHEMA public TO :"reader";
SQL
