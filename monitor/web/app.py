"""The web application factory: middlewares, the JSON API, the console pages and their static files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from monitor.web.api import actions as api_actions
from monitor.web.api import incidents as api_incidents
from monitor.web.api import reference as api_reference
from monitor.web.keys import LINKS, SERVICES, WEB_OPTIONS
from monitor.web.middlewares import auth_middleware, error_middleware, security_middleware
from monitor.web.options import WebOptions
from monitor.web.pages import board, department, incident, login, notifications, sources
from monitor.web.pages import links as link_pages

if TYPE_CHECKING:
    from monitor.app import Services
    from monitor.links import LinkSigner

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY = 2 * 1024 * 1024
ROUTE_MODULES = (
    api_incidents,
    api_actions,
    api_reference,
    board,
    incident,
    department,
    sources,
    notifications,
    login,
    link_pages,
)


def create_app(
    services: Services, options: WebOptions | None = None, links: LinkSigner | None = None
) -> web.Application:
    """The aiohttp application with API and console routes; callers add intake, health and metrics routes.

    Without `links`, the one-click link secret is loaded at startup (YUQING_LINK_SECRET or the data dir).
    """
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[security_middleware, error_middleware, auth_middleware],
    )
    app[SERVICES] = services
    app[WEB_OPTIONS] = options or WebOptions()
    if links is not None:
        app[LINKS] = links
    for module in ROUTE_MODULES:
        module.add_routes(app)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return app
