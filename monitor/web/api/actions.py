"""POST handlers for incident actions: one path per action, each mapped to `record_action` as the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from monitor.web.access import ACTION_BY_SEGMENT
from monitor.web.api.common import incident_id, json_body, ok
from monitor.web.errors import ApiError
from monitor.web.inputs import parse_action
from monitor.web.keys import SERVICES, SESSION
from monitor.web.middlewares import check_csrf, require_principal
from monitor.web.service import authorise, perform_action

MAX_IDEMPOTENCY_KEY = 200


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ApiError("bad_request", f"Idempotency-Key 应为 1–{MAX_IDEMPOTENCY_KEY} 个可打印字符")
    return key


def action_handler(action: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        who = require_principal(request)
        if SESSION in request:  # the console's own scripts calling the API with the session cookie
            check_csrf(request, request.headers.get("X-CSRF-Token"))
        services = request.app[SERVICES]
        target = incident_id(request)
        key = idempotency_key(request)
        await authorise(services, who, target, action)  # refuse before looking at the body
        body = await json_body(request)
        evidence = parse_action(
            action, body, departments=set(services.responders.departments), now=services.clock.now()
        )
        return ok(await perform_action(services, who, target, action, evidence, key))

    handle.__name__ = f"{action}_handler"
    return handle


def add_routes(app: web.Application) -> None:
    for segment, action in ACTION_BY_SEGMENT.items():
        app.router.add_post(f"/api/v1/incidents/{{id}}/{segment}", action_handler(action))
