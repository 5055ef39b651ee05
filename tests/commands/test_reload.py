"""`systemctl reload yuqing` (SIGHUP): configuration files with problems are named in the log and the
service keeps running as it was; valid ones restart it in the same process, which then serves them."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg

from monitor.web.auth import create_token
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60.0


async def _until(check: object, what: str, limit: float = WAIT_S) -> None:
    """Poll `check()` (a coroutine function returning bool) until it is true; fail naming `what`."""
    deadline = asyncio.get_running_loop().time() + limit
    while asyncio.get_running_loop().time() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} within {limit:.0f} s")


async def _department_names(http: aiohttp.ClientSession, base: str, token: str) -> set[str] | None:
    try:
        async with http.get(f"{base}/api/v1/departments", headers={"Authorization": f"Bearer {token}"}) as r:
            if r.status != 200:
                return None
            return {d["name"] for d in (await r.json())["items"]}
    except aiohttp.ClientError:
        return None


async def test_sighup_keeps_a_bad_configuration_out_and_restarts_with_a_good_one(
    tmp_path: Path, db_url: str
) -> None:
    shutil.copytree(ROOT / "responders", tmp_path / "responders")
    shutil.copy2(ROOT / "sources.yaml", tmp_path / "sources.yaml")
    conn = await asyncpg.connect(db_url)
    try:
        _, token = await create_token(conn, "shuiwu.head", datetime.now(UTC), None, "reload test")
    finally:
        await conn.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YUQING_", "DATABASE_URL", "YQ_"))}
    env |= {"DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "service.log"
    with log.open("w") as out:
        service = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "run", "--role", "web", "--listen", f"127.0.0.1:{port}"],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:

            async def names() -> set[str] | None:
                return await _department_names(http, base, token)

            async def serving() -> bool:
                return await names() is not None

            await _until(serving, "the console did not come up")
            assert "云江市水务局" in (await names() or set())
            shuiwu, policy = tmp_path / "responders" / "shuiwu.yaml", tmp_path / "responders" / "_policy.yaml"
            # a bad edit: named in the log, and nothing stops
            policy.write_text(policy.read_text().replace("repeat_interval: 1h", "repeat_interval: 0s"))
            shuiwu.write_text(shuiwu.read_text().replace("name: 云江市水务局", "name: 云江市水务和湖泊局"))
            service.send_signal(signal.SIGHUP)

            async def refused() -> bool:
                return "reload refused" in log.read_text()

            await _until(refused, "the bad configuration was not refused")
            text = log.read_text()
            assert "repeat_interval: must be longer than 0s" in text and "still running" in text
            assert (
                service.poll() is None
                and await names() == await names()
                and "云江市水务局" in (await names() or set())
            )
            # the fix: the same process starts again with the new files
            policy.write_text(policy.read_text().replace("repeat_interval: 0s", "repeat_interval: 1h"))
            service.send_signal(signal.SIGHUP)

            async def renamed() -> bool:
                return "云江市水务和湖泊局" in (await names() or set())

            await _until(renamed, "the new configuration was not served")
            assert service.poll() is None  # the same pid: systemd and Compose keep following it
            text = log.read_text()
            assert "stopped for the reload" in text and "starting again with the new configuration" in text
            assert text.count("console and API on") == 2 and "Traceback" not in text
            # a second reload signal while the new run is still starting is not the end of the process
            service.send_signal(signal.SIGHUP)

            async def restarting() -> bool:
                return log.read_text().count("starting again") == 2

            await _until(restarting, "the second reload did not start")
            service.send_signal(signal.SIGHUP)
            await _until(serving, "the console did not come back after a reload signal during start-up")
            assert service.poll() is None
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait(timeout=10)
    assert service.returncode == 0, log.read_text()[-3000:]
