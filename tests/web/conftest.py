"""Web fixtures: the real application on a loopback server, over a fresh database, with tokens for people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Page, async_playwright

from monitor.app import Services, build_web
from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.links import LinkSigner
from monitor.metrics import Metrics
from monitor.settings import Settings
from monitor.web import auth
from monitor.web.keys import LINKS, WEB_OPTIONS
from monitor.web.options import WebOptions
from tests.browser import ARGS, CHROMIUM
from tests.web.chromium import ARTIFACTS, WAIT_MS

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


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless Chromium, one per test module (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian chromium not found at {CHROMIUM}: run `make system-deps`")
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=WAIT_MS * 3)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Every alert/confirm the page opened (a hostile post must never open one)."""
    return []


@pytest.fixture
async def page(browser: Browser, client: TestClient, dialogs: list[str]) -> AsyncIterator[Page]:
    """A fresh browser context on the test server, in Chinese, every wait bounded by WAIT_MS."""
    context = await browser.new_context(base_url=str(client.make_url("/")).rstrip("/"), locale="zh-CN")
    tab = await context.new_page()
    tab.set_default_timeout(WAIT_MS)
    tab.on("dialog", lambda d: dialogs.append(d.message))
    try:
        yield tab
    finally:
        await context.close()
