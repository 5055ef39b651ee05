"""The console in real headless Chromium: the browser and page fixtures' settings, and signing in."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # screenshots for the README and for review
WAIT_MS = 10_000  # every wait in the browser tests is bounded by this


async def sign_in(page: Page, token: str) -> None:
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next="))  # signed out: sent to the login form
    await page.fill("input[name=token]", token)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("值班看板")
