"""Incident page handlers: show one incident, and perform an action posted from its forms."""

from __future__ import annotations

from aiohttp import web

from monitor.web.access import ACTION_BY_SEGMENT
from monitor.web.api.common import incident_id
from monitor.web.api.incidents import incident_detail
from monitor.web.errors import ApiError
from monitor.web.html import Html
from monitor.web.inputs import parse_action
from monitor.web.keys import SERVICES
from monitor.web.middlewares import require_principal
from monitor.web.pages.common import checked_form, city_zone, csrf_token, html_page
from monitor.web.present import ACTION_LABELS
from monitor.web.queries.incidents import timeline
from monitor.web.service import authorise, perform_action, visible_incident
from monitor.web.timeline import timeline_json
from monitor.web.views.forms import actions_panel, form_body
from monitor.web.views.incident import incident_page
from monitor.web.views.layout import flash


def done_message(action: str | None) -> str | None:
    """The notice after a successful post-redirect-get (only known actions: the query string is untrusted)."""
    if action is None or action not in ACTION_LABELS:
        return None
    return f"已记录：{ACTION_LABELS[action]}"


async def render_incident(
    request: web.Request, target: int, notice: Html, *, status: int = 200
) -> web.Response:
    who = require_principal(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as conn:
        row = await visible_incident(conn, who, target)
        rows = await timeline(conn, row.id)
    loaded = await incident_detail(request, who, row)
    r = services.responders
    departments = [
        (d.id, d.display_name) for d in r.departments.values() if d.id != row.data["lead_department"]
    ]
    suggested = tuple(row.data.get("route_candidates") or ())
    panel = actions_panel(loaded.data["allowed_actions"], row.id, csrf_token(request), departments, suggested)
    entries = timeline_json(r, rows)
    now = services.clock.now()
    content = incident_page(loaded.data, loaded.clocks, entries, panel, notice, now, city_zone(request))
    return html_page(request, f"#{row.id} {row.data['title']}", content, status=status)


async def incident_handler(request: web.Request) -> web.Response:
    notice = flash("ok", done_message(request.query.get("done")))
    return await render_incident(request, incident_id(request), notice)


async def action_handler(request: web.Request) -> web.StreamResponse:
    """POST from an action form: on success redirect back (PRG); on refusal show the page with the reason."""
    who = require_principal(request)
    target = incident_id(request)
    action = ACTION_BY_SEGMENT.get(request.match_info["action"])
    if action is None:
        raise ApiError("not_found", "没有这个操作")
    form = await checked_form(request)
    services = request.app[SERVICES]
    try:
        await authorise(services, who, target, action)
        evidence = parse_action(
            action,
            form_body(action, form, city_zone(request)),
            departments=set(services.responders.departments),
            now=services.clock.now(),
        )
        await perform_action(services, who, target, action, evidence)
    except ApiError as err:
        if err.error in ("not_found", "not_your_department", "read_only"):
            raise
        return await render_incident(request, target, flash("error", err.message), status=err.status)
    if action == "reassign":  # the incident may now belong to another department entirely
        raise web.HTTPSeeOther("/")
    raise web.HTTPSeeOther(f"/incidents/{target}?done={action}#actions")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/incidents/{id}", incident_handler)
    app.router.add_post("/incidents/{id}/actions/{action}", action_handler)
