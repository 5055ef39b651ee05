"""`yuqing token create|list|revoke` as a real subprocess against the test database."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

from tests.web.conftest import bearer

ROOT = Path(__file__).resolve().parents[2]


async def yuqing(db_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "token", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_create_prints_a_working_token_once_and_stores_its_hash(db_url, pool, client):
    code, out, err = await yuqing(db_url, "create", "--person", "zhujian.head", "--expires", "30d")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("yq_") and len(out.splitlines()) == 1  # stdout carries the token alone
    assert "shown once" in err
    row = await pool.fetchrow("SELECT person_id, token_hash, created_at, expires_at FROM api_tokens")
    assert row["person_id"] == "zhujian.head" and token not in row["token_hash"]
    assert row["expires_at"] - row["created_at"] == timedelta(days=30)
    whoami = await client.get("/api/v1/whoami", headers=bearer(token))
    assert (await whoami.json())["id"] == "zhujian.head"

    code, out, _ = await yuqing(db_url, "list")
    assert code == 0 and "zhujian.head" in out and "active" in out and token not in out

    code, out, _ = await yuqing(db_url, "revoke", "1")
    assert code == 0
    assert (await client.get("/api/v1/whoami", headers=bearer(token))).status == 401
    assert (await yuqing(db_url, "revoke", "1"))[0] == 1


async def test_create_refuses_unknown_people_and_bad_expiry(db_url, pool):
    code, _, err = await yuqing(db_url, "create", "--person", "nobody.here")
    assert code == 2 and "no person 'nobody.here'" in err
    code, _, err = await yuqing(db_url, "create", "--person", "zhujian.head", "--expires", "soon")
    assert code == 2 and "--expires" in err
    assert await pool.fetchval("SELECT count(*) FROM api_tokens") == 0
