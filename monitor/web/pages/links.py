"""One-click links from chat: GET shows a confirmation page (changes nothing); POST acts as that person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from monitor.links import PATH_PREFIX, LinkClaims, LinkError, LinkSigner, load_link_secret
from monitor.web import auth
from monitor.web.access import ACTIONS, Principal, can_view, permitted, principal_for
from monitor.web.errors import ApiError
from monitor.web.keys import LINKS, PRINCIPAL, SERVICES
from monitor.web.middlewares import request_is_https
from monitor.web.pages.common import html_page
from monitor.web.present import ACTION_LABELS
from monitor.web.queries.incidents import IncidentRow, get_incident
from monitor.web.security import SESSION_COOKIE, see_other, set_secure_cookie
from monitor.web.service import link_error, perform_action, use_link
from monitor.web.views.login import link_confirm_page, link_done_page

OPEN = "open"
# Actions a single tap may perform: those that need no evidence typed in.
ONE_CLICK_ACTIONS = frozenset({"ack", "escalate_now"})
LINK_SESSION_TTL = timedelta(hours=2)


def link_action_label(action: str) -> str:
    return "登录并查看事件" if action == OPEN else ACTION_LABELS.get(action, action)


def link_allowed(action: str) -> bool:
    """What a link may do at all: open the incident, or a one-tap action."""
    return action == OPEN or (action in ACTIONS and action in ONE_CLICK_ACTIONS)


async def _claims(request: web.Request) -> tuple[LinkClaims, Principal, IncidentRow]:
    """The verified link, its person and incident; refusals say why (bad, expired, used, not allowed)."""
    services = request.app[SERVICES]
    now = services.clock.now()
    try:
        claims = request.app[LINKS].verify(request.match_info["token"], now)
    except LinkError as exc:
        raise link_error(exc) from None
    async with services.pool.acquire() as conn:
        used = await conn.fetchval("SELECT 1 FROM link_nonces WHERE nonce = $1", claims.nonce)
        row = await get_incident(conn, claims.incident_id)
    if used is not None:
        raise link_error(LinkError("used"))
    if not link_allowed(claims.action):
        raise ApiError("bad_request", "该链接不支持一键操作，请登录控制台处理")
    person = principal_for(services.responders, claims.person_id)
    if person is None:
        raise ApiError("link_invalid", "链接所属人员已不在通讯录中")
    if row is None:
        raise ApiError("not_found", f"事件 {claims.incident_id} 不存在")
    if not can_view(person, row.scope()):
        raise ApiError("not_your_department", "该事件已不属于本部门")
    if claims.action != OPEN:
        denial = permitted(person, row.scope(), claims.action)
        if denial is not None:
            raise ApiError(denial.error, denial.message)
    return claims, person, row


async def link_get(request: web.Request) -> web.Response:
    claims, person, row = await _claims(request)
    signed_in = request.get(PRINCIPAL)
    if claims.action == OPEN and signed_in is not None and signed_in.person_id == person.person_id:
        return see_other(f"/incidents/{row.id}")
    content = link_confirm_page(
        person=person.name,
        title=row.data["title"],
        incident_id=row.id,
        action_label=link_action_label(claims.action),
        post_url=request.path,
        note="确认接报只停止本级重复呼叫，不会停止法定时限。" if claims.action == "ack" else None,
    )
    return html_page(request, link_action_label(claims.action), content)


async def link_post(request: web.Request) -> web.Response:
    claims, person, row = await _claims(request)
    services = request.app[SERVICES]
    now = services.clock.now()
    if claims.action == OPEN:
        async with services.pool.acquire() as conn, conn.transaction():
            await use_link(conn, claims, now)
            cookie, session = await auth.create_session(
                conn, person.person_id, None, now, min(now + LINK_SESSION_TTL, claims.expires_at)
            )
        response = see_other(f"/incidents/{row.id}")
        max_age = max(1, int((session.expires_at - now).total_seconds()))
        set_secure_cookie(response, SESSION_COOKIE, cookie, https=request_is_https(request), max_age=max_age)
        return response
    result = await perform_action(
        services, person, row.id, claims.action, {"via": "one_click_link"}, link=claims
    )
    content = link_done_page(
        title=row.data["title"],
        incident_id=row.id,
        action_label=link_action_label(claims.action),
        changed=bool(result.get("changed")),
    )
    return html_page(request, link_action_label(claims.action), content)


async def link_signer(app: web.Application) -> AsyncIterator[None]:
    """The link secret is loaded once at startup unless the composition root or a test supplied a signer."""
    if LINKS not in app:
        settings = app[SERVICES].settings
        app[LINKS] = LinkSigner(load_link_secret(settings.env, settings.data_dir), settings.public_url)
    yield


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH_PREFIX + "{token}", link_get)
    app.router.add_post(PATH_PREFIX + "{token}", link_post)
    app.cleanup_ctx.append(link_signer)
