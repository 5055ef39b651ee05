"""Sources page handler: the health of every source."""

from __future__ import annotations

from aiohttp import web

from monitor.web.api.reference import sources_json
from monitor.web.keys import SERVICES
from monitor.web.middlewares import require_principal
from monitor.web.pages.common import city_zone, html_page
from monitor.web.queries.sources import source_health
from monitor.web.views.sources import sources_page


async def sources_handler(request: web.Request) -> web.Response:
    require_principal(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as conn:
        rows = await source_health(conn)
    items = sources_json(services.sources, rows, services.clock.now())
    return html_page(request, "信源", sources_page(items, city_zone(request)))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/sources", sources_handler)
