"""Web fixtures: the real application on a loopback server, over a fresh database, with tokens for people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from monitor.app import Services, build_web
from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.links import LinkSigner
from monitor.metrics import Metrics
from monitor.settings import Settings
from monitor.web import auth
from monitor.web.keys import LINKS, WEB_OPTIONS
from monitor.web.options import WebOptions

ROOT = Path(__file__).resolve().parents[2]
LINK_SECRET = b"test-link-secret"
TokenFor = Callable[[str], Awaitable[str]]


@pytest.fixture
async def services(pool: asyncpg.Pool, clock: FakeClock, responders: Responders) -> AsyncIterator[Services]:
    settings = Settings(
        sources_path=ROOT / "sources.yaml",
        responders_path=ROOT / "responders",
        public_url="http://127.0.0.1",
        env={},
    )
    async with aiohttp.ClientSession() as http:
        yield Services(settings, clock, pool, responders, [], Metrics(), http)


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient]:
    """The whole web application (API, console, intake, ops) served on 127.0.0.1."""
    app = build_web(services)
    app[WEB_OPTIONS] = WebOptions(board_refresh_s=1.0, login_max_failures=5)
    app[LINKS] = LinkSigner(LINK_SECRET, "http://127.0.0.1")
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


@pytest.fixture
def token_for(pool: asyncpg.Pool, clock: FakeClock) -> TokenFor:
    """Create an API token for a person (as `yuqing token create` does) and return it."""

    async def make(person_id: str) -> str:
        async with pool.acquire() as conn:
            _, token = await auth.create_token(conn, person_id, clock.now(), None, "test")
        return token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
