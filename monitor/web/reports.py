"""Console downloads of the reports: /reports/daily, /reports/weekly and /reports/incident/{id}."""

from __future__ import annotations

from aiohttp import web

from monitor.reports.build import Format, incident_report, period_report, today
from monitor.reports.html import REPORT_CSP
from monitor.reports.period import PeriodKind
from monitor.web.access import Principal, visibility
from monitor.web.api.common import incident_id as path_incident_id
from monitor.web.errors import ApiError
from monitor.web.inputs import parse_day
from monitor.web.keys import SERVICES
from monitor.web.pages.common import signed_in
from monitor.web.service import visible_incident

# Period reports list every department's incidents: for those who see the whole city in the console, and
# for the leaders and the press office they are written for.
_REPORT_READERS = frozenset({"leader", "press_office"})


def _format(request: web.Request) -> Format:
    value = request.query.get("format", "html")
    if value not in ("html", "md"):
        raise ApiError("invalid_input", "format 只能是 html 或 md")
    return "html" if value == "html" else "md"


def _respond(text: str, fmt: Format, filename: str, download: bool) -> web.Response:
    resp = web.Response(
        text=text, content_type="text/html" if fmt == "html" else "text/markdown", charset="utf-8"
    )
    resp.headers["Content-Security-Policy"] = REPORT_CSP
    disposition = "attachment" if download else "inline"
    resp.headers["Content-Disposition"] = f'{disposition}; filename="{filename}.{fmt}"'
    return resp


def _may_see_city(principal: Principal) -> None:
    seen = visibility(principal)
    if seen.everything or (principal.sees_by_region and principal.covers_city):
        return
    if principal.role in _REPORT_READERS:
        return
    raise ApiError(
        "not_your_department", "日报、周报汇总全市事件，仅限全市值班员、领导和新闻办查看；请查看本部门专报"
    )


async def _period(request: web.Request, kind: PeriodKind) -> web.Response:
    _may_see_city(signed_in(request))
    services = request.app[SERVICES]
    now = services.clock.now()
    raw = request.query.get("date")
    try:
        day = parse_day(raw, "date") if raw else today(now, services.responders)
    except ApiError as err:  # this page has always answered a bad `date` with 422
        raise ApiError("invalid_input", err.message, field="date") from None
    fmt = _format(request)
    text = await period_report(services.pool, kind, day, now, services.responders, fmt)
    name = f"yuqing-{'daily' if kind == 'day' else 'weekly'}-{day.isoformat()}"
    return _respond(text, fmt, name, "download" in request.query)


async def daily(request: web.Request) -> web.Response:
    return await _period(request, "day")


async def weekly(request: web.Request) -> web.Response:
    return await _period(request, "week")


async def incident(request: web.Request) -> web.Response:
    principal = signed_in(request)
    services = request.app[SERVICES]
    incident_id = path_incident_id(request)
    async with services.pool.acquire() as conn:
        await visible_incident(conn, principal, incident_id)  # 404 / 403 for other departments' incidents
    fmt = _format(request)
    text = await incident_report(services.pool, incident_id, services.clock.now(), services.responders, fmt)
    if text is None:
        raise ApiError("not_found", f"事件 {incident_id} 不存在")
    return _respond(text, fmt, f"yuqing-incident-{incident_id}", "download" in request.query)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/reports/daily", daily)
    app.router.add_get("/reports/weekly", weekly)
    app.router.add_get("/reports/incident/{id:\\d+}", incident)
