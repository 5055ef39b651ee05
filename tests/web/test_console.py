"""The console over HTTP: login, cookies, CSRF, rate limit, headers, pages and form actions."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from monitor.clock import SHANGHAI
from monitor.web.views.parts import local_time
from tests.web.conftest import bearer
from tests.web.factory import ensure_source, event_with_posts, open_incident

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in form"
    return match.group(1)


async def login(client, token, headers=None):
    """Log in through the form as a browser would; returns the POST response."""
    page = await client.get("/login")
    csrf = form_value(await page.text(), "_csrf")
    return await client.post(
        "/login", data={"token": token, "_csrf": csrf, "next": "/"}, allow_redirects=False, headers=headers
    )


@pytest.fixture
async def gas(pool, responders, clock):
    event = await event_with_posts(
        pool, clock.now(), [{"text": HOSTILE, "author": HOSTILE, "title": HOSTILE}]
    )
    return await open_incident(
        pool, responders, clock.now(), title="燃气<b>泄漏</b>", grade=2, event_id=event
    )


async def test_pages_redirect_to_login_when_signed_out(client):
    for path in ("/", "/incidents/1", "/sources", "/department"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"].startswith("/login?next=")


async def test_login_sets_a_hardened_session_cookie(client, token_for, pool):
    response = await login(client, await token_for("zhujian.head"))
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = next(v for v in response.headers.getall("Set-Cookie") if v.startswith("yq_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    value = cookie.split(";")[0].split("=", 1)[1]
    stored = await pool.fetchval("SELECT session_hash FROM web_sessions")
    assert value not in stored and len(stored) == 64  # only the hash is stored
    board = await client.get("/")
    assert board.status == 200 and "值班看板" in await board.text()


async def test_cookie_is_secure_behind_https(client, token_for):
    response = await login(client, await token_for("zhujian.head"), headers={"X-Forwarded-Proto": "https"})
    cookie = next(v for v in response.headers.getall("Set-Cookie") if v.startswith("yq_session="))
    assert "Secure" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_login_needs_the_form_csrf_token(client, token_for):
    await client.get("/login")
    response = await client.post("/login", data={"token": await token_for("zhujian.head"), "_csrf": "forged"})
    assert response.status == 403
    assert "登录表单已过期" in await response.text()


async def test_bad_token_and_rate_limit(client, token_for):
    for _ in range(5):  # the fixture allows 5 failures per window
        response = await login(client, "yq_wrong")
        assert response.status == 401
        assert "令牌无效" in await response.text()
    response = await login(client, await token_for("zhujian.head"))
    assert response.status == 429
    assert "登录失败次数过多" in await response.text()


async def test_rate_limit_window_passes_with_the_clock(client, token_for, clock):
    for _ in range(5):
        await login(client, "yq_wrong")
    clock.advance(minutes=16)
    assert (await login(client, await token_for("zhujian.head"))).status == 303


async def test_next_cannot_redirect_off_site(client, token_for):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/incidents/1"):
        client.session.cookie_jar.clear()
        csrf = form_value(await (await client.get("/login")).text(), "_csrf")
        response = await client.post(
            "/login",
            data={"token": await token_for("zhujian.head"), "_csrf": csrf, "next": target},
            allow_redirects=False,
        )
        assert response.headers["Location"] == ("/incidents/1" if target == "/incidents/1" else "/"), target


async def test_logout_ends_the_session(client, token_for, pool):
    await login(client, await token_for("zhujian.head"))
    board = await client.get("/")
    csrf = form_value(await board.text(), "_csrf")
    assert (await client.post("/logout", data={"_csrf": "forged"})).status == 403
    response = await client.post("/logout", data={"_csrf": csrf}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert await pool.fetchval("SELECT count(*) FROM web_sessions WHERE revoked_at IS NOT NULL") == 1
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_security_headers_everywhere(client, token_for):
    token = await token_for("zhujian.head")
    for path, headers in (
        ("/login", {}),
        ("/api/v1/whoami", bearer(token)),
        ("/nope", {}),
        ("/static/app.js", {}),
    ):
        response = await client.get(path, headers=headers, allow_redirects=False)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


class ScriptAudit(HTMLParser):
    """What in a page could run script: script tags, on* handlers, javascript: URLs, inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.risky: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs).get("src"))
        for name, value in attrs:
            if (
                name.startswith("on")
                or name == "style"
                or (value or "").strip().lower().startswith("javascript:")
            ):
                self.risky.append(f"<{tag} {name}={value!r}>")


