"""whoami, departments, sources, and the OpenAPI document kept in step with the routes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.app import build_web
from monitor.web.openapi import openapi_document
from tests.web.conftest import bearer
from tests.web.factory import ensure_source


@pytest.mark.parametrize("path", ["/api/v1/whoami", "/api/v1/departments", "/api/v1/sources"])
async def test_reference_endpoints_need_authentication(client, path):
    response = await client.get(path)
    assert response.status == 401
    assert (await response.json())["error"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("person", "scope", "read_only"),
    [
        ("zhujian.head", "department", False),
        ("binjiang-zhujian.duty", "jurisdiction", False),
        ("zhengfuban.observer", "jurisdiction", True),
        ("zhengfuban.admin", "all", False),
    ],
)
async def test_whoami(client, token_for, person, scope, read_only):
    response = await client.get("/api/v1/whoami", headers=bearer(await token_for(person)))
    body = await response.json()
    assert response.status == 200
    assert (body["id"], body["scope"], body["read_only"]) == (person, scope, read_only)
    assert body["department"]["id"] == person.split(".")[0]


async def test_departments_list_names_and_roles_but_no_contact_details(client, token_for):
    response = await client.get("/api/v1/departments", headers=bearer(await token_for("zhujian.head")))
    body = await response.json()
    assert response.status == 200
    ids = [d["id"] for d in body["items"]]
    assert ids[0] == "zhengfuban"  # the duty desk first
    assert {"zhujian", "binjiang-zhujian", "xuanchuan"} <= set(ids)
    zhujian = next(d for d in body["items"] if d["id"] == "zhujian")
    assert {"id": "zhujian.head", "name": "高磊", "role": "head", "title": "主要负责人"} in zhujian["people"]
    assert "+86" not in await response.text() and "@yunjiang.gov.cn" not in await response.text()


async def test_sources_health(client, token_for, pool, clock):
    now = clock.now()
    async with pool.acquire() as conn:
        await ensure_source(conn, "news-ok", now, state="ok", last_success_at=now - timedelta(minutes=5))
        await ensure_source(
            conn,
            "weibo-blocked",
            now,
            kind="weibo",
            state="blocked",
            consecutive_failures=4,
            last_error_kind="login_wall",
            last_error="HTTP 432",
            last_success_at=now - timedelta(hours=5),
        )
    response = await client.get("/api/v1/sources", headers=bearer(await token_for("zhengfuban.observer")))
    items = (await response.json())["items"]
    assert [i["id"] for i in items] == ["weibo-blocked", "news-ok"]  # troubled first
    blocked = items[0]
    assert (blocked["state"], blocked["consecutive_failures"], blocked["stale"]) == ("blocked", 4, True)
    assert blocked["last_error"] == "HTTP 432"
    assert items[1]["stale"] is False
    assert all("SECRET" not in (i["url"] or "") for i in items)  # query strings (access keys) are not shown


def documented_operations(doc):
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}


def routed_operations(app):
    out = set()
    for route in app.router.routes():
        info = route.get_info()
        path = info.get("path") or info.get("formatter")
        if path and path.startswith("/api/") and route.method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            out.add((route.method, path))
    return out


async def test_openapi_document_matches_the_routes(services):
    app = build_web(services)
    doc = openapi_document()
    assert documented_operations(doc) == routed_operations(app)


async def test_openapi_document_is_valid_and_served(client):
    import schemathesis

    response = await client.get("/api/v1/openapi.json")  # public: no credentials
    assert response.status == 200
    doc = await response.json()
    schemathesis.openapi.from_dict(doc).validate()  # against the OpenAPI 3.0 meta-schema
    assert doc["openapi"].startswith("3.")
    codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
    assert {
        "wrong_state",
        "missing_evidence",
        "not_your_department",
        "bad_request",
        "unauthenticated",
    } <= set(codes)
