"""The initdb script creates Grafana's login, which may read the reporting views and nothing else."""

from __future__ import annotations

import os
import subprocess
import uuid
from urllib.parse import parse_qs, urlsplit

import asyncpg

from monitor.db.pool import connect
from tests.deploy.conftest import DEPLOY, need
from tests.reports.seed import NOW, T0, seed

SCRIPT = DEPLOY / "postgres" / "initdb" / "10-grafana-reader.sh"


async def test_initdb_script_creates_a_read_only_reporting_login(pool: asyncpg.Pool, db_url: str) -> None:
    need("psql")
    async with pool.acquire() as conn:
        await seed(conn)
    parts = urlsplit(db_url)
    host = parse_qs(parts.query)["host"][0]
    database = parts.path.lstrip("/")
    reader = f"grafana_reader_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PGHOST": host,
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": database,
        "GRAFANA_PG_USER": reader,
        "GRAFANA_PG_PASSWORD": "not-a-real-secret",
    }
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    reader_url = db_url.replace("postgresql://postgres:@", f"postgresql://{reader}:not-a-real-secret@")
    conn = await connect(reader_url)
    try:
        assert await conn.fetchval("SHOW default_transaction_read_only") == "on"
        rows = await conn.fetch("SELECT * FROM department_timeliness($1, $2, $3)", T0, NOW, NOW)
        assert {(r["department"], r["kind"]) for r in rows} >= {
            ("yingji", "statement"),
            ("zhujian", "response"),
        }
        assert await conn.fetchval("SELECT count(*) FROM v_incident_facts") == 5
        assert await conn.fetchval("SELECT count(*) FROM v_event_heat") == 20
        for table in ("posts", "api_tokens", "incidents", "hotline_orders"):
            try:
                await conn.fetch(f"SELECT 1 FROM {table} LIMIT 1")
            except asyncpg.InsufficientPrivilegeError:
                continue
            raise AssertionError(f"Grafana's login can read {table}")
    finally:
        await conn.close()
        async with pool.acquire() as admin:
            await admin.execute(f'REVOKE ALL ON DATABASE "{database}" FROM "{reader}"')
            await admin.execute(f'REVOKE ALL ON SCHEMA public FROM "{reader}"')
            await admin.execute(f'DROP ROLE "{reader}"')
