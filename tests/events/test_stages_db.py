"""The analysis and grouping stages against a real PostgreSQL: queues, events, heat series and locking."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import asyncpg

from monitor.clock import FakeClock
from monitor.config.responders import Responders
from monitor.events.prepared import grouping_text, prepared_bytes
from monitor.pipeline.analyse import AnalysisStage
from monitor.pipeline.analyzer import LazyAnalyzer
from monitor.pipeline.group import GroupingStage
from tests.events.fakes import Analysis, BatchRuleAnalyzer, RecordingHooks, RuleAnalyzer, insert_post

EXPLOSION = "云江市青石县临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援"
EXPLOSION_NEWS = "青石县临港化工园区化工厂爆炸事故：消防救援力量已赶赴现场处置，浓烟滚滚"
WATER = "江北区北湖街道多个小区停水三天了，自来水公司和物业互相推诿，居民生活受到严重影响"


async def drain(stage: AnalysisStage | GroupingStage) -> int:
    total = 0
    while n := await stage.run_once():
        total += n
    return total


async def test_analysis_stage_stores_results_and_survives_a_poison_post(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    good = await insert_post(pool, "a1", EXPLOSION + "，死亡3人", clock.now(), author_verified_type=1)
    bad = await insert_post(pool, "a2", "POISON", clock.now())
    stage = AnalysisStage(pool, clock, RuleAnalyzer(responders), batch_size=1)
    assert await drain(stage) == 2
    rows = {r["post_id"]: r for r in await pool.fetch("SELECT * FROM post_analysis")}
    assert rows[good]["topic"] == "安全生产/应急" and rows[good]["region"] == "qingshi-lingang"
    assert rows[good]["severity"]["deaths"] == 3 and rows[good]["severity"]["official_account"] is True
    assert rows[good]["polarity"] == "negative" and rows[good]["analysed_at"] == clock.now()
    assert "爆炸" in rows[good]["keywords"]  # the responders' words it says, which routing counts
    assert "RuntimeError" in rows[bad]["explain"]["error"] and rows[bad]["keywords"] == []
    assert await pool.fetchval("SELECT count(*) FROM posts WHERE analysed_at IS NULL") == 0
    assert await stage.run_once() == 0


async def test_batch_analysis_is_used_and_a_poison_batch_falls_back_post_by_post(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    for i in range(5):
        await insert_post(
            pool, f"k{i}", f"{WATER} {i}", clock.now(), author="江北发布", author_verified_type=1
        )
    analyzer = BatchRuleAnalyzer(responders)
    assert await AnalysisStage(pool, clock, analyzer, batch_size=10).run_once() == 5
    assert analyzer.batches == [5]
    assert await pool.fetchval("SELECT count(*) FROM post_analysis WHERE region = 'jiangbei-beihu'") == 5
    await insert_post(pool, "k9", "POISON", clock.now())
    await insert_post(pool, "k10", WATER, clock.now())
    assert await AnalysisStage(pool, clock, analyzer, batch_size=10).run_once() == 2
    errors = await pool.fetch("SELECT explain->>'error' AS e FROM post_analysis WHERE explain ? 'error'")
    assert len(errors) == 1 and "RuntimeError" in errors[0]["e"]


async def test_two_analysers_share_the_queue_without_double_work(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    for i in range(40):
        await insert_post(pool, f"q{i}", f"{WATER} {i}", clock.now())
    a, b = RuleAnalyzer(responders), RuleAnalyzer(responders)
    stages = [AnalysisStage(pool, clock, x, batch_size=7) for x in (a, b)]
    await asyncio.gather(*(drain(s) for s in stages))
    assert a.calls + b.calls == 40
    assert await pool.fetchval("SELECT count(*) FROM post_analysis") == 40


async def _ingest_and_analyse(pool: asyncpg.Pool, clock: FakeClock, responders: Responders) -> dict[str, int]:
    t = clock.now()
    ids = {
        "root": await insert_post(pool, "m1", EXPLOSION, t),
        "dup": await insert_post(pool, "m2", EXPLOSION + "！！", t + timedelta(minutes=1)),
        "repost": await insert_post(
            pool, "m3", "转发微博", t + timedelta(minutes=2), parent_external_id="m1", root_external_id="m1"
        ),
        "news": await insert_post(pool, "n1", EXPLOSION_NEWS, t + timedelta(minutes=3), source="news"),
        "water": await insert_post(pool, "m4", WATER, t + timedelta(minutes=4)),
    }
    await drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    return ids


async def test_grouping_collapses_reposts_duplicates_and_cross_source_reports(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    ids = await _ingest_and_analyse(pool, clock, responders)
    clock.advance(minutes=5)
    stage = GroupingStage(pool, clock, responders, hooks=RecordingHooks().hooks())
    assert await drain(stage) == 5
    rows = {r["post_id"]: r for r in await pool.fetch("SELECT * FROM event_posts")}
    event = rows[ids["root"]]["event_id"]
    assert [rows[ids[k]]["how"] for k in ("root", "dup", "repost", "news")] == [
        "new",
        "near_duplicate",
        "repost",
        "similar",
    ]
    assert {rows[ids[k]]["event_id"] for k in ("root", "dup", "repost", "news")} == {event}
    assert rows[ids["water"]]["event_id"] != event
    e = await pool.fetchrow("SELECT * FROM events WHERE id = $1", event)
    assert e["post_count"] == 4 and e["channels"] == ["news", "weibo"] and e["region"] == "qingshi-lingang"
    series = await pool.fetch("SELECT * FROM event_heat WHERE event_id = $1 ORDER BY bucket_at", event)
    assert sum(r["posts"] for r in series) == 4 and series[-1]["heat"] > 0
    assert await pool.fetchval("SELECT count(*) FROM posts WHERE grouped_at IS NULL") == 0
    assert await pool.fetchval("SELECT epoch FROM grouping_state") == 1


async def test_a_second_worker_rebuilds_its_window_from_the_tables(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    t = clock.now()
    await insert_post(pool, "m1", EXPLOSION, t)
    await drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    hooks = RecordingHooks().hooks()
    first, second = (GroupingStage(pool, clock, responders, hooks=hooks) for _ in range(2))
    await drain(first)
    await insert_post(pool, "n1", EXPLOSION_NEWS, t + timedelta(minutes=3), source="news")
    await insert_post(pool, "m2", "转发", t + timedelta(minutes=4), root_external_id="m1")
    await drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    await drain(second)  # never saw the first post in memory: must load it from the tables
    events = await pool.fetch("SELECT event_id, how FROM event_posts ORDER BY post_id")
    assert len({r["event_id"] for r in events}) == 1
    assert [r["how"] for r in events] == ["new", "similar", "repost"]


async def test_a_failed_batch_rolls_back_and_forgets_the_memory(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    hooks = RecordingHooks().hooks()

    async def broken(*args: object) -> None:
        raise RuntimeError("engine down")

    stage = GroupingStage(pool, clock, responders, hooks=replace(hooks, opened=broken))
    await insert_post(pool, "w1", WATER, clock.now())
    await drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    assert await drain(stage) == 1  # the memory is now current (epoch 1)
    # a death opens an incident, so the broken hook fails the whole batch
    await insert_post(pool, "m1", EXPLOSION, clock.now())
    await insert_post(pool, "m2", EXPLOSION + "，死亡1人", clock.now())
    await drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    try:
        await stage.run_once()
    except RuntimeError:
        pass
    else:
        raise AssertionError("the hook failure must propagate")
    assert await pool.fetchval("SELECT count(*) FROM events") == 1
    assert await pool.fetchval("SELECT count(*) FROM posts WHERE grouped_at IS NULL") == 2
    stage.hooks = hooks
    assert await drain(stage) == 2
    counts = [r["post_count"] for r in await pool.fetch("SELECT post_count FROM events ORDER BY id")]
    assert counts == [1, 2]  # not counted twice from memory left over by the failed batch
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 1


async def test_bursts_are_recorded_and_closed_when_the_event_goes_quiet(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    t = clock.now()
    for i in range(6):
        await insert_post(pool, f"b{i}", WATER + "!" * i, t + timedelta(seconds=i))
    await drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    stage = GroupingStage(pool, clock, responders, hooks=RecordingHooks().hooks())
    await drain(stage)
    burst = await pool.fetchrow("SELECT * FROM event_bursts")
    assert burst["started_at"] == t and burst["detected_at"] == t + timedelta(seconds=4)  # the fifth post
    assert burst["ended_at"] is None
    assert await pool.fetchval("SELECT bursting FROM events WHERE id = $1", burst["event_id"])
    clock.advance(hours=3)
    await insert_post(pool, "other", EXPLOSION, clock.now())
    await drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    await drain(stage)
    assert not await pool.fetchval("SELECT bursting FROM events WHERE id = $1", burst["event_id"])
    ended = await pool.fetchval("SELECT ended_at FROM event_bursts WHERE id = $1", burst["id"])
    assert ended == t + timedelta(seconds=5) + timedelta(minutes=75)


class NamesOnlyAnalyzer(RuleAnalyzer):
    """Like monitor.text: a hint resolves only when it is a place name (Weibo's 发布于 浙江 may not)."""

    def analyze(self, text: str, *, region_hint: str | None = None, **kw: Any) -> Analysis:
        hint = region_hint if region_hint and any(a == region_hint for a, _ in self.aliases) else None
        found = super().analyze(text, region_hint=None, **kw)
        if found.region is None and hint is not None:
            found.region = next(rid for alias, rid in self.aliases if alias == hint)
        return found


async def test_the_source_region_is_the_fallback_when_the_text_names_no_place(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    quiet = "小区门口的路灯坏了一个月了，没人来修"
    unplaced = await insert_post(pool, "r1", quiet, clock.now(), region_hint="浙江")
    named = await insert_post(pool, "r2", "江北区" + quiet, clock.now())
    by_name = await insert_post(pool, "r3", quiet, clock.now(), region_hint="滨江")
    order = await insert_post(pool, "r4", quiet, clock.now(), source="hotline", region_hint="yunshan")
    bare = await insert_post(pool, "r5", quiet, clock.now(), source="news")
    await pool.execute("UPDATE sources SET region = 'qingshi' WHERE id IN ('weibo-kw', 'hotline')")
    stage = AnalysisStage(pool, clock, NamesOnlyAnalyzer(responders), regions=responders.regions)
    assert await drain(stage) == 5
    rows = {r["post_id"]: r for r in await pool.fetch("SELECT * FROM post_analysis")}
    assert rows[unplaced]["region"] == "qingshi"  # the hint resolved to nothing: the source's region
    assert "source configured" in rows[unplaced]["explain"]["region_fallback"]
    assert rows[named]["region"] == "jiangbei"  # the text decides
    assert rows[by_name]["region"] == "binjiang" and "region_fallback" not in rows[by_name]["explain"]
    assert rows[order]["region"] == "yunshan"  # a 12345 order's region codes beat the source's region
    assert rows[bare]["region"] is None  # no place, no hint, no source region: 属地 stays unknown


async def test_a_story_about_another_province_is_not_made_local_by_its_source_region(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    """A local news site carries national news: its region must not open an incident for a mine in 山东."""
    mine = "山东宁阳一煤矿发生透水事故，已造成3人死亡、8人被困，救援正在进行"
    plant = "今晨一化工厂发生爆炸，已造成3人死亡，消防正在现场处置"  # names no place: the source's region
    away = [await insert_post(pool, f"s{i}", mine, clock.now(), source="news") for i in range(3)]
    home = [await insert_post(pool, f"h{i}", plant, clock.now(), source="news") for i in range(3)]
    await pool.execute("UPDATE sources SET region = 'qingshi' WHERE id = 'news'")
    analyzer = LazyAnalyzer(responders)  # monitor.text, the service's analyser
    try:
        assert await drain(AnalysisStage(pool, clock, analyzer, regions=responders.regions)) == 6
    finally:
        analyzer.close()
    rows = {r["post_id"]: r for r in await pool.fetch("SELECT * FROM post_analysis")}
    assert {rows[p]["region"] for p in away} == {None}
    assert rows[away[0]]["explain"]["region"]["outside"] == ["山东"]
    assert "山东" in rows[away[0]]["explain"]["region_fallback"]
    assert {rows[p]["region"] for p in home} == {"qingshi"}  # no place named: the source's region
    await drain(GroupingStage(pool, clock, responders))
    opened = await pool.fetch(
        "SELECT ep.post_id FROM incidents i JOIN event_posts ep ON ep.event_id = i.event_id"
    )
    assert {r["post_id"] for r in opened} == set(home)  # as grave as the plant, but not the city's


async def test_grouping_features_made_with_the_analysis_are_used_then_cleared(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    t = clock.now()
    texts = [EXPLOSION, EXPLOSION_NEWS, WATER, EXPLOSION + "！！", WATER + "，已经第四天"]
    ids = [
        await insert_post(pool, f"g{i}", text, t + timedelta(minutes=i), title="快讯" if i == 1 else "")
        for i, text in enumerate(texts)
    ]
    # the stage asks for rows (analyse_rows), as with the service's analyser: features come with them
    analyzer = LazyAnalyzer(responders, loader=BatchRuleAnalyzer)
    assert await drain(AnalysisStage(pool, clock, analyzer)) == 5
    stored = {r["id"]: r["group_features"] for r in await pool.fetch("SELECT id, group_features FROM posts")}
    assert stored[ids[1]] == prepared_bytes(grouping_text("快讯", EXPLOSION_NEWS))
    assert stored[ids[2]] == prepared_bytes(WATER)
    # grouping reads the stored features, not the text: swapped in from a water post, they decide
    await pool.execute("UPDATE posts SET group_features = $2 WHERE id = $1", ids[3], stored[ids[2]])
    # bytes grouping cannot read are ignored: it featurises that post's text itself
    await pool.execute("UPDATE posts SET group_features = '\\x0102'::bytea WHERE id = $1", ids[4])
    assert await drain(GroupingStage(pool, clock, responders)) == 5
    rows = await pool.fetch("SELECT post_id, event_id FROM event_posts")
    event = {r["post_id"]: r["event_id"] for r in rows}
    assert event[ids[0]] == event[ids[1]] != event[ids[2]] == event[ids[3]] == event[ids[4]]
    assert await pool.fetchval("SELECT count(*) FROM posts WHERE group_features IS NOT NULL") == 0
