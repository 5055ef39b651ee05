"""GET /api/v1/incidents, /incidents/{id} and /incidents/{id}/timeline against real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.conftest import bearer
from tests.web.factory import event_with_posts, open_incident


@pytest.fixture
async def world(pool, responders, clock):
    """Incidents across departments and regions, opened an hour apart."""
    now = clock.now()
    ids = {
        "gas": await open_incident(pool, responders, now, title="小区燃气泄漏", grade=2, support=["gongan"]),
        "water": await open_incident(
            pool,
            responders,
            now + timedelta(hours=1),
            title="停水三天",
            grade=4,
            lead="shuiwu",
            region="jiangbei",
        ),
        "binjiang": await open_incident(
            pool,
            responders,
            now + timedelta(hours=2),
            title="滨江工地噪音",
            grade=3,
            lead="binjiang-zhujian",
            region="binjiang-jiangbin",
        ),
    }
    clock.advance(hours=3)
    return ids


async def get(client, path, token=None, **params):
    headers = bearer(token) if token else {}
    response = await client.get(path, headers=headers, params=params)
    return response.status, await response.json()


async def test_list_needs_authentication(client, world):
    status, body = await get(client, "/api/v1/incidents")
    assert status == 401
    assert body["error"] == "unauthenticated"
    status, body = await get(client, "/api/v1/incidents", "yq_not-a-real-token")
    assert status == 401


async def test_head_sees_only_their_departments_incidents(client, world, token_for):
    token = await token_for("zhujian.head")
    status, body = await get(client, "/api/v1/incidents", token)
    assert status == 200
    assert [i["id"] for i in body["items"]] == [world["gas"]]
    assert body["total"] == 1
    # the supporting department's head sees it too
    status, body = await get(client, "/api/v1/incidents", await token_for("gongan.head"))
    assert [i["id"] for i in body["items"]] == [world["gas"]]


async def test_district_duty_officer_sees_their_district_only(client, world, token_for):
    token = await token_for("binjiang-zhujian.duty")
    status, body = await get(client, "/api/v1/incidents", token)
    assert status == 200
    assert {i["id"] for i in body["items"]} == {world["binjiang"]}


async def test_city_duty_officer_and_observer_see_everything(client, world, token_for):
    for person in ("zhengfuban.duty", "zhengfuban.observer", "zhengfuban.admin"):
        status, body = await get(client, "/api/v1/incidents", await token_for(person))
        assert status == 200
        assert {i["id"] for i in body["items"]} == set(world.values()), person


async def test_list_is_sorted_by_the_clock_closest_to_breach(client, world, token_for):
    _status, body = await get(client, "/api/v1/incidents", await token_for("zhengfuban.admin"))
    # Ⅱ: statement due at +5 h; Ⅲ opened at +2 h: response due +50 h; Ⅳ opened at +1 h: due +49 h
    assert [i["id"] for i in body["items"]] == [world["gas"], world["water"], world["binjiang"]]
    first = body["items"][0]
    assert first["next_due_at"] == first["clocks"][0]["due_at"]
    assert first["clocks"][0]["remaining_s"] == pytest.approx(2 * 3600)


async def test_filters(client, world, token_for):
    token = await token_for("zhengfuban.admin")

    async def ids(**params):
        status, body = await get(client, "/api/v1/incidents", token, **params)
        assert status == 200, body
        return {i["id"] for i in body["items"]}

    assert await ids(grade="2") == {world["gas"]}
    assert await ids(grade="III,IV") == {world["water"], world["binjiang"]}
    assert await ids(state="open") == set(world.values())
    assert await ids(state="resolved") == set()
    assert await ids(department="gongan") == {world["gas"]}
    assert await ids(region="binjiang") == {world["binjiang"]}  # includes its 街道
    assert await ids(region="jiangbei") == {world["water"]}
    _status, body = await get(client, f"/api/v1/incidents/{world['water']}", token)
    start = body["opened_at"]
    assert await ids(opened_from=start) == {world["water"], world["binjiang"]}
    assert await ids(opened_to=start) == {world["gas"]}


async def test_at_risk_filter_follows_the_clock(client, world, token_for, clock):
    token = await token_for("zhengfuban.admin")
    status, body = await get(client, "/api/v1/incidents", token, at_risk="true")
    assert (status, body["items"]) == (200, [])
    clock.advance(hours=1, minutes=1)  # 5 h statement clock: 56 min left < 20 % of 5 h
    status, body = await get(client, "/api/v1/incidents", token, at_risk="true")
    assert [i["id"] for i in body["items"]] == [world["gas"]]
    assert body["items"][0]["clocks"][0]["status"] == "critical"
    clock.advance(hours=1)
    _status, body = await get(client, "/api/v1/incidents", token, at_risk="true")
    assert body["items"][0]["clocks"][0]["status"] == "breached"


async def test_pagination(client, world, token_for):
    token = await token_for("zhengfuban.admin")
    status, page1 = await get(client, "/api/v1/incidents", token, limit="2")
    assert status == 200
    assert len(page1["items"]) == 2 and page1["total"] == 3 and page1["next_offset"] == 2
    status, page2 = await get(client, "/api/v1/incidents", token, limit="2", offset="2")
    assert len(page2["items"]) == 1 and page2["next_offset"] is None
    assert {i["id"] for i in page1["items"] + page2["items"]} == set(world.values())
    status, past = await get(client, "/api/v1/incidents", token, offset="10")
    assert past["items"] == [] and past["total"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"grade": "5"},
        {"grade": "V"},
        {"state": "closed"},
        {"department": "nope"},
        {"region": "mars"},
        {"at_risk": "maybe"},
        {"opened_from": "yesterday"},
        {"opened_from": "2026-06-01T00:00:00"},  # no timezone
        {"opened_from": "2026-06-02T00:00:00Z", "opened_to": "2026-06-01T00:00:00Z"},
        {"limit": "0"},
        {"limit": "201"},
        {"offset": "-1"},
        {"offset": "²"},  # a Unicode digit that int() refuses
        {"grade": "²"},
        {"colour": "red"},
    ],
)
async def test_bad_filters_are_400_naming_the_parameter(client, world, token_for, params):
    status, body = await get(client, "/api/v1/incidents", await token_for("zhengfuban.admin"), **params)
    assert status == 400
    assert body["error"] == "bad_request"
    assert body["details"]["param"] in params


async def test_detail_has_posts_heat_departments_clocks_and_actions(
    client, pool, responders, clock, token_for
):
    event = await event_with_posts(
        pool,
        clock.now(),
        [{"text": "燃气味很重", "author": "业主甲"}, {"title": "标题", "text": "第二条"}],
        [3, 9],
    )
    incident = await open_incident(pool, responders, clock.now(), title="燃气", grade=2, event_id=event)
    await pool.execute("UPDATE incidents SET route_candidates = '{yingji}' WHERE id = $1", incident)
    status, body = await get(client, f"/api/v1/incidents/{incident}", await token_for("zhujian.head"))
    assert status == 200
    assert body["route_candidates"] == ["yingji"]  # named by routing, not paged
    assert [p["text"] for p in body["posts"]] == ["燃气味很重", "第二条"]
    assert body["posts"][0]["source"] == {"id": "weibo-test", "name": "微博关键词", "kind": "weibo"}
    assert body["posts"][0]["author"] == "业主甲" and body["posts"][0]["url"].startswith(
        "https://m.weibo.cn/"
    )
    assert [h["heat"] for h in body["heat"]] == [3.0, 9.0]
    assert body["departments"][0] == {"id": "zhujian", "name": "住建局", "role": "lead", "role_label": "主办"}
    assert [c["kind"] for c in body["clocks"]] == ["statement", "press_conference"]
    assert body["grade_reasons"] == ["测试定级依据"]
    assert "ack" in body["allowed_actions"] and "statement" in body["allowed_actions"]


async def test_an_order_that_joined_the_event_is_listed_once(client, pool, responders, clock, token_for):
    event = await event_with_posts(pool, clock.now(), [{"text": "自来水发黄"}, {"text": "水有异味"}])
    incident = await open_incident(pool, responders, clock.now(), title="水质", grade=3, event_id=event)
    async with pool.acquire() as conn:
        member = await conn.fetchval("SELECT min(post_id) FROM event_posts WHERE event_id = $1", event)
        alone = await conn.fetchval(
            """INSERT INTO posts (source_id, source_kind, external_id, published_at, fetched_at, text,
                                  fingerprint)
               VALUES ('weibo-test', 'hotline', 'order-2', $1, $1, '工单未入事件', 'fp-order-2')
               RETURNING id""",
            clock.now(),
        )
        await conn.executemany(
            """INSERT INTO incident_orders (order_no, incident_id, post_id, urgency, merged_at, how)
               VALUES ($1, $2, $3, '一般', $4, $5)""",
            [
                ("O-1", incident, member, clock.now(), "opened"),
                ("O-2", incident, alone, clock.now(), "merged"),
            ],
        )
    status, body = await get(client, f"/api/v1/incidents/{incident}", await token_for("zhujian.head"))
    assert status == 200
    assert sorted(p["id"] for p in body["posts"]) == sorted({p["id"] for p in body["posts"]})
    assert [(p["text"], p["how"]) for p in body["posts"]] == [
        ("自来水发黄", "new"),
        ("水有异味", "new"),
        ("工单未入事件", "order"),
    ]


async def test_detail_refusals(client, world, token_for):
    token = await token_for("zhujian.head")
    assert (await get(client, f"/api/v1/incidents/{world['gas']}"))[0] == 401
    status, body = await get(client, f"/api/v1/incidents/{world['water']}", token)
    assert (status, body["error"]) == (403, "not_your_department")
    status, body = await get(client, "/api/v1/incidents/999999", token)
    assert (status, body["error"]) == (404, "not_found")
    status, body = await get(client, "/api/v1/incidents/99999999999999999999", token)
    assert (status, body["error"]) == (404, "not_found")
    for odd in ("abc", "²", "-1"):
        status, body = await get(client, f"/api/v1/incidents/{odd}", token)
        assert (status, body["error"]) == (404, "not_found"), odd


async def test_observer_sees_no_action_buttons(client, world, token_for):
    status, body = await get(
        client, f"/api/v1/incidents/{world['gas']}", await token_for("zhengfuban.observer")
    )
    assert status == 200
    assert body["allowed_actions"] == []


async def test_timeline(client, world, token_for):
    token = await token_for("zhujian.head")
    await client.post(
        f"/api/v1/incidents/{world['gas']}/note", headers=bearer(token), json={"text": "已派人核查"}
    )
    status, body = await get(client, f"/api/v1/incidents/{world['gas']}/timeline", token)
    assert status == 200
    note = body["items"][-1]
    assert (note["kind"], note["actor"], note["actor_name"], note["kind_label"]) == (
        "note",
        "zhujian.head",
        "高磊",
        "备注",
    )
    assert note["note"] == "已派人核查"
    assert body["items"][0]["kind"] == "clocks_started"
    assert (await get(client, f"/api/v1/incidents/{world['gas']}/timeline"))[0] == 401
    status, body = await get(client, f"/api/v1/incidents/{world['water']}/timeline", token)
    assert (status, body["error"]) == (403, "not_your_department")
