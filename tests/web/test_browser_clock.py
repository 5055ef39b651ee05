"""Countdowns in real Chromium follow the server's clock even when it runs faster than real time."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect

from monitor.clock import AcceleratedClock
from tests.web.chromium import WAIT_MS, sign_in
from tests.web.factory import open_incident

SPEED = 120.0  # two simulated minutes per real second
LEFT = re.compile(r"^剩余 (\d+)小时(\d+)分$")


@pytest.fixture
def clock() -> AcceleratedClock:
    """Overrides the frozen test clock: the server's time runs as the demo's does."""
    return AcceleratedClock(datetime(2026, 6, 1, 0, 0, tzinfo=UTC), SPEED)


async def minutes_left(page: Page) -> int:
    text = await page.locator("#clocks [data-countdown] .clock-left").first.text_content() or ""
    match = LEFT.match(text.strip())
    assert match, f"unexpected countdown text {text!r}"
    return int(match[1]) * 60 + int(match[2])


async def test_incident_page_counts_down_at_the_servers_speed(page, pool, responders, clock, token_for):
    incident = await open_incident(pool, responders, clock.now(), title="化工园区爆炸", grade=1)
    opened = clock.now()
    await sign_in(page, await token_for("zhengfuban.duty"))
    await page.goto(f"/incidents/{incident}")  # no polling on this page: only the page's own clock moves it
    await expect(page.locator("#clocks [data-countdown] .clock-label").first).to_have_text("发布权威信息")

    first = await minutes_left(page)
    deadline = time.monotonic() + WAIT_MS / 1000
    while (now := await minutes_left(page)) > first - 4 and time.monotonic() < deadline:
        await page.wait_for_timeout(250)
    # At real-time speed the text would have moved by seconds, not by four simulated minutes.
    assert now <= first - 4, f"the countdown went from {first} to {now} min left in {WAIT_MS} ms"
    server_left = 5 * 60 - (clock.now() - opened).total_seconds() / 60
    # Within three simulated minutes (1.5 s of real time) of what the server itself says is left.
    assert abs(now - server_left) <= 3, f"the page shows {now} min left, the server {server_left:.1f}"