async def test_pages_have_no_inline_script(client, token_for, gas):
    token = await token_for("zhujian.head")
    for path in ("/", f"/incidents/{gas}", "/department", "/sources", "/login"):
        response = await client.get(path, headers=bearer(token))
        assert response.status == 200, path
        audit = ScriptAudit()
        audit.feed(await response.text())
        assert audit.scripts == ["/static/app.js"], path
        assert audit.risky == [], path


async def test_incident_page_escapes_hostile_post_text(client, token_for, gas):
    html = await (
        await client.get(f"/incidents/{gas}", headers=bearer(await token_for("zhujian.head")))
    ).text()
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>泄漏</b>" not in html
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
        in html
    )
    assert "燃气&lt;b&gt;泄漏&lt;/b&gt;" in html


async def test_incident_page_folds_repeated_pages_and_the_api_keeps_them(client, token_for, gas, pool, clock):
    """Two rounds of one escalation step paging two people: one line on the page, four entries in the API."""
    rows = [
        (minutes, "escalation", {"targets": [f"person:{who}"], "step": 1})
        for minutes in (20, 40)
        for who in ("zhujian.head", "zhujian.leader")
    ]
    for minutes, kind, detail in rows:
        await pool.execute(
            "INSERT INTO timeline (incident_id, at, actor, kind, detail) VALUES ($1, $2, 'system', $3, $4)",
            gas,
            clock.now() + timedelta(minutes=minutes),
            kind,
            detail,
        )
    headers = bearer(await token_for("zhujian.head"))
    html = await (await client.get(f"/incidents/{gas}", headers=headers)).text()
    timeline = html[html.index('id="timeline"') :]
    pages = re.findall(
        r'呼叫责任人</span><span class="note">([^<]*)</span><span class="repeats">([^<]*)', timeline
    )
    assert pages == [
        (
            "通知 高磊、宋勇",
            "共 2 次，最近一次 "
            + local_time(clock.now() + timedelta(minutes=40), SHANGHAI, "%m-%d %H:%M:%S"),
        )
    ]
    api = await (await client.get(f"/api/v1/incidents/{gas}/timeline", headers=headers)).json()
    items = api if isinstance(api, list) else api["items"]
    stored = "SELECT count(*) FROM timeline WHERE incident_id = $1 AND kind = 'escalation'"
    assert sum(1 for e in items if e["kind"] == "escalation") == await pool.fetchval(stored, gas) >= 4


async def test_incident_page_shows_the_event_now_beside_the_snapshot_taken_at_opening(
    client, token_for, gas, pool
):
    await pool.execute("UPDATE incidents SET summary = '1条 · 微博 · 热度3 · 负面34%' WHERE id = $1", gas)
    await pool.execute(
        "UPDATE events SET post_count = 7, channels = '{weibo,news}', heat = 54.4, negative_share = 0.625"
        " WHERE id = (SELECT event_id FROM incidents WHERE id = $1)",
        gas,
    )
    headers = bearer(await token_for("zhujian.head"))
    html = await (await client.get(f"/incidents/{gas}", headers=headers)).text()
    assert '<span class="now">现 7条 · 新闻、微博 · 热度54 · 负面62%</span>' in html
    assert "（立案时 1条 · 微博 · 热度3 · 负面34%）" in html
    detail = await (await client.get(f"/api/v1/incidents/{gas}", headers=headers)).json()
    assert detail["event"]["posts"] == 7 and sorted(detail["event"]["channels"]) == ["news", "weibo"]
    assert detail["summary"] == "1条 · 微博 · 热度3 · 负面34%"


