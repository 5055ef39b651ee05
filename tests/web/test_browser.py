"""Real headless Chromium against the console on 127.0.0.1: login, scoping, actions, live board, escaping."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.web.chromium import ARTIFACTS, sign_in
from tests.web.factory import event_with_posts, open_incident

SCRIPT = "<script>window.__pwned = 'script'</script>"
IMG = "<img src=x onerror=\"window.__pwned = 'img'\">"


async def test_head_logs_in_sees_only_their_incidents_acks_and_records_a_statement(
    page, pool, responders, clock, token_for
):
    now = clock.now()
    gas = await open_incident(
        pool, responders, now, title="江滨小区燃气泄漏", grade=2, region="binjiang-jiangbin"
    )
    await open_incident(
        pool, responders, now, title="北湖停水三天", grade=4, lead="shuiwu", region="jiangbei"
    )
    await open_incident(pool, responders, now, title="夜市斗殴", grade=3, lead="gongan")
    clock.advance(hours=1)

    await sign_in(page, await token_for("zhujian.head"))
    cards = page.locator("article.incident")
    await expect(cards).to_have_count(1)
    await expect(cards.first.locator(".title")).to_have_text("江滨小区燃气泄漏")
    await expect(page.get_by_text("北湖停水三天")).to_have_count(0)
    countdown = cards.first.locator("[data-countdown]").first
    await expect(countdown).to_have_class(re.compile(r"grade-orange status-running"))
    await page.screenshot(path=ARTIFACTS / "head-board.png", full_page=True)

    await cards.first.locator(".title").click()
    await expect(page).to_have_url(re.compile(rf"/incidents/{gas}$"))
    statement_clock = page.locator("#clocks [data-countdown]").first
    await expect(statement_clock.locator(".clock-label")).to_have_text("发布权威信息")
    await expect(statement_clock).to_have_attribute("data-done", "0")

    await page.locator('form[data-action="ack"] button').click()
    await expect(page.locator(".flash.ok")).to_have_text("已记录：确认接报")
    await expect(page.locator(".incident-head .state")).to_have_text("已确认")
    await expect(page.locator('form[data-action="ack"]')).to_have_count(0)
    await expect(statement_clock).to_have_attribute("data-done", "0")  # an ack never stops the legal clock

    await page.locator("details.action-statement summary").click()
    await page.fill(
        'form[data-action="statement"] input[name=url]', "https://www.yunjiang.gov.cn/xxgk/gas.html"
    )
    await page.fill('form[data-action="statement"] textarea[name=text]', "关于江滨小区燃气泄漏的情况通报")
    await page.locator('form[data-action="statement"] button').click()
    await expect(page.locator(".flash.ok")).to_have_text("已记录：发布权威信息")
    satisfied = page.locator("#clocks [data-countdown]").first
    await expect(satisfied).to_have_class(re.compile(r"status-satisfied"))
    await expect(satisfied.locator(".clock-left")).to_have_text("已完成（用时 1小时00分）")
    await expect(page.locator("#timeline")).to_contain_text("高磊")
    await expect(page.locator("#timeline a")).to_have_text("https://www.yunjiang.gov.cn/xxgk/gas.html")
    await page.screenshot(path=ARTIFACTS / "head-incident-satisfied.png", full_page=True)

    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await page.goto("/")
    await page.screenshot(path=ARTIFACTS / "head-board-phone.png", full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the board scrolls sideways on a phone ({width}px)"


async def test_duty_officer_sees_a_new_incident_without_reload(page, pool, responders, clock, token_for):
    await open_incident(pool, responders, clock.now(), title="既有事件", grade=3)
    await sign_in(page, await token_for("zhengfuban.duty"))
    await expect(page.locator("article.incident")).to_have_count(1)
    await page.evaluate("window.__sameDocument = true")

    await open_incident(
        pool, responders, clock.now(), title="化工园区爆炸", grade=1, region="qingshi-lingang"
    )
    # The server's clock moves on; each poll re-syncs the page to it. (With a frozen server clock the
    # page's one-second tick and one-second poll race each other, so the text is checked a step away.)
    clock.advance(minutes=90)
    fresh = page.locator("article.incident", has_text="化工园区爆炸")
    await expect(fresh).to_have_count(1)  # polled in, bounded by WAIT_MS
    await expect(fresh).to_have_class(re.compile(r"grade-red.*is-new"))
    assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    await expect(page.locator("article.incident").first).to_contain_text("化工园区爆炸")  # Ⅰ: 5 h clock first
    left = page.locator("article.incident [data-countdown] .clock-left")
    await expect(left.first).to_have_text(re.compile(r"^剩余 3小时(30|29)分$"))  # 5 h less 90 min
    await expect(left.last).to_have_text("剩余 1天22小时")  # 48 h less 90 min: counted from the server
    await page.screenshot(path=ARTIFACTS / "duty-board-new-incident.png", full_page=True)


async def test_hostile_post_renders_as_text(page, dialogs, pool, responders, clock, token_for):
    hostile = f"网传现场视频{SCRIPT}{IMG}"
    event = await event_with_posts(
        pool, clock.now(), [{"text": hostile, "author": IMG, "title": SCRIPT}], heat=[2.0, 8.0, 5.0]
    )
    incident = await open_incident(pool, responders, clock.now(), title=f"燃气{IMG}", grade=2, event_id=event)
    await sign_in(page, await token_for("zhujian.head"))
    await page.goto(f"/incidents/{incident}")
    post = page.locator("#posts .post").first
    await expect(post.locator(".post-text")).to_have_text(hostile)
    await expect(post.locator(".author")).to_have_text(IMG)
    await expect(post.locator(".post-title")).to_have_text(SCRIPT)
    await expect(page.locator(".incident-head h1")).to_have_text(f"燃气{IMG}")
    await expect(page.locator("main img")).to_have_count(0)
    await expect(page.locator("main script")).to_have_count(0)
    await expect(page.locator("svg.heat-chart polyline")).to_have_count(1)
    assert await page.evaluate("window.__pwned === undefined"), "post text ran as script"
    assert dialogs == []
    await page.screenshot(path=ARTIFACTS / "hostile-post-as-text.png", full_page=True)
