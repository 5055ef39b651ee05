"""Reports downloaded from the console (authenticated, department-scoped) and produced by `yuqing report`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from monitor.app import build_web, services_for
from monitor.clock import FakeClock
from monitor.settings import Settings
from monitor.web.auth import create_token
from tests.reports.seed import NOW, seed

ROOT = Path(__file__).resolve().parents[2]


async def _token(pool: asyncpg.Pool, person: str) -> str:
    async with pool.acquire() as conn:
        _, token = await create_token(conn, person, NOW, None, "report test")
    return token


async def test_console_serves_reports_to_the_right_people(pool: asyncpg.Pool, db_url: str) -> None:
    async with pool.acquire() as conn:
        ids = (await seed(conn))["ids"]
    settings = Settings.from_env(
        env={"DATABASE_URL": db_url}, sources_path=ROOT / "sources.yaml", responders_path=ROOT / "responders"
    )
    duty = await _token(pool, "zhengfuban.duty")
    head = await _token(pool, "yingji.head")
    async with services_for(settings, FakeClock(NOW), pool=pool) as services:
        runner = web.AppRunner(build_web(services))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:

                async def get(path: str, token: str | None) -> tuple[int, dict[str, str], str]:
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    async with http.get(base + path, headers=headers, allow_redirects=False) as resp:
                        return resp.status, dict(resp.headers), await resp.text()

                status, _, _ = await get("/reports/daily?date=2026-06-01", None)
                assert status in (401, 302, 303)
                status, headers, body = await get("/reports/daily?date=2026-06-01", duty)
                assert status == 200, body
                assert headers["Content-Type"].startswith("text/html")
                assert "script-src" not in headers["Content-Security-Policy"]
                assert "style-src 'unsafe-inline'" in headers["Content-Security-Policy"]
                assert 'data-total="incidents">4<' in body
                status, headers, body = await get(
                    "/reports/weekly?date=2026-06-03&format=md&download=1", duty
                )
                assert status == 200 and body.startswith("## 舆情周报")
                assert headers["Content-Disposition"] == 'attachment; filename="yuqing-weekly-2026-06-03.md"'
                # a department head gets their own incident's 专报, not the city-wide reports
                status, _, body = await get(f"/reports/incident/{ids['云江化工厂爆炸']}", head)
                assert status == 200 and "舆情专报：云江化工厂爆炸" in body
                status, _, _ = await get(f"/reports/incident/{ids['老旧小区加装电梯纠纷']}", head)
                assert status == 403
                status, _, _ = await get("/reports/daily", head)
                assert status == 403
                status, _, _ = await get("/reports/incident/999999", duty)
                assert status == 404
                status, _, _ = await get("/reports/daily?date=yesterday", duty)
                assert status == 422
        finally:
            await runner.cleanup()


async def test_yuqing_report_command_writes_html_and_markdown(
    pool: asyncpg.Pool, db_url: str, tmp_path: Path
) -> None:
    async with pool.acquire() as conn:
        ids = (await seed(conn))["ids"]
    env = {**os.environ, "DATABASE_URL": db_url}
    out = tmp_path / "daily.html"
    cmd = [
        sys.executable,
        "-m",
        "monitor.cli",
        "report",
        "--period",
        "day",
        "--date",
        "2026-06-01",
        "--responders",
        str(ROOT / "responders"),
        "--out",
        str(out),
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'data-total="incidents">4<' in html
    cmd = [
        sys.executable,
        "-m",
        "monitor.cli",
        "report",
        "--incident",
        str(ids["隧道坍塌被困人员"]),
        "--format",
        "md",
        "--responders",
        str(ROOT / "responders"),
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## 舆情专报：隧道坍塌被困人员")
    assert "发布权威信息" in result.stdout and "**超时办结**" in result.stdout
    cmd = [
        sys.executable,
        "-m",
        "monitor.cli",
        "report",
        "--incident",
        "424242",
        "--responders",
        str(ROOT / "responders"),
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1 and "no incident 424242" in result.stderr
