"""Schemathesis against the served OpenAPI document: generated requests never get a server error.

The application runs on 127.0.0.1 in its own thread and event loop (schemathesis calls it synchronously).
Examples per operation are bounded; the run is derandomised so a failure reproduces.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from monitor.app import Services, build_web
from monitor.clock import FakeClock
from monitor.config.responders import load_responders
from monitor.config.sources import load_sources
from monitor.db.pool import create_pool
from monitor.links import LinkSigner
from monitor.metrics import Metrics
from monitor.settings import Settings
from monitor.web import auth
from monitor.web.keys import LINKS
from tests.web.factory import event_with_posts, open_incident

ROOT = Path(__file__).resolve().parents[2]
INTAKE_TOKEN = "intake-test-token"
POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 12


class LiveServer:
    """The whole web application with seeded incidents, served from a background event loop."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.base_url = ""
        self.token = ""
        self.incidents: list[int] = []
        self._cleanup: list[Any] = []

    def run(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def start(self) -> None:
        clock = FakeClock()
        pool = await create_pool(self.db_url, max_size=4)
        http = aiohttp.ClientSession()
        responders = load_responders(ROOT / "responders")
        sources = load_sources(ROOT / "sources.yaml", known_regions=responders.regions)
        env = {"HOTLINE_PUSH_TOKEN": INTAKE_TOKEN, "YUQING_PII_SALT": "a-long-random-test-salt-0123456789"}
        settings = Settings(public_url="http://127.0.0.1", env=env)
        services = Services(settings, clock, pool, responders, sources, Metrics(), http)
        app = build_web(services)
        app[LINKS] = LinkSigner(b"schemathesis", "http://127.0.0.1")
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._cleanup = [runner.cleanup, http.close, pool.close]
        async with pool.acquire() as conn:
            _, self.token = await auth.create_token(conn, "zhengfuban.admin", clock.now(), None)
        event = await event_with_posts(pool, clock.now(), [{"text": "<script>x</script>"}], [1.0, 2.0])
        for grade, lead in ((2, "zhujian"), (3, "shuiwu"), (4, "gongan")):
            self.incidents.append(
                await open_incident(
                    pool, responders, clock.now(), title=f"事件{grade}", grade=grade, lead=lead,
                    event_id=event if grade == 2 else None,
                )
            )  # fmt: skip

    async def stop(self) -> None:
        for close in self._cleanup:
            await close()


@pytest.fixture
def live(db_url: str) -> Iterator[LiveServer]:
    server = LiveServer(db_url)
    server.thread.start()
    try:
        server.run(server.start())
        yield server
    finally:
        server.run(server.stop())
        server.loop.call_soon_threadsafe(server.loop.stop)
        server.thread.join(10)


def headers_for(live: LiveServer, path: str) -> dict[str, str]:
    token = INTAKE_TOKEN if path.startswith("/api/v1/intake/") else live.token
    return {"Authorization": f"Bearer {token}"}


def exercise(live: LiveServer, operation: Any, mode: GenerationMode, examples: int) -> int:
    """Run generated cases for one operation; half of them aim at incidents that exist."""
    checks = [not_a_server_error, content_type_conformance]
    if mode is GenerationMode.POSITIVE:
        checks += [status_code_conformance, response_schema_conformance]
    calls = 0

    @given(case=operation.as_strategy(generation_mode=mode), real=st.sampled_from([None, *live.incidents]))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, real: int | None) -> None:
        nonlocal calls
        if real is not None and "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = real
        response = case.call(base_url=live.base_url, headers=headers_for(live, operation.path), timeout=30)
        calls += 1
        case.validate_response(response, checks=checks)

    try:
        run()
    except Unsatisfiable:
        # nothing to negate: the operation takes no parameters or body
        assert mode is GenerationMode.NEGATIVE and not calls, operation.label
    return calls


def test_generated_requests_get_no_server_errors(live: LiveServer) -> None:
    document = fetch_json(live.base_url + "/api/v1/openapi.json")
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    total = 0
    for operation in operations:
        total += exercise(live, operation, GenerationMode.POSITIVE, POSITIVE_EXAMPLES)
        total += exercise(live, operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
    assert total >= len(operations) * 10


def fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: dict[str, Any] = json.load(response)
    return body
