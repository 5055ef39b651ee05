"""POST /api/v1/incidents/{id}/<action>: each one: ok, 401, 403, 409 and 400/422, on real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.conftest import bearer
from tests.web.factory import open_incident

VALID = {
    "ack": {},
    "statement": {"url": "https://www.yunjiang.gov.cn/xxgk/1.html", "text": "情况通报"},
    "press-conference": {
        "held_at": "2026-06-01T08:30:00+08:00",  # after the incident was first seen (08:00), before now
        "place": "市政府新闻发布厅",
        "url": "https://x.cn/p",
    },
    "respond": {"text": "已回应网民关切"},
    "resolve": {"reason": "处置完毕"},
    "reassign": {"department": "gongan", "reason": "属治安事项"},
    "add-support": {"department": "shuiwu", "reason": "涉及供水管网"},
    "note": {"text": "值班员已电话核实"},
    "escalate-now": {"reason": "负责人未接电话"},
}
# the refusal each action gets when required evidence is missing
MISSING = {
    "statement": {"text": "没有网址"},
    "press-conference": {"held_at": "2026-06-01T07:00:00+08:00", "place": "发布厅"},
    "respond": {},
    "resolve": {},
    "reassign": {"department": "gongan"},
    "add-support": {"department": "shuiwu"},
    "note": {},
}


@pytest.fixture
async def gas(pool, responders, clock):
    """A Ⅱ incident led by 住建局 with 公安局 supporting, opened an hour ago."""
    incident = await open_incident(
        pool, responders, clock.now(), title="燃气泄漏", grade=2, support=["gongan"]
    )
    clock.advance(hours=1)
    return incident


@pytest.fixture
async def water(pool, responders, clock):
    return await open_incident(
        pool, responders, clock.now(), title="停水", grade=4, lead="shuiwu", region="jiangbei"
    )


async def post(client, incident, action, token=None, body=None, headers=None):
    all_headers = {**(bearer(token) if token else {}), **(headers or {})}
    response = await client.post(f"/api/v1/incidents/{incident}/{action}", headers=all_headers, json=body)
    return response.status, await response.json()


@pytest.mark.parametrize("action", list(VALID))
async def test_each_action_is_recorded_with_the_person(client, gas, token_for, pool, action):
    status, body = await post(client, gas, action, await token_for("zhujian.head"), VALID[action])
    assert status == 200, body
    assert body["changed"] is True
    assert body["action"] == action.replace("-", "_")
    row = await pool.fetchrow("SELECT actor, kind FROM timeline WHERE id = $1", body["timeline_id"])
    assert (row["actor"], row["kind"]) == ("zhujian.head", action.replace("-", "_"))


@pytest.mark.parametrize("action", list(VALID))
async def test_each_action_needs_authentication(client, gas, action):
    status, body = await post(client, gas, action, None, VALID[action])
    assert (status, body["error"]) == (401, "unauthenticated")


@pytest.mark.parametrize("action", list(VALID))
async def test_each_action_refuses_another_department(client, water, token_for, action):
    status, body = await post(client, water, action, await token_for("zhujian.head"), VALID[action])
    assert (status, body["error"]) == (403, "not_your_department")


@pytest.mark.parametrize("action", list(VALID))
async def test_observer_is_read_only(client, gas, token_for, action):
    status, body = await post(client, gas, action, await token_for("zhengfuban.observer"), VALID[action])
    assert (status, body["error"]) == (403, "read_only")


# resolve is idempotent on a resolved incident and notes are always allowed (tested below)
@pytest.mark.parametrize("action", [a for a in VALID if a not in ("resolve", "note")])
async def test_each_action_on_a_resolved_incident_is_409(client, gas, token_for, action):
    token = await token_for("zhujian.head")
    assert (await post(client, gas, "resolve", token, {"reason": "已处置"}))[0] == 200
    status, body = await post(client, gas, action, token, VALID[action])
    assert (status, body["error"]) == (409, "wrong_state")
    assert body["details"]["state"] == "resolved"


async def test_resolve_and_note_after_resolution(client, gas, token_for):
    token = await token_for("zhujian.head")
    assert (await post(client, gas, "resolve", token, {"reason": "已处置"}))[1]["changed"] is True
    status, body = await post(client, gas, "resolve", token, {"reason": "再次办结"})
    assert (status, body["changed"]) == (200, False)
    status, body = await post(client, gas, "note", token, {"text": "复盘材料已归档"})
    assert (status, body["changed"]) == (200, True)


@pytest.mark.parametrize("action", list(MISSING))
async def test_missing_evidence_is_422(client, gas, token_for, action):
    status, body = await post(client, gas, action, await token_for("zhujian.head"), MISSING[action])
    assert (status, body["error"]) == (422, "missing_evidence")


@pytest.mark.parametrize(
    ("action", "body", "status", "error"),
    [
        ("statement", {"url": "javascript:alert(1)"}, 422, "invalid_input"),
        ("statement", {"url": "www.no-scheme.cn"}, 422, "invalid_input"),
        ("statement", {"url": 42}, 422, "invalid_input"),
        ("statement", {"url": "https://x.cn", "extra": 1}, 422, "invalid_input"),
        ("statement", {"url": "https://x.cn/" + "a" * 3000}, 422, "invalid_input"),
        (
            "press-conference",
            {"held_at": "明天", "place": "发布厅", "url": "https://x.cn"},
            422,
            "invalid_input",
        ),
        (
            "press-conference",
            {"held_at": "2026-06-09T07:00:00+08:00", "place": "厅", "url": "https://x.cn"},
            422,
            "invalid_input",
        ),
        ("reassign", {"department": "mars", "reason": "x"}, 422, "invalid_input"),
        ("add-support", {"department": "mars", "reason": "x"}, 422, "invalid_input"),
        ("note", ["not", "an", "object"], 400, "bad_request"),
        ("note", "just a string", 400, "bad_request"),
    ],
)
async def test_bad_input(client, gas, token_for, action, body, status, error):
    got_status, got = await post(client, gas, action, await token_for("zhujian.head"), body)
    assert (got_status, got["error"]) == (status, error), got


async def test_malformed_json_is_400(client, gas, token_for):
    headers = {**bearer(await token_for("zhujian.head")), "Content-Type": "application/json"}
    response = await client.post(f"/api/v1/incidents/{gas}/note", data=b"{not json", headers=headers)
    assert response.status == 400
    assert (await response.json())["error"] == "bad_request"
    response = await client.post(
        f"/api/v1/incidents/{gas}/note", data=b"text=hi", headers={**headers, "Content-Type": "text/csv"}
    )
    assert (response.status, (await response.json())["error"]) == (415, "unsupported_media_type")


async def test_unknown_incident_is_404(client, token_for):
    status, body = await post(client, 424242, "ack", await token_for("zhengfuban.admin"), {})
    assert (status, body["error"]) == (404, "not_found")


async def test_ack_is_idempotent_and_never_stops_the_legal_clock(client, gas, token_for, clock):
    token = await token_for("zhujian.head")
    first = await post(client, gas, "ack", token)
    assert first[0] == 200 and first[1]["state"] == "acknowledged"
    again = await post(client, gas, "ack", token)
    assert again == (200, {**again[1], "changed": False})
    detail = await (await client.get(f"/api/v1/incidents/{gas}", headers=bearer(token))).json()
    statement = detail["clocks"][0]
    assert statement["kind"] == "statement" and statement["satisfied_at"] is None
    assert statement["status"] == "running"


async def test_statement_satisfies_the_5h_clock(client, gas, token_for):
    token = await token_for("zhujian.head")
    status, body = await post(client, gas, "statement", token, VALID["statement"])
    assert status == 200 and "statement" in body["satisfied_clocks"]
    repeat = await post(client, gas, "statement", token, VALID["statement"])
    assert repeat[1]["changed"] is False
    detail = await (await client.get(f"/api/v1/incidents/{gas}", headers=bearer(token))).json()
    assert detail["clocks"][0]["status"] == "satisfied"
    assert detail["statement_url"] == VALID["statement"]["url"]


async def test_supporting_department_may_record_evidence_but_not_resolve(client, gas, token_for):
    token = await token_for("gongan.head")
    assert (await post(client, gas, "note", token, {"text": "配合排查"}))[0] == 200
    status, body = await post(client, gas, "resolve", token, {"reason": "x"})
    assert (status, body["error"]) == (403, "not_your_department")


async def test_reassign_moves_the_incident_out_of_the_heads_sight(client, gas, token_for):
    head = await token_for("zhujian.head")
    assert (await post(client, gas, "reassign", head, VALID["reassign"]))[0] == 200
    status, _body = await post(client, gas, "note", await token_for("gongan.head"), {"text": "已接手"})
    assert status == 200
    detail = await (await client.get(f"/api/v1/incidents/{gas}", headers=bearer(head))).json()
    assert detail["lead_department"]["id"] == "gongan"


async def test_the_duty_desk_adds_a_supporting_department_which_is_paged_and_may_act(
    client, gas, token_for, pool
):
    body = {"department": "shuiwu", "reason": "燃气泄漏波及供水管网"}
    # a supporting department cannot bring in others; the duty desk (总值班) can
    status, refused = await post(client, gas, "add-support", await token_for("gongan.head"), body)
    assert (status, refused["error"]) == (403, "not_your_department")
    assert (await post(client, gas, "note", await token_for("shuiwu.head"), {"text": "x"}))[0] == 403
    status, done = await post(client, gas, "add-support", await token_for("zhengfuban.duty"), body)
    assert (status, done["changed"]) == (200, True)
    paged = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE incident_id = $1 AND target LIKE 'person:shuiwu.%'", gas
    )
    assert paged >= 1
    assert (await post(client, gas, "note", await token_for("shuiwu.head"), {"text": "已派员"}))[0] == 200
    detail = await (
        await client.get(f"/api/v1/incidents/{gas}", headers=bearer(await token_for("zhujian.head")))
    ).json()
    assert detail["lead_department"]["id"] == "zhujian"  # the lead stays
    again = await post(client, gas, "add-support", await token_for("zhengfuban.duty"), body)
    assert again[0] == 200 and again[1]["changed"] is False


async def test_idempotency_key_replays_the_first_answer(client, gas, token_for, pool):
    token = await token_for("zhujian.head")
    key = {"Idempotency-Key": "phone-retry-1"}
    first = await post(client, gas, "note", token, {"text": "同一条备注"}, key)
    second = await post(client, gas, "note", token, {"text": "同一条备注"}, key)
    assert first == second and first[0] == 200
    notes = await pool.fetchval("SELECT count(*) FROM timeline WHERE incident_id = $1 AND kind = 'note'", gas)
    assert notes == 1
    status, body = await post(client, gas, "note", token, {"text": "另一条"}, key)
    assert (status, body["error"]) == (409, "idempotency_conflict")
    status, body = await post(client, gas, "note", token, {"text": "x"}, {"Idempotency-Key": " "})
    assert (status, body["error"]) == (400, "bad_request")


async def test_cookie_clients_must_send_the_csrf_header(client, gas, token_for, pool, clock):
    from monitor.web import auth

    async with pool.acquire() as conn:
        cookie, session = await auth.create_session(conn, "zhujian.head", None, clock.now(), None)
    cookies = {"Cookie": f"yq_session={cookie}"}
    status, body = await post(client, gas, "note", None, {"text": "x"}, cookies)
    assert (status, body["error"]) == (403, "csrf_failed")
    status, body = await post(client, gas, "note", None, {"text": "x"}, {**cookies, "X-CSRF-Token": "wrong"})
    assert (status, body["error"]) == (403, "csrf_failed")
    ok = await post(client, gas, "note", None, {"text": "x"}, {**cookies, "X-CSRF-Token": session.csrf_token})
    assert ok[0] == 200


async def test_expired_and_revoked_tokens_are_401(client, gas, pool, clock, token_for):
    from monitor.web import auth

    async with pool.acquire() as conn:
        _token_id, token = await auth.create_token(
            conn, "zhujian.head", clock.now(), clock.now() + timedelta(hours=1)
        )
    assert (await post(client, gas, "note", token, {"text": "x"}))[0] == 200
    clock.advance(hours=2)
    assert (await post(client, gas, "note", token, {"text": "x"}))[0] == 401
    revoked = await token_for("zhujian.head")
    async with pool.acquire() as conn:
        revoked_id = await conn.fetchval("SELECT max(id) FROM api_tokens")
        await auth.revoke_token(conn, revoked_id, clock.now())
    assert (await post(client, gas, "note", revoked, {"text": "x"}))[0] == 401
    stored = await pool.fetch("SELECT token_hash FROM api_tokens")
    assert all(token not in r["token_hash"] and revoked not in r["token_hash"] for r in stored)
