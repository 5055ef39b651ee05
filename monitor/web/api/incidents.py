"""GET handlers for incidents: the filtered list, one incident in full, and its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from monitor.config.responders import Responders
from monitor.web.access import Principal, allowed_actions, visibility
from monitor.web.api.common import incident_id, ok
from monitor.web.countdown import ClockView
from monitor.web.inputs import IncidentFilter, parse_filter
from monitor.web.keys import SERVICES, WEB_OPTIONS
from monitor.web.middlewares import require_principal
from monitor.web.present import incident_json, iso, reasons
from monitor.web.queries import evidence
from monitor.web.queries.clocks import clocks_for
from monitor.web.queries.incidents import IncidentRow, list_incidents, timeline
from monitor.web.service import visible_incident
from monitor.web.timeline import timeline_json


def region_and_descendants(r: Responders, region_id: str) -> list[str]:
    """A region filter covers the places inside it too (a district covers its 街道)."""
    return [rid for rid in r.regions if any(x.id == region_id for x in r.region_chain(rid))]


def filter_from(request: web.Request) -> IncidentFilter:
    r = request.app[SERVICES].responders
    return parse_filter(
        request.query,
        departments=set(r.departments),
        regions=set(r.regions),
        default_limit=request.app[WEB_OPTIONS].page_size,
    )


@dataclass(frozen=True)
class Loaded:
    """An incident as JSON-ready data, with its clocks for the pages' countdowns."""

    data: dict[str, Any]
    clocks: list[ClockView]


async def page_of_incidents(
    request: web.Request, who: Principal, f: IncidentFilter
) -> tuple[list[Loaded], int]:
    """The visible incidents matching `f`, with their clocks, and the total."""
    services = request.app[SERVICES]
    now = services.clock.now()
    regions = region_and_descendants(services.responders, f.region) if f.region else []
    async with services.pool.acquire() as conn:
        rows, total = await list_incidents(conn, f, visibility(who), regions, now)
        clocks = await clocks_for(conn, [row.id for row in rows])
    loaded = []
    for row in rows:
        own = clocks.get(row.id, [])
        loaded.append(Loaded(incident_json(services.responders, row, own, now), own))
    return loaded, total


async def list_handler(request: web.Request) -> web.Response:
    who = require_principal(request)
    f = filter_from(request)
    loaded, total = await page_of_incidents(request, who, f)
    items = [item.data for item in loaded]
    next_offset = f.offset + len(items) if f.offset + len(items) < total else None
    return ok(
        {"items": items, "total": total, "limit": f.limit, "offset": f.offset, "next_offset": next_offset}
    )


async def incident_detail(request: web.Request, who: Principal, row: IncidentRow) -> Loaded:
    """Everything the incident page and `GET /incidents/{id}` show."""
    services = request.app[SERVICES]
    now = services.clock.now()
    async with services.pool.acquire() as conn:
        clocks = (await clocks_for(conn, [row.id])).get(row.id, [])
        posts = await evidence.posts_for(conn, row.data)
        heat = await evidence.heat_for(conn, row.data)
        event = await evidence.event_now(conn, row.data)
    out = incident_json(services.responders, row, clocks, now)
    kinds = frozenset(c.kind for c in clocks)
    out.update(
        {
            "grade_reasons": reasons(row.data["grade_reasons"]),
            "route_reasons": reasons(row.data["route_reasons"]),
            "statement_at": iso(row.data["statement_at"]),
            "statement_url": row.data["statement_url"],
            "press_conference_at": iso(row.data["press_conference_at"]),
            "responded_at": iso(row.data["responded_at"]),
            "resolved_at": iso(row.data["resolved_at"]),
            "resolved_reason": row.data["resolved_reason"],
            "posts": posts,
            "heat": heat,
            "event": event,
            "allowed_actions": allowed_actions(who, row.scope(), kinds),
        }
    )
    return Loaded(out, clocks)


async def detail_handler(request: web.Request) -> web.Response:
    who = require_principal(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as conn:
        row = await visible_incident(conn, who, incident_id(request))
    return ok((await incident_detail(request, who, row)).data)


async def timeline_handler(request: web.Request) -> web.Response:
    who = require_principal(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as conn:
        row = await visible_incident(conn, who, incident_id(request))
        rows = await timeline(conn, row.id)
    return ok({"incident_id": row.id, "items": timeline_json(services.responders, rows)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/incidents", list_handler)
    app.router.add_get("/api/v1/incidents/{id}", detail_handler)
    app.router.add_get("/api/v1/incidents/{id}/timeline", timeline_handler)
