"""Duty board handlers: the page, and the fragment its script polls so new incidents appear without reload."""

from __future__ import annotations

from aiohttp import web

from monitor.web.api.incidents import page_of_incidents
from monitor.web.errors import ApiError
from monitor.web.html import Html
from monitor.web.inputs import ACTIVE_STATES, MAX_LIMIT, IncidentFilter
from monitor.web.keys import SERVICES, WEB_OPTIONS
from monitor.web.middlewares import require_principal
from monitor.web.pages.common import city_zone, html_page
from monitor.web.views.board import board_page, board_rows


def board_filter(request: web.Request) -> IncidentFilter:
    """The board shows every active incident, optionally for one department and/or region."""
    r = request.app[SERVICES].responders
    department = request.query.get("department") or None
    region = request.query.get("region") or None
    if department is not None and department not in r.departments:
        raise ApiError("bad_request", f"未知部门 {department}")
    if region is not None and region not in r.regions:
        raise ApiError("bad_request", f"未知地区 {region}")
    return IncidentFilter(states=ACTIVE_STATES, department=department, region=region, limit=MAX_LIMIT)


async def _rows(request: web.Request) -> Html:
    who = require_principal(request)
    f = board_filter(request)
    loaded, total = await page_of_incidents(request, who, f)
    now = request.app[SERVICES].clock.now()
    return board_rows([(item.data, item.clocks) for item in loaded], total, now, city_zone(request))


async def board_handler(request: web.Request) -> web.Response:
    rows = await _rows(request)
    r = request.app[SERVICES].responders
    departments = [
        (d.id, d.display_name) for d in sorted(r.departments.values(), key=lambda d: (d.level, d.id))
    ]
    regions = [(reg.id, reg.name) for reg in r.regions.values()]
    content = board_page(
        rows,
        department=request.query.get("department") or None,
        region=request.query.get("region") or None,
        departments=departments,
        regions=regions,
        refresh_s=request.app[WEB_OPTIONS].board_refresh_s,
    )
    return html_page(request, "值班看板", content)


async def rows_handler(request: web.Request) -> web.Response:
    return web.Response(text=await _rows(request), content_type="text/html", charset="utf-8")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", board_handler)
    app.router.add_get("/board/rows", rows_handler)
