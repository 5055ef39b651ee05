"""Responder actions through record_action, and the open/regrade hooks, against real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.engine.actions import ActionResult
from monitor.engine.lifecycle import (
    MissingEvidence,
    NotFound,
    UnknownAction,
    WrongState,
    on_grade_changed,
    record_action,
)
from monitor.incidents.policy_snapshot import freeze_policy
from tests.engine.helpers import open_incident

URL = "https://www.yunjiang.gov.cn/xxgk/2026/0601.html"


async def act(pool: asyncpg.Pool, iid: int, action: str, actor: str, now, evidence=None):  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn, conn.transaction():
        return await record_action(conn, iid, action, actor, now, evidence or {})


async def clocks(pool: asyncpg.Pool, iid: int) -> dict[str, asyncpg.Record]:
    return {r["kind"]: r for r in await pool.fetch("SELECT * FROM clocks WHERE incident_id = $1", iid)}


async def test_open_starts_clocks_and_pages_every_chain(
    pool, clock: FakeClock, responders: Responders
) -> None:
    now = clock.now()
    async with pool.acquire() as conn:
        iid = await open_incident(
            conn, responders, now, grade=2, departments=[("yingji", "lead"), ("weijian", "support")]
        )
    c = await clocks(pool, iid)
    assert c["statement"]["due_at"] == now + timedelta(hours=5)
    assert c["press_conference"]["due_at"] == now + timedelta(hours=24)
    assert c["ack"]["due_at"] == now + timedelta(minutes=15) and not c["ack"]["legal"]
    keys = {r["idem_key"] for r in await pool.fetch("SELECT idem_key FROM outbox")}
    assert f"esc:{iid}:yingji:r0:l0:s0:a0:person:yingji.duty" in keys
    assert f"esc:{iid}:weijian:r0:l0:s0:a0:channel:weijian/group" in keys
    # opening twice (a retried transaction) changes nothing
    from monitor.engine.lifecycle import on_incident_opened

    async with pool.acquire() as conn, conn.transaction():
        await on_incident_opened(conn, iid, now)
    assert len(await pool.fetch("SELECT 1 FROM outbox")) == len(keys)


async def test_clocks_can_start_from_first_seen(pool, clock: FakeClock, responders: Responders) -> None:
    now = clock.now()
    seen = now - timedelta(hours=2)
    async with pool.acquire() as conn:
        iid = await open_incident(
            conn, responders, now, grade=1, first_seen=seen, policy_overrides={"start_from": "first_seen"}
        )
    c = await clocks(pool, iid)
    assert c["statement"]["started_at"] == seen and c["statement"]["due_at"] == seen + timedelta(hours=5)
    assert c["ack"]["started_at"] == now  # internal targets run from opening


async def test_internal_target_in_working_hours(pool, clock: FakeClock, responders: Responders) -> None:
    clock.set(clock.now().replace(hour=9, minute=25))  # 17:25 in Shanghai, a Monday
    policy = {"internal_targets": {"ack": {"within_s": 900.0, "working_hours": True}}}
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3, policy_overrides=policy)
    ack = (await clocks(pool, iid))["ack"]
    assert ack["due_at"] == clock.now() + timedelta(hours=15, minutes=15)  # 08:40 next morning


async def test_statement_needs_a_url_and_is_idempotent(
    pool, clock: FakeClock, responders: Responders
) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=2)
    for bad in ({}, {"url": "not a url"}, {"url": "javascript:alert(1)"}):
        with pytest.raises(MissingEvidence):
            await act(pool, iid, "statement", "yingji.head", clock.now(), bad)
    clock.advance(minutes=30)
    first = await act(pool, iid, "statement", "yingji.head", clock.now(), {"url": URL})
    assert first.changed and first.state == "statement_published" and first.satisfied_clocks == ["statement"]
    again = await act(pool, iid, "statement", "yingji.head", clock.now(), {"url": URL})
    assert not again.changed
    c = await clocks(pool, iid)
    assert c["statement"]["satisfied_at"] == clock.now() and c["statement"]["next_fire_at"] is None
    assert c["press_conference"]["satisfied_at"] is None  # the 24 h clock runs on
    inc = await pool.fetchrow("SELECT statement_url, statement_at FROM incidents WHERE id = $1", iid)
    assert inc["statement_url"] == URL
    assert await pool.fetchval("SELECT count(*) FROM timeline WHERE kind = 'statement'") == 1


async def test_ack_records_who_and_never_stops_a_clock(
    pool, clock: FakeClock, responders: Responders
) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(
            conn, responders, clock.now(), grade=3, departments=[("yingji", "lead"), ("weijian", "support")]
        )
    clock.advance(minutes=3)
    result = await act(pool, iid, "ack", "yingji.duty", clock.now())
    assert result.changed and result.state == "acknowledged" and result.satisfied_clocks == ["ack"]
    c = await clocks(pool, iid)
    assert c["response"]["satisfied_at"] is None and c["response"]["next_fire_at"] is not None
    chains = {r["department_id"]: r for r in await pool.fetch("SELECT * FROM escalations")}
    assert chains["yingji"]["acked_by"] == "yingji.duty"
    assert chains["weijian"]["acked_at"] is None  # each department acknowledges for itself
    assert not (await act(pool, iid, "ack", "yingji.duty", clock.now())).changed
    inc = await pool.fetchrow("SELECT acknowledged_at, acknowledged_by FROM incidents WHERE id = $1", iid)
    assert inc["acknowledged_by"] == "yingji.duty" and inc["acknowledged_at"] == clock.now()


async def test_press_conference_evidence(pool, clock: FakeClock, responders: Responders) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=1)
    clock.advance(hours=20)
    held = (clock.now() - timedelta(hours=1)).isoformat()
    with pytest.raises(MissingEvidence):
        await act(
            pool, iid, "press_conference", "xuanchuan.head", clock.now(), {"held_at": held, "place": "市政府"}
        )
    with pytest.raises(MissingEvidence):
        future = (clock.now() + timedelta(hours=1)).isoformat()
        await act(
            pool, iid, "press_conference", "x", clock.now(), {"held_at": future, "place": "p", "url": URL}
        )
    evidence = {"held_at": held, "place": "市政府新闻发布厅", "record": "第1场新闻发布会"}
    result = await act(pool, iid, "press_conference", "xuanchuan.head", clock.now(), evidence)
    assert result.satisfied_clocks == ["press_conference"] and result.state == "press_conference_held"
    assert (await clocks(pool, iid))["press_conference"]["satisfied_at"] == clock.now() - timedelta(hours=1)
    assert not (await act(pool, iid, "press_conference", "xuanchuan.head", clock.now(), evidence)).changed


async def test_respond_satisfies_response_and_hotline(pool, clock: FakeClock, responders: Responders) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(
            conn, responders, clock.now(), grade=4, kind="hotline", hotline_urgency="紧急"
        )
    c = await clocks(pool, iid)
    assert c["hotline"]["due_at"] == clock.now() + timedelta(hours=2)
    with pytest.raises(MissingEvidence):
        await act(pool, iid, "respond", "yingji.duty", clock.now(), {})
    result = await act(pool, iid, "respond", "yingji.duty", clock.now(), {"text": "已联系市民并答复"})
    assert sorted(result.satisfied_clocks) == ["hotline", "response"]
    # every legal clock is met: the chains stop
    assert await pool.fetchval("SELECT count(*) FROM escalations WHERE next_action_at IS NOT NULL") == 0


async def test_resolve_review_and_states(pool, clock: FakeClock, responders: Responders) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=2)
    with pytest.raises(WrongState):
        await act(pool, iid, "review", "zhengfuban.head", clock.now())
    with pytest.raises(MissingEvidence):
        await act(pool, iid, "resolve", "yingji.head", clock.now(), {})
    result = await act(pool, iid, "resolve", "yingji.head", clock.now(), {"reason": "经核实为不实信息"})
    assert result.state == "resolved"
    unmet = result.detail["clocks_closed_unmet"]
    assert {c["kind"] for c in unmet} == {"statement", "press_conference", "ack"}
    assert await pool.fetchval("SELECT count(*) FROM clocks WHERE next_fire_at IS NOT NULL") == 0
    assert await pool.fetchval("SELECT count(*) FROM escalations WHERE next_action_at IS NOT NULL") == 0
    assert not (await act(pool, iid, "resolve", "yingji.head", clock.now(), {"reason": "again"})).changed
    with pytest.raises(WrongState):
        await act(pool, iid, "statement", "yingji.head", clock.now(), {"url": URL})
    await act(pool, iid, "note", "yingji.head", clock.now(), {"text": "复盘材料已归档"})
    assert (await act(pool, iid, "review", "zhengfuban.head", clock.now())).state == "reviewed"
    assert not (await act(pool, iid, "review", "zhengfuban.head", clock.now())).changed


async def test_not_found_and_unknown(pool, clock: FakeClock, responders: Responders) -> None:
    with pytest.raises(NotFound):
        await act(pool, 999, "ack", "x", clock.now())
    with pytest.raises(UnknownAction):
        await act(pool, 1, "delete", "x", clock.now())


async def test_escalate_now_pages_the_next_step_at_once(
    pool, clock: FakeClock, responders: Responders
) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3)
    clock.advance(minutes=1)
    result = await act(pool, iid, "escalate-now", "zhengfuban.duty", clock.now(), {"department": "yingji"})
    assert result.detail["departments"] == ["yingji"]
    keys = {r["idem_key"] for r in await pool.fetch("SELECT idem_key FROM outbox")}
    assert f"esc:{iid}:yingji:r0:l0:s1:a0:person:yingji.head" in keys


async def reassign(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, iid: int, dept: str, reason: str
) -> ActionResult:
    """改派 by the duty officer, in its own transaction."""
    async with pool.acquire() as conn, conn.transaction():
        evidence = {"department": dept, "reason": reason}
        return await record_action(
            conn, iid, "reassign", "zhengfuban.duty", clock.now(), evidence, responders=responders
        )


async def test_reassign_moves_the_chain(pool, clock: FakeClock, responders: Responders) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3, lead="yingji")
    result = await reassign(pool, clock, responders, iid, "weijian", "属卫健职责")
    assert result.detail == {"from": "yingji", "to": "weijian", "reason": "属卫健职责"}
    inc = await pool.fetchrow("SELECT lead_department, policy FROM incidents WHERE id = $1", iid)
    assert inc["lead_department"] == "weijian" and "weijian" in inc["policy"]["chains"]
    chains = {r["department_id"]: r for r in await pool.fetch("SELECT * FROM escalations")}
    assert chains["yingji"]["done_reason"] == "reassigned" and chains["weijian"]["next_action_at"] is not None
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE target = 'person:weijian.duty'") == 1


@pytest.mark.parametrize(("grade", "stays"), [(2, "coordinator"), (3, "informed")])
async def test_the_duty_desk_reassigning_a_major_incident_stays_to_coordinate(
    pool, clock: FakeClock, responders: Responders, grade: int, stays: str
) -> None:
    # the desk led for want of a claim; once a department takes over a Ⅱ, the desk coordinates it (统筹), as
    # it would have had the department led from the start
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=grade, lead="zhengfuban")
    result = await reassign(pool, clock, responders, iid, "minzheng", "流浪儿童属民政职责")
    assert result.changed and result.detail.get("from_role") == (stays if stays != "informed" else None)
    role = await pool.fetchval(
        "SELECT role FROM incident_departments WHERE incident_id = $1 AND department_id = 'zhengfuban'", iid
    )
    inc = await pool.fetchrow("SELECT lead_department, policy FROM incidents WHERE id = $1", iid)
    desk = await pool.fetchrow("SELECT * FROM escalations WHERE department_id = 'zhengfuban'")
    assert role == stays and inc["lead_department"] == "minzheng"
    assert {"id": "zhengfuban", "role": stays} in inc["policy"]["departments"]
    assert ("zhengfuban" in inc["policy"]["chains"]) == (stays == "coordinator")
    assert (desk["done_reason"] == "reassigned") == (stays == "informed")


async def test_add_support_pages_the_department_and_keeps_the_lead(
    pool, clock: FakeClock, responders: Responders
) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3, lead="yingji")

    async def add(dept: str, actor: str = "zhengfuban.duty"):  # type: ignore[no-untyped-def]
        async with pool.acquire() as conn, conn.transaction():
            return await record_action(
                conn,
                iid,
                "add_support",
                actor,
                clock.now(),
                {"department": dept, "reason": "波及水源地"},
                responders=responders,
            )

    clock.advance(minutes=5)
    result = await add("shuiwu")
    assert result.changed and result.detail == {"department": "shuiwu", "reason": "波及水源地"}
    inc = await pool.fetchrow("SELECT lead_department, policy FROM incidents WHERE id = $1", iid)
    assert inc["lead_department"] == "yingji" and "shuiwu" in inc["policy"]["chains"]
    assert {"id": "shuiwu", "role": "support"} in inc["policy"]["departments"]
    role = await pool.fetchval(
        "SELECT role FROM incident_departments WHERE incident_id = $1 AND department_id = 'shuiwu'", iid
    )
    assert role == "support"
    chains = {r["department_id"]: r for r in await pool.fetch("SELECT * FROM escalations")}
    assert chains["shuiwu"]["next_action_at"] is not None and chains["yingji"]["done_at"] is None
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE target = 'person:shuiwu.duty'") == 1
    # adding it again, or the lead, changes nothing and pages no one
    assert not (await add("shuiwu")).changed and not (await add("yingji")).changed
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE target = 'person:shuiwu.duty'") == 1
    with pytest.raises(MissingEvidence):
        await add("mars")
    with pytest.raises(MissingEvidence):
        async with pool.acquire() as conn, conn.transaction():
            await record_action(conn, iid, "add_support", "x", clock.now(), {"department": "gongan"})
    await act(pool, iid, "resolve", "yingji.head", clock.now(), {"reason": "处置完毕"})
    with pytest.raises(WrongState):
        await add("gongan")


async def test_upgrade_starts_major_clocks_at_the_upgrade(
    pool, clock: FakeClock, responders: Responders
) -> None:
    async with pool.acquire() as conn:
        iid = await open_incident(conn, responders, clock.now(), grade=3)
    clock.advance(hours=3)
    policy = freeze_policy(
        responders, grade=2, kind="opinion", lead="yingji", departments=[("yingji", "lead")]
    )
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE incidents SET grade = 2, policy = $2 WHERE id = $1", iid, policy)
        await on_grade_changed(conn, iid, 3, 2, clock.now())
    c = await clocks(pool, iid)
    assert c["statement"]["started_at"] == clock.now()
    assert c["statement"]["due_at"] == clock.now() + timedelta(hours=5)
    assert c["press_conference"]["due_at"] == clock.now() + timedelta(hours=24)
    assert c["response"]["started_at"] == clock.now() - timedelta(hours=3)  # never restarted or paused
    keys = {r["idem_key"] for r in await pool.fetch("SELECT idem_key FROM outbox")}
    assert f"esc:{iid}:yingji:r1:l0:s0:a0:person:yingji.head" in keys  # re-paged with the major chain
