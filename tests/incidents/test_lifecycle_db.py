"""Incidents from events against a real PostgreSQL: open, upgrade, timeline, 12345 并单, evidence, 改派."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.incidents.lifecycle import Order, ReassignError, engine_hooks, merge_order, reassign
from monitor.pipeline.analyse import AnalysisStage
from monitor.pipeline.group import GroupingStage
from tests.events.fakes import RecordingHooks, RuleAnalyzer, insert_post

BLAST = "青石县临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援，周边居民紧急疏散"
BLAST_NEWS = "临港化工园区化工厂爆炸：消防正在现场救援，浓烟滚滚，周边居民已疏散"
BLAST_DEATHS = "临港化工园区化工厂爆炸事故已造成死亡12人，消防正在现场救援，周边居民疏散"
WATER_ORDER = "江北区北湖街道幸福小区停水三天了，自来水公司和物业互相推诿，老人孩子生活困难"


async def step(pool: asyncpg.Pool, clock: FakeClock, stage: GroupingStage, responders: Responders) -> None:
    while await AnalysisStage(pool, clock, RuleAnalyzer(responders)).run_once():
        pass
    while await stage.run_once():
        pass


async def timeline(pool: asyncpg.Pool, incident_id: int) -> list[asyncpg.Record]:
    return list(await pool.fetch("SELECT * FROM timeline WHERE incident_id = $1 ORDER BY id", incident_id))


async def departments(pool: asyncpg.Pool, incident_id: int) -> dict[str, str]:
    rows = await pool.fetch("SELECT * FROM incident_departments WHERE incident_id = $1", incident_id)
    return {r["department_id"]: r["role"] for r in rows}


async def blast_with_engine(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> tuple[GroupingStage, asyncpg.Record]:
    """The explosion on Weibo and in the news, opened as an incident with the real clock engine."""
    stage = GroupingStage(pool, clock, responders, hooks=engine_hooks())
    await insert_post(pool, "b1", BLAST, clock.now())
    await insert_post(pool, "b2", BLAST_NEWS, clock.now(), source="news")
    await step(pool, clock, stage, responders)
    return stage, await pool.fetchrow("SELECT * FROM incidents")


@pytest.fixture
def hooks() -> RecordingHooks:
    return RecordingHooks()


async def test_open_then_upgrade_then_never_downgrade(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, hooks: RecordingHooks
) -> None:
    stage = GroupingStage(pool, clock, responders, hooks=hooks.hooks())
    t0 = clock.now()
    await insert_post(pool, "m1", BLAST, t0)
    await step(pool, clock, stage, responders)
    assert (
        await pool.fetchval("SELECT count(*) FROM incidents") == 0
    )  # one post with a hazard word is not enough

    clock.advance(minutes=5)
    await insert_post(pool, "n1", BLAST_NEWS, clock.now(), source="news")
    await step(pool, clock, stage, responders)
    inc = await pool.fetchrow("SELECT * FROM incidents")
    assert inc is not None
    event_id = await pool.fetchval("SELECT event_id FROM event_posts LIMIT 1")
    assert inc["dedup_key"] == f"event:{event_id}" and inc["kind"] == "opinion"
    assert (inc["grade"], inc["lead_department"], inc["region"]) == (3, "yingji", "qingshi-lingang")
    assert inc["first_seen_at"] == t0 and inc["opened_at"] == clock.now()
    assert [c["kind"] for c in inc["policy"]["clocks"]] == ["response"]
    assert await departments(pool, inc["id"]) == {"yingji": "lead"}
    assert await pool.fetchval("SELECT incident_id FROM events WHERE id = $1", event_id) == inc["id"]
    kinds = [r["kind"] for r in await timeline(pool, inc["id"])]
    assert kinds == ["opened", "post_joined", "post_joined"]
    assert hooks.calls == [("opened", inc["id"], clock.now())]

    clock.advance(minutes=30)
    await insert_post(pool, "m2", BLAST_DEATHS, clock.now())
    await step(pool, clock, stage, responders)
    inc2 = await pool.fetchrow("SELECT * FROM incidents WHERE id = $1", inc["id"])
    assert inc2["grade"] == 2
    assert [c["kind"] for c in inc2["policy"]["clocks"]] == ["statement", "press_conference"]  # re-frozen
    assert await departments(pool, inc["id"]) == {
        "yingji": "lead",
        "zhengfuban": "coordinator",
        "xuanchuan": "support",
    }
    rows = await timeline(pool, inc["id"])
    graded = [r for r in rows if r["kind"] == "graded"]
    assert len(graded) == 1 and (graded[0]["detail"]["from"], graded[0]["detail"]["to"]) == (3, 2)
    assert any(x["code"] == "casualties" for x in graded[0]["detail"]["reasons"])
    assert rows[-1]["kind"] == "post_joined" and rows[-1]["detail"]["how"] == "similar"
    assert rows[-1]["detail"]["excerpt"] == BLAST_DEATHS[:200]
    assert hooks.calls[-1] == ("graded", inc["id"], 3, 2, clock.now())

    clock.advance(hours=30)  # heat has decayed: the computed grade drops, the incident's does not
    await insert_post(pool, "m3", BLAST + "，现场已恢复平静", clock.now())
    await step(pool, clock, stage, responders)
    assert await pool.fetchval("SELECT grade FROM incidents WHERE id = $1", inc["id"]) == 2
    assert [r["kind"] for r in await timeline(pool, inc["id"])].count("graded") == 1


async def test_upgrade_moves_a_district_lead_up_unless_a_person_reassigned_it(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, hooks: RecordingHooks
) -> None:
    stage = GroupingStage(pool, clock, responders, hooks=hooks.hooks())
    text = "滨江区江滨街道幸福小区物业私自施工破坏外墙，居民投诉无人理睬"
    for i in range(5):  # five angry posts within a minute: a burst, so Ⅲ
        await insert_post(pool, f"c{i}", text + "!" * i, clock.now() + timedelta(seconds=10 * i))
    await step(pool, clock, stage, responders)
    inc = await pool.fetchrow("SELECT * FROM incidents")
    assert inc["lead_department"] == "binjiang-zhujian" and inc["grade"] == 3
    clock.advance(minutes=10)
    await insert_post(pool, "c9", text + "，已造成死亡10人", clock.now())
    await step(pool, clock, stage, responders)
    assert ("reassign", inc["id"], "zhujian", "system") in hooks.calls
    roles = await departments(pool, inc["id"])
    assert roles["zhujian"] == "lead" and roles["binjiang-zhujian"] == "support"


async def test_an_upgrade_to_major_brings_back_a_duty_desk_left_informed(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    stage, inc = await blast_with_engine(pool, clock, responders)
    # as after 改派 away from the desk, which had led the Ⅲ for want of a claim
    await pool.execute(
        "INSERT INTO incident_departments (incident_id, department_id, role, added_at)"
        " VALUES ($1, 'zhengfuban', 'informed', $2)",
        inc["id"],
        clock.now(),
    )
    clock.advance(minutes=30)
    await insert_post(pool, "b3", BLAST_DEATHS, clock.now())
    await step(pool, clock, stage, responders)
    assert await pool.fetchval("SELECT grade FROM incidents") == 2
    assert (await departments(pool, inc["id"]))["zhengfuban"] == "coordinator"  # 统筹 the Ⅱ
    graded = next(r for r in await timeline(pool, inc["id"]) if r["kind"] == "graded")
    assert {"id": "zhengfuban", "role": "coordinator"} in graded["detail"]["added_departments"]
    policy = await pool.fetchval("SELECT policy FROM incidents")
    assert "zhengfuban" in policy["chains"]
    paged = await pool.fetchval("SELECT next_action_at FROM escalations WHERE department_id = 'zhengfuban'")
    assert paged is not None


async def test_reassign_is_audited_and_validated(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, hooks: RecordingHooks
) -> None:
    stage = GroupingStage(pool, clock, responders, hooks=hooks.hooks())
    await insert_post(pool, "d1", BLAST + "死亡1人", clock.now(), author_verified_type=3)
    await step(pool, clock, stage, responders)
    incident_id = await pool.fetchval("SELECT id FROM incidents")
    async with pool.acquire() as conn, conn.transaction():
        for bad, why in [("nobody", "unknown"), ("yingji", "already"), ("shengtai", "")]:
            with pytest.raises(ReassignError):
                await reassign(
                    conn, responders, hooks.hooks(), incident_id, bad, "yingji.head", why, clock.now()
                )
        tid = await reassign(
            conn, responders, hooks.hooks(), incident_id, "shengtai", "yingji.head", "污染为主", clock.now()
        )
    row = await pool.fetchrow("SELECT * FROM timeline WHERE id = $1", tid)
    assert (row["actor"], row["kind"], row["detail"]["reason"]) == ("yingji.head", "reassign", "污染为主")
    async with pool.acquire() as conn:
        with pytest.raises(ReassignError):
            await reassign(conn, responders, hooks.hooks(), 999, "shengtai", "x", "y", clock.now())


async def test_hotline_orders_open_by_their_own_rules_and_merge(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, hooks: RecordingHooks
) -> None:
    stage = GroupingStage(pool, clock, responders, hooks=hooks.hooks())
    await insert_post(pool, "H0", "高新区某路段路灯不亮，希望尽快维修", clock.now(), source="hotline")
    await insert_post(
        pool, "H1", WATER_ORDER, clock.now(), source="hotline", extra={"order_no": "H1", "urgency": "紧急"}
    )
    await step(pool, clock, stage, responders)
    inc = await pool.fetchrow("SELECT * FROM incidents")
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 1  # the ordinary order opened nothing
    assert (inc["kind"], inc["dedup_key"], inc["hotline_order_no"]) == ("hotline", "hotline:H1", "H1")
    assert ("hotline", 7200.0) in [(c["kind"], c["within_s"]) for c in inc["policy"]["clocks"]]
    assert inc["grade_reasons"][0]["code"] == "hotline_urgency"

    clock.advance(minutes=20)
    await insert_post(pool, "H2", WATER_ORDER + "，再次反映", clock.now(), source="hotline")
    await insert_post(
        pool, "w1", "北湖街道幸福小区停水三天了，物业和自来水公司互相推诿，太气人了", clock.now()
    )
    await step(pool, clock, stage, responders)
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 1
    orders = await pool.fetch("SELECT order_no, how FROM incident_orders ORDER BY order_no")
    assert [(r["order_no"], r["how"]) for r in orders] == [("H1", "opened"), ("H2", "merged")]
    kinds = [r["kind"] for r in await timeline(pool, inc["id"])]
    assert kinds.count("merged") == 1 and kinds.count("post_joined") == 3

    await insert_post(pool, "H3", "临港化工园区附近有人聚集堵路", clock.now(), source="hotline")
    await step(pool, clock, stage, responders)
    risky = await pool.fetchrow("SELECT * FROM incidents WHERE hotline_order_no = 'H3'")
    assert risky["grade_reasons"][0]["code"] == "hotline_risk_words"


async def test_government_post_in_the_region_is_offered_as_candidate_evidence(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, hooks: RecordingHooks
) -> None:
    stage = GroupingStage(pool, clock, responders, hooks=hooks.hooks())
    await insert_post(pool, "d1", BLAST + "死亡1人", clock.now(), author_verified_type=3)
    await step(pool, clock, stage, responders)
    incident_id = await pool.fetchval("SELECT id FROM incidents")
    clock.advance(minutes=40)
    statement = "【情况通报】青石县临港化工园区一化工厂发生爆炸，消防正在现场救援，周边居民已紧急疏散"
    await insert_post(pool, "g1", statement, clock.now(), author="青石发布", author_verified_type=1)
    await insert_post(pool, "g3", statement + "。", clock.now(), author="网友")
    await step(pool, clock, stage, responders)
    rows = [r for r in await timeline(pool, incident_id) if r["kind"] == "candidate_evidence"]
    assert [r["detail"]["author"] for r in rows] == ["青石发布"]
    assert rows[0]["detail"]["suggests"] == "statement"


async def test_a_departments_word_in_a_member_post_not_the_title_is_named_as_a_hint(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, hooks: RecordingHooks
) -> None:
    stage = GroupingStage(pool, clock, responders, hooks=hooks.hooks())
    await insert_post(pool, "w1", BLAST + "，周边闻到刺鼻异味", clock.now())
    clock.advance(minutes=5)
    await insert_post(pool, "w2", BLAST_NEWS, clock.now(), source="news")
    await step(pool, clock, stage, responders)
    inc = await pool.fetchrow("SELECT * FROM incidents")
    assert inc is not None and "异味" not in inc["title"]  # the title is the news report
    assert await departments(pool, inc["id"]) == {"yingji": "lead"}  # a hint pages no one
    assert any(
        r.startswith("未列为协办") and r.endswith("云江市生态环境局（帖文提及：异味）")
        for r in inc["route_reasons"]
    ), inc["route_reasons"]
    assert inc["route_candidates"] == ["shengtai"]  # offered first by the console's 加派协办 form


async def test_two_workers_grouping_at_once_open_one_incident(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, hooks: RecordingHooks
) -> None:
    for i in range(60):
        text = BLAST if i % 2 else BLAST_NEWS
        await insert_post(pool, f"x{i}", f"{text}{'!' * (i % 7)}", clock.now() + timedelta(seconds=i))
    while await AnalysisStage(pool, clock, RuleAnalyzer(responders)).run_once():
        pass
    workers = [GroupingStage(pool, clock, responders, hooks=hooks.hooks(), batch_size=7) for _ in range(2)]
    rounds = 0
    while await pool.fetchval("SELECT count(*) FROM posts WHERE grouped_at IS NULL"):
        done = await asyncio.gather(*(w.run_once() for w in workers))
        rounds += 1
        assert sum(done) > 0 and rounds < 50
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 1
    assert await pool.fetchval("SELECT count(DISTINCT event_id) FROM event_posts") == 1
    assert await pool.fetchval("SELECT count(*) FROM event_posts") == 60
    assert [c[0] for c in hooks.calls].count("opened") == 1
    assert await pool.fetchval("SELECT post_count FROM events") == 60


async def test_with_the_real_engine_an_upgrade_starts_the_major_clocks(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    stage = GroupingStage(pool, clock, responders, hooks=engine_hooks())
    await insert_post(pool, "d1", BLAST + "死亡1人", clock.now(), author_verified_type=3)
    await step(pool, clock, stage, responders)
    clock.advance(minutes=15)
    await insert_post(pool, "d2", BLAST_DEATHS, clock.now())
    await step(pool, clock, stage, responders)
    clocks: dict[str, Any] = {
        r["kind"]: r for r in await pool.fetch("SELECT * FROM clocks WHERE legal ORDER BY id")
    }
    assert set(clocks) >= {"response", "statement", "press_conference"}
    assert clocks["statement"]["started_at"] == clock.now()
    assert clocks["statement"]["due_at"] - clock.now() == timedelta(hours=5)


async def test_an_incident_opens_when_the_deciding_post_was_seen_not_at_batch_end(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, hooks: RecordingHooks
) -> None:
    t0 = clock.now()
    await insert_post(pool, "s1", BLAST, t0)
    await insert_post(pool, "s2", BLAST_NEWS, t0 + timedelta(minutes=10), source="news")
    await insert_post(pool, "s3", BLAST + "！", t0 + timedelta(minutes=20))
    clock.advance(minutes=30)
    while await AnalysisStage(pool, clock, RuleAnalyzer(responders)).run_once():
        pass
    stage = GroupingStage(pool, clock, responders, hooks=hooks.hooks(), stop_at_decision=True)
    assert await stage.run_once() == 2  # stops right after the post that opened the incident
    inc = await pool.fetchrow("SELECT * FROM incidents")
    assert inc["opened_at"] == t0 + timedelta(minutes=10)
    assert hooks.calls == [("opened", inc["id"], t0 + timedelta(minutes=10))]
    assert await stage.run_once() == 1
    last = (await timeline(pool, inc["id"]))[-1]
    assert last["kind"] == "post_joined" and last["at"] == t0 + timedelta(minutes=20)


async def test_a_merged_order_adds_its_own_limit_clock_to_an_online_incident(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    stage, inc = await blast_with_engine(pool, clock, responders)
    assert inc["kind"] == "opinion" and inc["policy"]["hotline"]["limits"]["紧急"] == 7200.0
    assert await pool.fetchval("SELECT count(*) FROM clocks WHERE kind = 'hotline'") == 0

    clock.advance(minutes=30)
    merged_at = clock.now()
    order = BLAST + "，附近居民来电反映"
    await insert_post(
        pool, "O1", order, merged_at, source="hotline", extra={"order_no": "O1", "urgency": "一般"}
    )
    await step(pool, clock, stage, responders)
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 1
    hot = await pool.fetchrow("SELECT * FROM clocks WHERE incident_id = $1 AND kind = 'hotline'", inc["id"])
    assert hot["legal"] and hot["started_at"] == merged_at
    assert hot["due_at"] - merged_at == timedelta(days=7) and hot["label"] == "12345 一般时限"
    started = [r for r in await timeline(pool, inc["id"]) if r["kind"] == "clocks_started"]
    assert started[-1]["detail"]["reason"] == "order_merged" and started[-1]["detail"]["order_no"] == "O1"

    clock.advance(minutes=10)
    await insert_post(
        pool,
        "O2",
        order + "，情况紧急",
        clock.now(),
        source="hotline",
        extra={"order_no": "O2", "urgency": "紧急"},
    )
    await insert_post(
        pool, "O3", order + "，再次来电", clock.now(), source="hotline", extra={"order_no": "O3"}
    )
    await step(pool, clock, stage, responders)
    hot = await pool.fetchrow("SELECT * FROM clocks WHERE incident_id = $1 AND kind = 'hotline'", inc["id"])
    assert hot["due_at"] - clock.now() == timedelta(hours=2) and hot["label"] == "12345 紧急时限"
    assert hot["next_fire_at"] is not None and hot["next_fire_at"] <= hot["due_at"]
    kinds = [r["kind"] for r in await timeline(pool, inc["id"])]
    assert (
        kinds.count("merged") == 3 and kinds.count("clock_tightened") == 1
    )  # the ordinary O3 changes nothing


async def test_the_units_a_merged_order_was_dispatched_to_support_and_are_paged(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    stage, inc = await blast_with_engine(pool, clock, responders)
    inc_id = inc["id"]
    assert await departments(pool, inc_id) == {"yingji": "lead"}

    clock.advance(minutes=30)
    order = BLAST + "，附近居民来电反映自来水有异味"
    extra = {"order_no": "Z1", "urgency": "一般", "handler_unit": "水务局", "assist_units": ["望江街道"]}
    await insert_post(pool, "Z1", order, clock.now(), source="hotline", extra=extra)
    await step(pool, clock, stage, responders)
    # the hotline made 水务局 answer for order Z1: it supports the incident and is paged now
    roles = await departments(pool, inc_id)  # three channels now: Ⅱ, so the desk and press office join
    assert roles["yingji"] == "lead" and roles["shuiwu"] == "support"
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE target = 'person:shuiwu.duty'") == 1
    rows = await timeline(pool, inc_id)
    merged = next(r for r in rows if r["kind"] == "merged")
    assert merged["detail"]["units"] == ["水务局", "望江街道"]
    assert merged["detail"]["unknown_units"] == ["望江街道"]  # named, for the aliases
    added = [r for r in rows if r["kind"] == "add_support"]
    assert len(added) == 1 and added[0]["actor"] == "system"
    assert added[0]["detail"]["reason"] == "12345并单：工单Z1派单至“水务局”"

    clock.advance(minutes=10)  # a second order to the same unit pages no one again
    extra = {"order_no": "Z2", "handler_unit": "云江市水务局"}
    await insert_post(pool, "Z2", order + "，再次来电", clock.now(), source="hotline", extra=extra)
    await step(pool, clock, stage, responders)
    assert [r["kind"] for r in await timeline(pool, inc_id)].count("add_support") == 1
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE target = 'person:shuiwu.duty'") == 1


async def test_a_merged_order_uses_the_limits_frozen_when_the_incident_opened(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    _, inc = await blast_with_engine(pool, clock, responders)
    inc_id = inc["id"]
    frozen = {"limits": {"紧急": 3600.0, "一般": 86400.0}, "default_urgency": "一般"}
    await pool.execute(
        "UPDATE incidents SET policy = jsonb_set(policy, '{hotline}', $2::jsonb) WHERE id = $1",
        inc_id,
        frozen,
    )
    clock.advance(minutes=5)
    async with pool.acquire() as conn, conn.transaction():
        assert await merge_order(
            conn, responders, engine_hooks(), inc_id, Order("P1", None, None), "来电", clock.now()
        )
    due = await pool.fetchval("SELECT due_at FROM clocks WHERE incident_id = $1 AND kind = 'hotline'", inc_id)
    assert due - clock.now() == timedelta(days=1)  # the frozen 一般 limit, not today's 7 days
