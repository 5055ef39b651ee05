"""`yuqing replay` end to end on a small archive (rule analyser, real PostgreSQL and clock engine)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.pipeline.archive import read_archive
from monitor.pipeline.replay import Replay, ReplayOptions
from monitor.pipeline.replay_report import build_report
from tests.events.fakes import RuleAnalyzer

T0 = datetime(2026, 6, 1, 8, 2, tzinfo=UTC)
BLAST = "青石县临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援，周边居民紧急疏散"


def rec(i: str, minutes: float, text: str, **kw: object) -> str:
    return json.dumps(
        {"id": i, "text": text, "published_at": (T0 + timedelta(minutes=minutes)).isoformat(), **kw},
        ensure_ascii=False,
    )


ARCHIVE = [
    rec("w1", 0, BLAST),
    rec("r1", 1, "转发：爆炸太吓人了", parent_id="w1"),
    rec("r2", 2, "又是爆炸", parent_id="r1"),
    rec("n1", 11, "临港化工园区化工厂爆炸：消防正在现场救援，浓烟滚滚，周边居民已疏散", source="news"),
    rec("w2", 60, "临港化工园区化工厂爆炸事故已造成死亡12人，消防正在现场救援，周边居民疏散"),
    rec(
        "h1",
        90,
        "高新区某路段路灯不亮三天了",
        source="hotline",
        urgency="紧急",
        handler_unit="交通运输局",
        assist_units=["住建局"],
    ),
    rec("o1", 200, "今天天气很好，适合出去走走"),
]


async def test_replay_reports_incidents_members_grades_routes_and_clocks(
    pool: asyncpg.Pool, responders: Responders
) -> None:
    posts, problems = read_archive(ARCHIVE)
    assert problems == []
    options = ReplayOptions(tick=timedelta(minutes=5), drain=timedelta(hours=50), batch=50)
    stopwatch = FakeClock()
    run = await Replay(pool, responders, RuleAnalyzer(responders), options, stopwatch).run(posts)
    report = await build_report(pool, run, problems, None, 1.0)
    summary = report["summary"]
    assert summary["posts"] == 7 and summary["incidents"] == 2
    blast, order = report["incidents"]
    assert blast["members"]["ids"] == ["w1", "r1", "r2", "n1", "w2"]
    # a hazard in two posts: the first repost, seen at the next 5-minute poll, opens it
    assert blast["opened_at"] == "2026-06-01T08:05:00+00:00"
    assert [g["grade"] for g in blast["grades"]] == ["III", "II"]
    assert blast["grades"][1]["at"] == "2026-06-01T09:05:00+00:00"
    assert blast["route"]["lead"] == "yingji"
    assert {d["id"] for d in blast["route"]["departments"]} >= {"yingji", "zhengfuban", "xuanchuan"}
    outcomes = {c["kind"]: c["outcome"] for c in blast["clocks"] if c["legal"]}
    assert outcomes == {"response": "breached", "statement": "breached", "press_conference": "breached"}
    statement = next(c for c in blast["clocks"] if c["kind"] == "statement")
    assert statement["due_at"] == "2026-06-01T14:05:00+00:00" and statement["warnings_fired"] == 2
    assert order["kind"] == "hotline" and order["hotline_order_no"] == "h1"
    # the hotline dispatched it (承办单位 交通运输局): that department leads
    assert order["route"]["lead"] == "jiaotong", order["route"]
    assert any("12345派单至“交通运输局”" in x for x in order["route"]["reasons"])
    assert {"id": "zhujian", "role": "support"} in order["route"]["departments"]  # its 协办单位
    assert any(c["kind"] == "hotline" and c["outcome"] == "breached" for c in order["clocks"])
    assert summary["legal_clock_outcomes"]["breached"] >= 4
    assert summary["incidents_by_lead"]["yingji"] >= 1 and sum(summary["incidents_by_lead"].values()) == len(
        report["incidents"]
    )
    assert summary["supporting_departments"] == sum(
        d["role"] == "support" for i in report["incidents"] for d in i["route"]["departments"]
    )


async def test_settled_incidents_are_resolved_by_the_replay_keeping_their_outcomes(
    pool: asyncpg.Pool, responders: Responders
) -> None:
    posts, _ = read_archive(ARCHIVE[:4])
    options = ReplayOptions(drain=timedelta(hours=60), settle=timedelta(hours=1), batch=50)
    run = await Replay(pool, responders, RuleAnalyzer(responders), options, FakeClock()).run(posts)
    report = await build_report(pool, run, [], None, 1.0)
    (blast,) = report["incidents"]
    assert run.settled == 1 and report["summary"]["settled_by_replay"] == 1
    assert blast["state"] == "resolved"
    assert [c["outcome"] for c in blast["clocks"] if c["legal"]] == ["breached"]
    reason = await pool.fetchval("SELECT resolved_reason FROM incidents")
    assert reason.startswith("回放")


async def test_posts_with_nul_and_lone_surrogates_replay_and_are_stored(
    pool: asyncpg.Pool, responders: Responders
) -> None:
    archive = [
        rec("a", 0, "滨江\x00停水"),
        '{"id": "b", "text": "lone \\ud800 surrogate", "published_at": "2026-06-01T08:10:00Z"}',
        rec("c", 20, "今天天气很好"),
    ]
    posts, problems = read_archive(archive)
    assert problems == []
    options = ReplayOptions(drain=timedelta(hours=1), batch=50)
    await Replay(pool, responders, RuleAnalyzer(responders), options, FakeClock()).run(posts)
    stored = await pool.fetch("SELECT external_id, text FROM posts ORDER BY external_id")
    assert [(r["external_id"], r["text"]) for r in stored] == [
        ("a", "滨江停水"),
        ("b", "lone \ufffd surrogate"),
        ("c", "今天天气很好"),
    ]
