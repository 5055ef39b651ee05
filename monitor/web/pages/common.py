"""Response helpers for console pages: the shell around content, the session's CSRF token, form checks."""

from __future__ import annotations

from datetime import tzinfo

from aiohttp import web

from monitor.reports.build import city_timezone
from monitor.web.access import Principal
from monitor.web.countdown import CRITICAL_LEFT, WARNING_LEFT
from monitor.web.errors import ApiError
from monitor.web.html import Html, attrs
from monitor.web.keys import PRINCIPAL, SERVICES, SESSION
from monitor.web.middlewares import check_csrf, require_principal
from monitor.web.views.layout import page


def signed_in(request: web.Request) -> Principal:
    """The person, or 401 (which the error middleware turns into a redirect to the login page)."""
    return require_principal(request)


def city_zone(request: web.Request) -> tzinfo:
    """The city's time zone (policy `timezone`) for wall times shown and typed in, from the responders the
    running service loaded (a SIGHUP reload restarts the service with the new files)."""
    return city_timezone(request.app[SERVICES].responders)


def csrf_token(request: web.Request) -> str:
    session = request.get(SESSION)
    return session.csrf_token if session is not None else ""


def html_page(request: web.Request, title: str, content: Html, *, status: int = 200) -> web.Response:
    """The full page; the body carries the server's clock, its speed and the thresholds, so countdowns
    in the browser run as the server's do (also under the demo's accelerated clock)."""
    services = request.app[SERVICES]
    body_attrs = attrs(
        {
            "data-server-now": services.clock.now().isoformat(),
            "data-clock-speed": services.clock.speed,
            "data-warning-left": WARNING_LEFT,
            "data-critical-left": CRITICAL_LEFT,
        }
    )
    text = page(title, content, request.get(PRINCIPAL), csrf=csrf_token(request), body_attrs=body_attrs)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


async def checked_form(request: web.Request) -> dict[str, str]:
    """The posted form, after its CSRF token matched the session's (a form post always needs a session)."""
    form = await request.post()
    supplied = form.get("_csrf")
    if SESSION not in request:
        raise ApiError("csrf_failed", "请先登录后再提交表单")
    check_csrf(request, supplied if isinstance(supplied, str) else None)
    return {k: v for k, v in form.items() if isinstance(v, str)}
