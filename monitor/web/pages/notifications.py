"""Notifications page handler: the outbox as people see it (demo capture included)."""

from __future__ import annotations

from aiohttp import web

from monitor.web.keys import SERVICES
from monitor.web.pages.common import city_zone, html_page, signed_in
from monitor.web.present import department_name, person_name
from monitor.web.queries.notifications import recent_notifications
from monitor.web.views.notifications import notifications_page


async def notifications_handler(request: web.Request) -> web.Response:
    principal = signed_in(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as conn:
        items = await recent_notifications(conn, principal)
    r = services.responders
    names = (lambda p: person_name(r, p), lambda d: department_name(r, d))
    return html_page(request, "通知记录", notifications_page(items, names, city_zone(request)))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/notifications", notifications_handler)
