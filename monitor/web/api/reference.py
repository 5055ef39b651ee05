"""Reference data: who am I, the departments, source health, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from monitor.config.responders import Responders
from monitor.config.sources import Source
from monitor.web.access import Principal, visibility
from monitor.web.api.common import ok
from monitor.web.keys import SERVICES
from monitor.web.middlewares import require_principal
from monitor.web.openapi import openapi_document
from monitor.web.present import iso
from monitor.web.queries.sources import source_health


def redact_url(url: str | None) -> str | None:
    """Scheme, host and path only: query strings may carry access keys (RSSHub `?key=`)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def is_stale(row: dict[str, Any], now: datetime) -> bool:
    """An enabled source whose last success is older than its stale limit (never-successful: failing)."""
    if not row.get("enabled", True) or row.get("stale_after_s") is None:
        return False
    last: datetime | None = row.get("last_success_at")
    if last is None:
        return False
    age: float = (now - last).total_seconds()
    return age > float(row["stale_after_s"])


def sources_json(
    configured: Iterable[Source], rows: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Health of every source: the database's view, plus configured sources never polled yet."""
    by_id = {r["id"]: r for r in rows}
    out: list[dict[str, Any]] = []
    for row in rows:
        out.append(
            {
                "id": row["id"],
                "kind": row["kind"],
                "name": row["name"] or row["id"],
                "region": row["region"],
                "url": redact_url(row["url"]),
                "enabled": row["enabled"],
                "state": row["state"],
                "stale": is_stale(row, now),
                "last_attempt_at": iso(row["last_attempt_at"]),
                "last_success_at": iso(row["last_success_at"]),
                "last_new_post_at": iso(row["last_new_post_at"]),
                "next_poll_at": iso(row["next_poll_at"]),
                "consecutive_failures": row["consecutive_failures"],
                "last_error_kind": row["last_error_kind"],
                "last_error": row["last_error"],
                "last_status": row["last_status"],
                "polls_total": row["polls_total"],
                "posts_total": row["posts_total"],
            }
        )
    for source in configured:
        if source.id in by_id:
            continue
        spec = source.spec
        out.append(
            {
                "id": source.id,
                "kind": spec.kind,
                "name": spec.name or source.id,
                "region": spec.region,
                "url": redact_url(getattr(spec, "url", None) or getattr(spec, "base_url", None)),
                "enabled": spec.enabled,
                "state": "new",
                "stale": False,
                "last_attempt_at": None,
                "last_success_at": None,
                "last_new_post_at": None,
                "next_poll_at": None,
                "consecutive_failures": 0,
                "last_error_kind": None,
                "last_error": None,
                "last_status": None,
                "polls_total": 0,
                "posts_total": 0,
            }
        )
    return out


def departments_json(r: Responders) -> list[dict[str, Any]]:
    """Departments with their people's names and roles (never their phone numbers or addresses)."""
    return [
        {
            "id": d.id,
            "name": d.name,
            "short_name": d.display_name,
            "kind": d.kind,
            "level": d.level,
            "parent": d.parent,
            "regions": list(d.regions),
            "topics": list(d.topics),
            "vertical": d.vertical,
            "people": [{"id": p.id, "name": p.name, "role": p.role, "title": p.title} for p in d.people],
        }
        for d in sorted(r.departments.values(), key=lambda d: (d.kind != "duty_desk", d.level, d.id))
    ]


def whoami_json(p: Principal) -> dict[str, Any]:
    v = visibility(p)
    return {
        "id": p.person_id,
        "name": p.name,
        "role": p.role,
        "title": p.title,
        "department": {"id": p.department_id, "name": p.department_name, "kind": p.department_kind},
        "scope": "all" if v.everything else ("jurisdiction" if p.sees_by_region else "department"),
        "regions": sorted(p.jurisdiction) if p.sees_by_region else [],
        "read_only": p.role == "observer",
    }


async def whoami_handler(request: web.Request) -> web.Response:
    return ok(whoami_json(require_principal(request)))


async def departments_handler(request: web.Request) -> web.Response:
    require_principal(request)
    return ok({"items": departments_json(request.app[SERVICES].responders)})


async def sources_handler(request: web.Request) -> web.Response:
    require_principal(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as conn:
        rows = await source_health(conn)
    return ok({"items": sources_json(services.sources, rows, services.clock.now())})


async def openapi_handler(request: web.Request) -> web.Response:
    return ok(openapi_document())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/whoami", whoami_handler)
    app.router.add_get("/api/v1/departments", departments_handler)
    app.router.add_get("/api/v1/sources", sources_handler)
    app.router.add_get("/api/v1/openapi.json", openapi_handler)
