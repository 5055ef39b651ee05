"""Login and logout: a token is exchanged for a session cookie, with CSRF and a database-backed rate limit."""

from __future__ import annotations

import secrets

from aiohttp import web

from monitor.web import auth
from monitor.web.access import principal_for
from monitor.web.errors import ApiError
from monitor.web.keys import PRINCIPAL, SERVICES, SESSION, WEB_OPTIONS
from monitor.web.middlewares import request_is_https
from monitor.web.pages.common import checked_form, html_page
from monitor.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, see_other, set_secure_cookie
from monitor.web.views.login import login_form


def safe_next(value: str | None) -> str:
    """Only a path on this site may follow a login (no open redirect to `//evil` or `https://evil`)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value:
        return "/"
    if any(ord(c) < 32 for c in value):
        return "/"
    return value


def _login_page(
    request: web.Request, csrf: str, next_path: str, error: str | None, status: int
) -> web.Response:
    response = html_page(request, "登录", login_form(csrf, next_path, error), status=status)
    set_secure_cookie(response, LOGIN_CSRF_COOKIE, csrf, https=request_is_https(request), max_age=3600)
    return response


async def login_get(request: web.Request) -> web.Response:
    next_path = safe_next(request.query.get("next"))
    if PRINCIPAL in request:
        raise web.HTTPSeeOther(next_path)
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    return _login_page(request, csrf, next_path, None, 200)


async def login_post(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    form = await request.post()
    next_path = safe_next(str(form.get("next") or "/"))
    cookie_csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    supplied = str(form.get("_csrf") or "")
    if not cookie_csrf or not auth.same_secret(cookie_csrf, supplied):
        raise ApiError("csrf_failed", "登录表单已过期，请刷新页面后重试")
    token = str(form.get("token") or "").strip()
    remote = request.remote or "unknown"
    now = services.clock.now()
    async with services.pool.acquire() as conn:
        failures = await auth.recent_login_failures(conn, remote, now)
        if auth.login_blocked(failures, request.app[WEB_OPTIONS].login_max_failures):
            return _login_page(request, cookie_csrf, next_path, "登录失败次数过多，请 15 分钟后再试。", 429)
        owner = await auth.token_owner(conn, token, now) if token else None
        principal = principal_for(services.responders, owner[1]) if owner else None
        await auth.record_login_attempt(conn, remote, now, ok=principal is not None)
        await auth.prune(conn, now)
        if owner is None or principal is None:
            return _login_page(request, cookie_csrf, next_path, "令牌无效、已过期或已吊销。", 401)
        expires = await auth.token_expiry(conn, owner[0])
        cookie, session = await auth.create_session(conn, principal.person_id, owner[0], now, expires)
    response = see_other(next_path)
    max_age = max(1, int((session.expires_at - now).total_seconds()))
    set_secure_cookie(response, SESSION_COOKIE, cookie, https=request_is_https(request), max_age=max_age)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


async def logout_post(request: web.Request) -> web.Response:
    session = request.get(SESSION)
    if session is not None:
        await checked_form(request)
        services = request.app[SERVICES]
        async with services.pool.acquire() as conn:
            await auth.end_session(conn, session.id, services.clock.now())
    response = see_other("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_get)
    app.router.add_post("/login", login_post)
    app.router.add_post("/logout", logout_post)