async def test_incident_page_shows_buttons_allowed_to_the_person(client, token_for, gas):
    head = await (
        await client.get(f"/incidents/{gas}", headers=bearer(await token_for("zhujian.head")))
    ).text()
    assert 'data-action="ack"' in head and 'data-action="resolve"' in head
    observer = await client.get(f"/incidents/{gas}", headers=bearer(await token_for("zhengfuban.observer")))
    text = await observer.text()
    assert "data-action=" not in text and "没有可执行的操作" in text
    other = await client.get(f"/incidents/{gas}", headers=bearer(await token_for("shuiwu.head")))
    assert other.status == 403 and "不属于本部门" in await other.text()


async def test_form_actions_need_a_session_csrf_token(client, token_for, gas, pool):
    await login(client, await token_for("zhujian.head"))
    page = await (await client.get(f"/incidents/{gas}")).text()
    csrf = form_value(page, "_csrf")
    forged = await client.post(f"/incidents/{gas}/actions/ack", data={"_csrf": "forged"})
    assert forged.status == 403
    response = await client.post(f"/incidents/{gas}/actions/ack", data={"_csrf": csrf}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == f"/incidents/{gas}?done=ack#actions"
    done = await (await client.get(response.headers["Location"])).text()
    assert "已记录：确认接报" in done
    assert await pool.fetchval("SELECT actor FROM timeline WHERE kind = 'ack'") == "zhujian.head"


async def test_form_refusals_are_shown_on_the_page(client, token_for, gas):
    await login(client, await token_for("zhujian.head"))
    csrf = form_value(await (await client.get(f"/incidents/{gas}")).text(), "_csrf")
    response = await client.post(
        f"/incidents/{gas}/actions/statement", data={"_csrf": csrf, "url": "ftp://x"}
    )
    assert response.status == 422
    assert "url 必须是 http(s)" in await response.text()
    held = {"_csrf": csrf, "held_at": "2026-06-01T07:30", "place": "发布厅"}
    response = await client.post(f"/incidents/{gas}/actions/press-conference", data=held)
    assert response.status == 422 and "缺少必填项" in await response.text()
    held["record"] = "发布会实录"
    response = await client.post(
        f"/incidents/{gas}/actions/press-conference", data=held, allow_redirects=False
    )
    assert response.status == 303


async def test_the_duty_officer_adds_a_supporting_department_from_the_page(client, token_for, gas, pool):
    # routing named 水务局 without paging it (帖文提及：停水): the forms offer it first
    await pool.execute("UPDATE incidents SET route_candidates = '{shuiwu,nosuch}' WHERE id = $1", gas)
    await login(client, await token_for("zhengfuban.duty"))
    page = await (await client.get(f"/incidents/{gas}")).text()
    assert 'data-action="add_support"' in page and "加派部门" in page
    form_html = page[page.index('data-action="add_support"') :]
    offered = re.findall(r'<option value="([^"]*)"', form_html[: form_html.index("</select>")])
    assert offered[:2] == ["", "shuiwu"] and offered.count("shuiwu") == 1 and "nosuch" not in offered
    assert '<optgroup label="路由提及（未通知）">' in form_html and len(offered) > 10
    form = {"_csrf": form_value(page, "_csrf"), "department": "shuiwu", "reason": "波及供水管网"}
    response = await client.post(f"/incidents/{gas}/actions/add-support", data=form, allow_redirects=False)
    assert response.status == 303
    done = await (await client.get(response.headers["Location"])).text()
    assert "已记录：加派协办" in done and "协办 水务局；波及供水管网" in done and "波及供水管网" in done
    assert (
        await pool.fetchval(
            "SELECT role FROM incident_departments WHERE incident_id = $1 AND department_id = 'shuiwu'", gas
        )
        == "support"
    )


async def test_board_cards_name_each_other_department_by_its_role(client, token_for, gas, pool):
    for dept, role in (("gongan", "support"), ("zhengfuban", "coordinator"), ("shuiwu", "informed")):
        await pool.execute(
            "INSERT INTO incident_departments (incident_id, department_id, role, added_at)"
            " VALUES ($1, $2, $3, now())",
            gas,
            dept,
            role,
        )
    board = await (await client.get("/", headers=bearer(await token_for("zhengfuban.duty")))).text()
    assert "<span>协办：公安局</span>" in board and "<span>统筹：市政府办公室</span>" in board
    assert "<span>知会：水务局</span>" in board  # a former lead, informed, is not called a helper


async def test_a_card_the_duty_desk_leads_for_want_of_a_claim_says_whom_to_reassign_to(
    client, token_for, pool, responders, clock
):
    desk = await open_incident(
        pool, responders, clock.now(), title="儿童流落街头", grade=3, lead="zhengfuban", region="jiangbei"
    )
    led = await open_incident(
        pool, responders, clock.now(), title="停水", grade=4, lead="shuiwu", region="jiangbei"
    )
    for incident in (desk, led):
        await pool.execute("UPDATE incidents SET route_candidates = '{minzheng}' WHERE id = $1", incident)
    board = await (await client.get("/", headers=bearer(await token_for("zhengfuban.duty")))).text()
    assert board.count('<span class="suggested">可改派：民政局</span>') == 1  # only where the desk leads
    card = board[board.index(f'data-incident-id="{desk}"') :]
    assert card.index("可改派：民政局") < card.index("</article>")


async def test_board_and_rows_fragment(client, token_for, gas, pool, responders, clock):
    await open_incident(
        pool, responders, clock.now(), title="停水", grade=4, lead="shuiwu", region="jiangbei"
    )
    token = await token_for("zhengfuban.duty")
    board = await (await client.get("/", headers=bearer(token))).text()
    assert 'data-rows-url="/board/rows"' in board and "停水" in board and "燃气" in board
    rows = await (
        await client.get("/board/rows", headers=bearer(token), params={"region": "jiangbei"})
    ).text()
    assert "停水" in rows and "燃气" not in rows and 'data-total="1"' in rows
    bad = await client.get("/board/rows", headers=bearer(token), params={"department": "nope"})
    assert bad.status == 400


async def test_department_page_and_on_time_record(client, token_for, gas):
    token = await token_for("zhujian.head")
    await client.post(
        f"/api/v1/incidents/{gas}/statement", headers=bearer(token), json={"url": "https://yunjiang.gov.cn/1"}
    )
    response = await client.get("/department", headers=bearer(token))
    html = await response.text()
    assert response.status == 200 and "住建局" in html and "按时率" in html
    assert re.search(r"<th scope=\"row\">发布权威信息</th><td>1</td><td>1</td>", html)
    other = await client.get("/departments/shuiwu", headers=bearer(token))
    assert other.status == 403
    assert (
        await client.get("/departments/shuiwu", headers=bearer(await token_for("zhengfuban.duty")))
    ).status == 200


async def test_sources_page(client, token_for, pool, clock):
    async with pool.acquire() as conn:
        await ensure_source(conn, "weibo-blocked", clock.now(), kind="weibo", name=HOSTILE, state="blocked",
                            last_error="HTTP 432 <login wall>")  # fmt: skip
    html = await (await client.get("/sources", headers=bearer(await token_for("zhengfuban.observer")))).text()
    assert "被拦截" in html and "HTTP 432 &lt;login wall&gt;" in html and "<script>alert" not in html


async def test_old_login_records_and_sessions_are_pruned(client, token_for, pool, clock):
    await login(client, "yq_wrong")
    await login(client, await token_for("zhujian.head"))
    assert await pool.fetchval("SELECT count(*) FROM login_attempts") == 2
    clock.advance(days=20)  # the session (12 h) and the attempts are long gone
    client.session.cookie_jar.clear()
    await login(client, await token_for("zhujian.head"))
    assert await pool.fetchval("SELECT count(*) FROM login_attempts") == 1
    assert await pool.fetchval("SELECT count(*) FROM web_sessions") == 1
