"""Request middlewares: security headers, errors in the API's shape, and who is signed in."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from monitor.db.pool import is_unavailable
from monitor.web import auth
from monitor.web.access import Principal, principal_for
from monitor.web.errors import ApiError, error_for_http
from monitor.web.keys import PRINCIPAL, SERVICES, SESSION
from monitor.web.security import SESSION_COOKIE, is_https, security_headers
from monitor.web.views.layout import error_page

log = logging.getLogger(__name__)
DB_RETRY_AFTER_S = 10  # what a caller (the 12345 platform) is told to wait while PostgreSQL is away
# Paths that never use a person's credentials (the 12345 intake checks its own token or signature).
_ANONYMOUS_PREFIXES = (
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/openapi.json",
    "/api/v1/intake/",
)


def request_is_https(request: web.Request) -> bool:
    services = request.app[SERVICES]
    return is_https(request.secure, request.headers.get("X-Forwarded-Proto"), services.settings.public_url)


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


@web.middleware
async def security_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every response, errors and redirects included, carries the security headers."""
    headers = security_headers(https=request_is_https(request), static=request.path.startswith("/static/"))
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        for name, value in headers.items():
            exc.headers.setdefault(name, value)
        raise
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def _error_response(request: web.Request, err: ApiError) -> web.StreamResponse:
    if is_api(request):
        response = web.json_response(err.body(), status=err.status)
        if err.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="yuqing"'
        return response
    if err.status == 401 and request.method == "GET":
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
    principal = request.get(PRINCIPAL)
    return web.Response(
        text=error_page(err.status, err.message, principal), status=err.status, content_type="text/html"
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """ApiError and aiohttp's own errors become machine-readable JSON under /api, pages elsewhere."""
    try:
        return await handler(request)
    except ApiError as err:
        return _error_response(request, err)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if is_api(request) or exc.status != 404:
            return _error_response(request, error_for_http(exc))
        return _error_response(request, ApiError("not_found", "页面不存在"))
    except Exception as exc:
        if is_unavailable(exc):  # not a bug: say so in one line, and tell the caller when to come back
            log.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
            response = _error_response(request, ApiError("unavailable", "数据库暂时不可用，请稍后重试"))
            response.headers["Retry-After"] = str(DB_RETRY_AFTER_S)
            return response
        log.exception("unhandled error in %s %s", request.method, request.path)
        return _error_response(request, ApiError("internal", "服务器内部错误，请稍后重试"))


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the principal for a valid Bearer token or session cookie; handlers decide if one is needed."""
    if not request.path.startswith(_ANONYMOUS_PREFIXES):
        services = request.app[SERVICES]
        now = services.clock.now()
        token = auth.bearer_token(request.headers.get("Authorization"))
        cookie = request.cookies.get(SESSION_COOKIE)
        person_id: str | None = None
        async with services.pool.acquire() as conn:
            if token is not None:
                owner = await auth.token_owner(conn, token, now)
                person_id = owner[1] if owner else None
            elif cookie:
                session = await auth.session_for(conn, cookie, now)
                if session is not None:
                    request[SESSION] = session
                    person_id = session.person_id
        if person_id is not None:
            principal = principal_for(services.responders, person_id)
            if principal is not None:
                request[PRINCIPAL] = principal
    return await handler(request)


def require_principal(request: web.Request) -> Principal:
    """The signed-in person; 401 otherwise (a console page turns that into a redirect to the login form)."""
    principal: Principal | None = request.get(PRINCIPAL)
    if principal is None:
        raise ApiError("unauthenticated", "请先登录或提供有效的 API 令牌")
    return principal


def check_csrf(request: web.Request, supplied: str | None) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token (Bearer clients are exempt)."""
    session = request.get(SESSION)
    if session is None:
        return
    if not supplied or not auth.same_secret(supplied, session.csrf_token):
        raise ApiError("csrf_failed", "表单已过期或来源不可信，请刷新页面后重试")
