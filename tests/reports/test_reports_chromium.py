"""Reports rendered in real headless Chromium; the numbers on the page are checked against PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, Page, async_playwright

from monitor.config.responders import Responders
from monitor.reports.build import incident_report, period_report
from tests.browser import ARGS, CHROMIUM
from tests.reports.seed import INCIDENTS, NOW, T0, expected_outcomes, seed

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

DAY_START = datetime.fromisoformat("2026-05-31T16:00+00:00")  # 2026-06-01 00:00 in Asia/Shanghai
DAY_END = datetime.fromisoformat("2026-06-01T16:00+00:00")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: run `make system-deps`")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


async def _open(browser: Browser, html: str, name: str) -> Page:
    """Write the report as a file, open it from disk like a person would, screenshot it whole."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    page = await browser.new_page(viewport={"width": 1000, "height": 1200})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    await page.goto(path.as_uri())
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert requests == [path.as_uri()], f"a self-contained report fetched {requests[1:]}"
    return page


async def _text(page: Page, selector: str) -> str:
    return (await page.locator(selector).first.inner_text()).strip()


async def _db_timeliness(pool: asyncpg.Pool, start: Any, end: Any) -> dict[tuple[str, str], asyncpg.Record]:
    rows = await pool.fetch("SELECT * FROM department_timeliness($1, $2, $3)", start, end, NOW)
    return {(r["department"], r["kind"]): r for r in rows}


async def test_daily_report_numbers_match_the_database(
    pool: asyncpg.Pool, responders: Responders, browser: Browser
) -> None:
    async with pool.acquire() as conn:
        await seed(conn)
    html = await period_report(pool, "day", T0.date(), NOW, responders, "html")
    page = await _open(browser, html, "report-daily")
    assert "舆情日报（2026年06月01日）" in await _text(page, "h1")
    # incidents opened that day (Asia/Shanghai): incidents 1-4
    opened = await pool.fetch(
        "SELECT id, grade FROM incidents WHERE opened_at >= $1 AND opened_at < $2", DAY_START, DAY_END
    )
    assert await _text(page, '[data-total="incidents"]') == str(len(opened)) == "4"
    for grade in (1, 2, 3, 4):
        card = await page.locator(f'.card[data-grade="{grade}"] b').inner_text()
        assert int(card) == sum(1 for r in opened if r["grade"] == grade)
    listed = await page.locator("tr[data-incident]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.incident))"
    )
    assert sorted(listed) == sorted(r["id"] for r in opened)
    # per-department timeliness against department_timeliness() and the scenario's own arithmetic
    db = await _db_timeliness(pool, DAY_START, DAY_END)
    expected = {k: v for k, v in expected_outcomes().items() if k != ("shengtai", "response")}
    rows = page.locator("table.timeliness tr[data-department]")
    assert await rows.count() == len(db) == len(expected)
    for n in range(await rows.count()):
        row = rows.nth(n)
        key = (await row.get_attribute("data-department") or "", await row.get_attribute("data-kind") or "")
        cells = {
            k: await row.locator(f'[data-k="{k}"]').inner_text()
            for k in ("total", "met", "late", "breached", "running", "ratio")
        }
        for k in ("total", "met", "late", "breached", "running"):
            assert int(cells[k]) == db[key][k], (key, k)
        for k in ("met", "late", "breached", "running"):
            assert int(cells[k]) == expected[key][k], (key, k)
        ratio = db[key]["on_time_ratio"]
        assert cells["ratio"] == ("—" if ratio is None else f"{ratio * 100:.1f}%")
    # yingji's statements: one on time (3 h), one late (6 h) → 50.0 %
    yingji = await _text(page, 'tr[data-department="yingji"][data-kind="statement"] [data-k="ratio"]')
    assert yingji == "50.0%"
    # names come from responders/, charts are inline SVG
    assert "云江市应急管理局" in await page.content()
    assert await page.locator("svg.chart").count() >= 4
    top = page.locator("tr[data-event]")
    assert await top.count() == 4
    peak_db = await pool.fetchval(
        "SELECT max(heat) FROM event_heat WHERE bucket_at >= $1 AND bucket_at < $2", DAY_START, DAY_END
    )
    peak_page = await top.first.locator('[data-k="peak"]').inner_text()
    assert float(peak_page) == pytest.approx(peak_db, abs=0.05)
    await page.close()


async def test_weekly_report_covers_monday_to_sunday(
    pool: asyncpg.Pool, responders: Responders, browser: Browser
) -> None:
    async with pool.acquire() as conn:
        await seed(conn)
    html = await period_report(pool, "week", T0.date().replace(day=4), NOW, responders, "html")
    page = await _open(browser, html, "report-weekly")
    assert "舆情周报（2026年06月01日—06月07日）" in await _text(page, "h1")
    assert await _text(page, '[data-total="incidents"]') == str(len(INCIDENTS))
    running = await _text(page, 'tr[data-department="shengtai"][data-kind="response"] [data-k="running"]')
    assert running == "1"
    await page.close()


