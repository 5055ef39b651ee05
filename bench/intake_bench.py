"""12345 HTTP push → chat robot: intake-to-notification latency, 1,000 and 10,000 open incidents. Prints JSON.

The whole product runs as `yuqing run --role all` (a real process, real clock) on a fresh embedded
PostgreSQL that already holds N open incidents (opened as bench/engine_bench.py opens them). Every robot
webhook of responders/ points at a DingTalk/WeCom/Feishu-style robot server on 127.0.0.1 (its own process),
which notes when each message arrives. A 紧急 order is pushed to POST /api/v1/intake/hotline once a second,
each a different real citizen message (2020 泰迪杯 附件2), rotating over the seven 一级标签 (so over several
departments' robots, each under its 20/min limit), and timed from just before its HTTP request to the first
robot message that names it: intake, store, analysis, grouping, incident opening, the first page in the
outbox, and its delivery. The analyse and group jobs sleep 1 s when idle (as configured for `yuqing run`),
which is most of the latency. The service's RSS is read at the end of each size.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from bench.common import free_port, fresh_database, machine, rss_mb, server_process, summary, wait_for_port
from bench.engine_bench import populate
from bench.streams import DATA
from monitor.config.responders import load_responders
from monitor.db.pool import create_pool

ROOT = Path(__file__).resolve().parent.parent
CST = timezone(timedelta(hours=8))
TOKEN = "bench-intake-token"
MESSAGES = DATA / "routing" / "attachment2_sample_labeled.csv"
MARK = re.compile(r"BENCH(\d{4})")
CATEGORIES = ["环境保护", "城乡建设", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"]


def serve_robot(port: int) -> None:
    """Robot server process: POST /robot/{name} is noted with its arrival time; GET /arrivals lists them."""
    arrivals: list[tuple[float, str]] = []

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        arrivals.append((time.monotonic(), body.decode("utf-8", "replace")))
        return web.json_response({"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"})

    async def listing(_: web.Request) -> web.Response:
        return web.json_response(arrivals)

    async def clear(_: web.Request) -> web.Response:
        arrivals.clear()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/robot/{name}", receive)
    app.router.add_get("/arrivals", listing)
    app.router.add_delete("/arrivals", clear)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handle_signals=True)


def robot_env(robot: str) -> dict[str, str]:
    """Every `url_env` of responders/ → the robot server; every `secret_env` → a signing secret."""
    env: dict[str, str] = {}
    for path in (ROOT / "responders").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"url_env:\s*(\w+)", text):
            env[name] = f"{robot}/robot/{name.lower()}"
        for name in re.findall(r"secret_env:\s*(\w+)", text):
            env[name] = "bench-signing-secret"
    return env


@functools.cache
def messages() -> list[dict[str, str]]:
    """Real citizen messages (2020 泰迪杯 附件2), interleaved over the seven 一级标签."""
    by: dict[str, list[dict[str, str]]] = {c: [] for c in CATEGORIES}
    with MESSAGES.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            by[row["一级标签"]].append(row)
    return [m for group in itertools.zip_longest(*by.values()) for m in group if m is not None]


def order(n: int) -> dict[str, Any]:
    message = messages()[n % len(messages())]
    category = message["一级标签"]
    return {
        "order_no": f"BENCH-{os.getpid()}-{n:04d}",
        "received_at": datetime.now(UTC).astimezone(CST).isoformat(timespec="seconds"),
        "channel": "电话",
        "category": category,
        "urgency": "紧急",
        "title": f"BENCH{n:04d} {message['留言主题']}",
        "content": message["留言详情"][:1000],
        "region_codes": "339902",
    }


async def first_arrivals(http: aiohttp.ClientSession, robot: str) -> dict[int, float]:
    async with http.get(f"{robot}/arrivals") as response:
        arrivals = await response.json()
    first: dict[int, float] = {}
    for at, body in arrivals:
        try:
            text = json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            text = body
        for m in MARK.finditer(text):
            first.setdefault(int(m.group(1)), at)
    return first


async def push(http: aiohttp.ClientSession, url: str, n: int) -> float:
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with http.post(url, json=order(n), headers=headers) as response:
        if response.status >= 300:
            raise RuntimeError(f"intake refused order {n}: {response.status} {await response.text()}")
    return started


async def wait_for(http: aiohttp.ClientSession, robot: str, wanted: set[int], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not wanted <= set(await first_arrivals(http, robot)):
        await asyncio.sleep(0.2)


async def one(robot: str, incidents: int, probes: int, gap_s: float) -> dict[str, Any]:
    async with fresh_database("yuqing-intake-bench-") as uri:
        pool = await create_pool(uri, max_size=8)
        try:
            setup_s = await populate(pool, load_responders(ROOT / "responders"), incidents)
        finally:
            await pool.close()
        with tempfile.TemporaryDirectory(prefix="yuqing-intake-") as tmp:
            sources = Path(tmp) / "sources.yaml"
            document = {"sources": [{"id": "hotline-push", "kind": "hotline", "push": True,
                                     "token_env": "HOTLINE_PUSH_TOKEN"}]}  # fmt: skip
            sources.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
            port = free_port()
            env = (
                os.environ
                | robot_env(robot)
                | {
                    "DATABASE_URL": uri,
                    "HOTLINE_PUSH_TOKEN": TOKEN,
                    "YUQING_PII_SALT": "bench-pii-salt-0123456789abcdef",
                    "YUQING_DATA_DIR": tmp,
                }
            )
            listen = f"127.0.0.1:{port}"
            cmd = [sys.executable, "-m", "monitor.cli", "run", "--role", "all", "--listen", listen,
                   "--sources", str(sources), "--responders", str(ROOT / "responders")]  # fmt: skip
            log = open(Path(tmp) / "service.log", "wb")  # closed in finally
            service = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                await asyncio.to_thread(wait_for_port, port, 60.0)
                url = f"http://127.0.0.1:{port}/api/v1/intake/hotline"
                async with aiohttp.ClientSession() as http:
                    await http.delete(f"{robot}/arrivals")
                    await push(http, url, 0)  # warm-up: loads the models in the service
                    await wait_for(http, robot, {0}, 120.0)
                    pushed: dict[int, float] = {}
                    for n in range(1, probes + 1):
                        pushed[n] = await push(http, url, n)
                        await asyncio.sleep(gap_s)
                    await wait_for(http, robot, set(pushed), 60.0)
                    first = await first_arrivals(http, robot)
                rss = rss_mb(service.pid)
            finally:
                service.send_signal(signal.SIGTERM)
                try:
                    service.wait(20)
                except subprocess.TimeoutExpired:
                    service.kill()
                    service.wait(5)
                log.close()
    latencies = [first[n] - t for n, t in pushed.items() if n in first]
    return {
        "open_incidents": incidents,
        "setup_s": round(setup_s, 1),
        "intake_to_robot_s": summary(latencies),
        "delivered": f"{len(latencies)}/{len(pushed)}",
        "undelivered_categories": sorted({order(n)["category"] for n in pushed if n not in first}),
        "service_rss_mb": rss,
    }


async def run(quick: bool) -> dict[str, Any]:
    sizes, probes = ([100, 1000], 10) if quick else ([1000, 10000], 60)
    with server_process(serve_robot) as robot_port:
        robot = f"http://127.0.0.1:{robot_port}"
        results = [await one(robot, n, probes, 1.0) for n in sizes]
    return {
        "name": "intake",
        "quick": quick,
        "sizes": results,
        "growth_10x_incidents": {
            "open_incidents": sizes,
            "intake_to_robot_p99_s": [r["intake_to_robot_s"]["p99"] for r in results],
            "intake_to_robot_p50_s": [r["intake_to_robot_s"]["p50"] for r in results],
            "service_rss_mb_peak": [r["service_rss_mb"]["peak"] for r in results],
        },
        "note": (
            "`yuqing run --role all` in its own process; from just before the HTTP push of a 紧急 12345 "
            "order to the first chat-robot message naming it; one order a second over seven robots"
        ),
        "machine": machine(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_bench")
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 incidents, 10 orders each")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.quick)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
