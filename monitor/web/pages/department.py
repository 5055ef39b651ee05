"""Department view handlers: a department's incidents and its on-time record."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from monitor.config.responders import Responders
from monitor.web.access import Principal
from monitor.web.api.incidents import page_of_incidents
from monitor.web.errors import ApiError
from monitor.web.inputs import MAX_LIMIT, IncidentFilter
from monitor.web.keys import SERVICES
from monitor.web.middlewares import require_principal
from monitor.web.pages.common import city_zone, html_page
from monitor.web.queries.departments import on_time_record
from monitor.web.views.department import department_page

RECORD_DAYS = 30


def can_view_department(p: Principal, r: Responders, department_id: str) -> bool:
    """Admins: all; duty officers and observers: those in their jurisdiction; others: their own."""
    if p.role == "admin" or p.department_id == department_id:
        return True
    dept = r.departments.get(department_id)
    return dept is not None and p.sees_by_region and all(region in p.jurisdiction for region in dept.regions)


async def own_department_handler(request: web.Request) -> web.Response:
    who = require_principal(request)
    raise web.HTTPSeeOther(f"/departments/{who.department_id}")


async def department_handler(request: web.Request) -> web.Response:
    who = require_principal(request)
    services = request.app[SERVICES]
    r = services.responders
    department_id = request.match_info["id"]
    dept = r.departments.get(department_id)
    if dept is None:
        raise ApiError("not_found", "没有这个部门")
    if not can_view_department(who, r, department_id):
        raise ApiError("not_your_department", "只能查看本部门的情况")
    now = services.clock.now()
    async with services.pool.acquire() as conn:
        record = await on_time_record(conn, department_id, now - timedelta(days=RECORD_DAYS), now)
    loaded, _total = await page_of_incidents(
        request, who, IncidentFilter(department=department_id, limit=MAX_LIMIT)
    )
    content = department_page(
        dept.display_name, RECORD_DAYS, record, [(i.data, i.clocks) for i in loaded], now, city_zone(request)
    )
    return html_page(request, dept.display_name, content)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/department", own_department_handler)
    app.router.add_get("/departments/{id}", department_handler)