async def test_incident_special_report(pool: asyncpg.Pool, responders: Responders, browser: Browser) -> None:
    async with pool.acquire() as conn:
        ids = (await seed(conn))["ids"]
    incident_id = ids["云江化工厂爆炸"]
    html = await incident_report(pool, incident_id, NOW, responders, "html")
    assert html is not None
    page = await _open(browser, html, "report-incident")
    assert "舆情专报：云江化工厂爆炸" in await _text(page, "h1")
    posts = await pool.fetchval(
        "SELECT count(*) FROM event_posts ep JOIN incidents i ON i.event_id = ep.event_id WHERE i.id = $1",
        incident_id,
    )
    assert await _text(page, '[data-total="posts"]') == str(posts) == "6"
    mean_negative = await pool.fetchval(
        "SELECT avg(a.negative) FROM post_analysis a JOIN event_posts ep ON ep.post_id = a.post_id "
        "JOIN incidents i ON i.event_id = ep.event_id WHERE i.id = $1",
        incident_id,
    )
    assert await _text(page, '[data-total="negative"]') == f"{mean_negative * 100:.1f}%"
    outcomes = {
        r["kind"]: r["outcome"]
        for r in await pool.fetch(
            "SELECT kind, outcome FROM clock_outcomes($1) WHERE incident_id = $2", NOW, incident_id
        )
    }
    assert outcomes == {"statement": "met", "press_conference": "late"}
    assert await _text(page, 'tr[data-clock="statement"] [data-k="outcome"]') == "按时"
    assert await _text(page, 'tr[data-clock="press_conference"] [data-k="outcome"]') == "超时办结"
    body = await page.locator("body").inner_text()
    for words in (
        "事件概况",
        "热度与声量",
        "信源与关键账号",
        "情感倾向",
        "法定时限",
        "处置情况",
        "云江市应急管理局（牵头）",
        "云江市生态环境局（协办）",
        "签收",
        "https://gov.example/notice/1",
    ):
        assert words in body, words
    assert await page.locator("svg.chart").count() >= 3
    await page.close()


async def test_hostile_titles_are_escaped_in_html_and_markdown(
    pool: asyncpg.Pool, responders: Responders, browser: Browser
) -> None:
    async with pool.acquire() as conn:
        ids = (await seed(conn))["ids"]
        incident_id = ids["工地夜间施工扰民"]
        await conn.execute(
            "UPDATE incidents SET title = $1 WHERE id = $2",
            '<script>document.title="pwned"</script><img src=x onerror=alert(1)>[点我](http://evil.example)',
            incident_id,
        )
    html = await incident_report(pool, incident_id, NOW, responders, "html")
    assert html is not None and "<script>document" not in html
    page = await _open(browser, html, "report-hostile")
    assert (await page.title()).startswith("舆情专报")
    assert "<script>" in await _text(page, "h1")  # shown as text
    assert await page.locator("img").count() == 0
    await page.close()
    md = await incident_report(pool, incident_id, NOW, responders, "md")
    assert md is not None
    assert "[点我](http://evil.example)" not in md
    assert r"\[点我\]\(http://evil\.example\)" in md


async def test_markdown_daily_report_has_the_same_numbers(pool: asyncpg.Pool, responders: Responders) -> None:
    async with pool.acquire() as conn:
        await seed(conn)
    md = await period_report(pool, "day", T0.date(), NOW, responders, "md")
    assert md.startswith("## 舆情日报（2026年06月01日）")
    assert "**本期新开事件 4 起**" in md
    assert "| 云江市应急管理局 | 发布权威信息 | 2 | 1 | 1 | 0 | 0 | 50.0% |" in md
    assert "| 云江市住房和城乡建设局 | 回应关切 | 2 | 1 | 0 | 1 | 0 | 50.0% |" in md


async def test_long_names_stay_inside_their_charts(browser: Browser) -> None:
    """Long event and department names are shortened to their room (full text as a tooltip): in Chromium,
    no label runs off its chart or into the next legend entry."""
    from zoneinfo import ZoneInfo

    from monitor.reports.svg import bar_chart, line_chart, stacked_bars

    long_event = "青石县临港化工园区一化工企业发生爆炸 已造成3人死亡"
    at = [datetime.fromisoformat(f"2026-06-01T0{h}:00+08:00") for h in range(3)]
    charts = [
        bar_chart("部门", [("云江市应急管理局 · 举行新闻发布会（市委宣传部牵头）", 3), ("水务局", 1)]),
        stacked_bars(
            "时效",
            [("云江市应急管理局 · 举行新闻发布会", [1, 2]), ("水务局 · 回应关切", [1, 0])],
            [("按时", "#27ae60"), ("超时", "#c0392b")],
        ),
        line_chart(
            "热点",
            [(f"{long_event} #{n}", [(t, float(n + i)) for i, t in enumerate(at)]) for n in range(5)],
            ZoneInfo("Asia/Shanghai"),
        ),
    ]
    page = await browser.new_page(viewport={"width": 1000, "height": 1000})
    await page.set_content("<!doctype html><meta charset=utf-8><body>" + "".join(charts) + "</body>")
    boxes = await page.locator("svg.chart").evaluate_all(
        """svgs => svgs.map(svg => ({
            width: svg.viewBox.baseVal.width,
            texts: [...svg.querySelectorAll('text')].map(t => {
                const b = t.getBBox();
                return {x: b.x, y: b.y, w: b.width, h: b.height, s: t.textContent};
            })}))"""
    )
    assert len(boxes) == 3
    for chart in boxes:
        for t in chart["texts"]:
            assert t["x"] >= -0.5 and t["x"] + t["w"] <= chart["width"] + 0.5, t
        for a in chart["texts"]:
            for b in chart["texts"]:
                if a is b or abs(a["y"] - b["y"]) > 1:
                    continue  # only labels on one line can collide
                assert a["x"] + a["w"] <= b["x"] + 0.5 or b["x"] + b["w"] <= a["x"] + 0.5, (a, b)
    legend = [t["s"] for t in boxes[2]["texts"] if "青石县" in t["s"]]
    assert len(legend) == 5 and all(s.endswith("…") for s in legend)  # shortened, tooltip kept
    assert await page.locator(f"svg.chart text title:text-is('{long_event} #0')").count() == 1
    await page.close()
