"""Retention against a real PostgreSQL: old events without an incident go with their posts; incidents, what
they rest on, 12345 work orders and recent events stay; grouping carries on over what is left."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from monitor.cli import main
from monitor.clock import FakeClock
from monitor.commands.prune import prune
from monitor.config.policy import RetentionPolicy
from monitor.config.responders import Responders
from monitor.metrics import Metrics
from monitor.pipeline.analyse import AnalysisStage
from monitor.pipeline.group import GroupingStage
from monitor.retention.job import Pruner
from monitor.retention.store import Pruned, pending, prune_batch
from monitor.settings import Settings
from tests.events.fakes import RecordingHooks, RuleAnalyzer, insert_post

ROOT = Path(__file__).resolve().parents[2]
EXPLOSION = "云江市青石县临港化工园区一化工厂发生爆炸，现场浓烟滚滚，消防正在赶往现场救援，死亡3人"
NOISE = [
    "今天江边的晚霞真好看，拍了好多照片",
    "周末去新开的书店看书，环境很安静",
    "小区楼下的桂花开了，满街都是香味",
]
STREETLIGHT = "江北区北湖街道幸福路的路灯坏了一个多星期了，晚上走路很不安全，希望尽快修好"
KEEP = RetentionPolicy(posts=timedelta(days=180))


async def _drain(stage: AnalysisStage | GroupingStage) -> int:
    total = 0
    while n := await stage.run_once():
        total += n
    return total


async def _ingest(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders, posts: dict[str, str]
) -> None:
    for external_id, text in posts.items():
        await insert_post(pool, external_id, text, clock.now())
    await _drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    await _drain(GroupingStage(pool, clock, responders, hooks=RecordingHooks().hooks()))


async def _post(pool: asyncpg.Pool, external_id: str) -> int:
    post_id: int = await pool.fetchval("SELECT id FROM posts WHERE external_id = $1", external_id)
    return post_id


async def _order_for(pool: asyncpg.Pool, post_id: int, order_no: str, clock: FakeClock) -> None:
    await pool.execute(
        """INSERT INTO hotline_orders (order_no, source_id, intake, received_at, post_id, created_at)
           VALUES ($1, 'hotline', 'push', $2, $3, $2)""",
        order_no,
        clock.now(),
        post_id,
    )


async def _counts(pool: asyncpg.Pool) -> dict[str, int]:
    tables = ("posts", "post_analysis", "events", "event_posts", "event_signatures", "event_heat")
    return {t: int(await pool.fetchval(f"SELECT count(*) FROM {t}")) for t in tables}


async def _old_world(pool: asyncpg.Pool, clock: FakeClock, responders: Responders) -> None:
    """An incident, three noise events and a 12345 order's post, then 181 days later a fresh noise post."""
    explosion = {"boom": EXPLOSION, "boom2": EXPLOSION + "！！", "boom3": "转发：" + EXPLOSION}
    await _ingest(pool, clock, responders, {**explosion, "lamp": STREETLIGHT})
    await _ingest(pool, clock, responders, {f"n{i}": text for i, text in enumerate(NOISE)})
    await _order_for(pool, await _post(pool, "lamp"), "HL-0001", clock)
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 1
    clock.advance(days=181)
    await _ingest(pool, clock, responders, {"fresh": NOISE[0] + "，今天又去拍了"})


async def test_old_events_without_an_incident_go_and_everything_else_stays(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    await _old_world(pool, clock, responders)
    incident_event = await pool.fetchval("SELECT event_id FROM incidents")
    lamp, fresh = await _post(pool, "lamp"), await _post(pool, "fresh")
    old_noise = [await _post(pool, f"n{i}") for i in range(3)]
    before = await _counts(pool)
    async with pool.acquire() as conn:
        dry = await pending(conn, clock.now() - KEEP.posts)  # type: ignore[operator]
    assert dry == Pruned(events=4, posts=3)  # three noise events and the order's, whose post stays
    metrics = Metrics()
    pruner = Pruner(pool, clock, KEEP, batch_events=3, metrics=metrics)
    assert await pruner.run_once() == 3 and await pruner.run_once() == 1 and await pruner.run_once() == 0
    after = await _counts(pool)
    assert before["events"] - after["events"] == 4
    assert before["posts"] - after["posts"] == 3 and before["post_analysis"] - after["post_analysis"] == 3
    left = {r["id"] for r in await pool.fetch("SELECT id FROM posts")}
    assert not left & set(old_noise) and {lamp, fresh} <= left
    # the incident's event, posts, analysis and heat are intact
    members = await pool.fetch("SELECT post_id FROM event_posts WHERE event_id = $1", incident_event)
    assert {r["post_id"] for r in members} == {await _post(pool, b) for b in ("boom", "boom2", "boom3")}
    assert await pool.fetchval("SELECT count(*) FROM event_heat WHERE event_id = $1", incident_event) > 0
    assert await pool.fetchval("SELECT count(*) FROM post_analysis WHERE post_id = $1", lamp) == 1
    # the order's post keeps its analysis but no longer belongs to the deleted event
    assert await pool.fetchval("SELECT count(*) FROM event_posts WHERE post_id = $1", lamp) == 0
    assert await pool.fetchval("SELECT count(*) FROM event_posts WHERE post_id = $1", fresh) == 1
    # nothing points at a deleted event
    for table in ("event_posts", "event_signatures", "event_heat", "event_bursts"):
        orphans = await pool.fetchval(
            f"""SELECT count(*) FROM {table} t
                WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = t.event_id)"""
        )
        assert orphans == 0, table
    deleted = {s.labels["kind"]: s.value for m in metrics.registry.collect() for s in m.samples
               if s.name == "yuqing_retention_deleted_total"}  # fmt: skip
    assert deleted == {"events": 4.0, "posts": 3.0}


async def test_grouping_carries_on_over_pruned_events(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    await _old_world(pool, clock, responders)
    group = GroupingStage(pool, clock, responders, hooks=RecordingHooks().hooks())
    await _drain(group)  # this worker's window is loaded before the prune
    await Pruner(pool, clock, KEEP).run_once()
    # a late repost of a deleted post, and a post like a deleted one: each simply starts an event
    await insert_post(pool, "late", "转发微博", clock.now(), parent_external_id="n1", root_external_id="n1")
    await insert_post(pool, "again", NOISE[2], clock.now())
    await _drain(AnalysisStage(pool, clock, RuleAnalyzer(responders)))
    assert await _drain(group) == 2
    hows = await pool.fetch(
        "SELECT p.external_id, ep.how FROM event_posts ep JOIN posts p ON p.id = ep.post_id "
        "WHERE p.external_id IN ('late', 'again') ORDER BY 1"
    )
    assert [(r["external_id"], r["how"]) for r in hows] == [("again", "new"), ("late", "new")]


async def test_nothing_goes_when_retention_is_off_or_nothing_is_old(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    await _ingest(pool, clock, responders, {f"n{i}": text for i, text in enumerate(NOISE)})
    before = await _counts(pool)
    assert await Pruner(pool, clock, RetentionPolicy(posts=None)).run_once() == 0
    assert await Pruner(pool, clock, KEEP).run_once() == 0
    clock.advance(days=179)
    assert await Pruner(pool, clock, KEEP).run_once() == 0
    assert await _counts(pool) == before


async def test_a_batch_waits_for_grouping_and_gives_up_when_it_stays_busy(
    pool: asyncpg.Pool, clock: FakeClock, responders: Responders
) -> None:
    await _ingest(pool, clock, responders, {"n0": NOISE[0]})
    clock.advance(days=200)
    async with pool.acquire() as grouping, grouping.transaction():
        await grouping.execute("SELECT 1 FROM grouping_state WHERE id = 1 FOR UPDATE")
        async with pool.acquire() as conn:
            with pytest.raises(asyncpg.LockNotAvailableError):
                async with conn.transaction():
                    await prune_batch(conn, clock.now(), 10, lock_timeout="200ms")
    # once grouping lets go, the same batch goes through
    async with pool.acquire() as conn, conn.transaction():
        assert await prune_batch(conn, clock.now(), 10) == Pruned(events=1, posts=1)


async def test_yuqing_prune_counts_then_deletes(
    pool: asyncpg.Pool, db_url: str, clock: FakeClock, responders: Responders
) -> None:
    await _old_world(pool, clock, responders)
    settings = Settings.from_env({"DATABASE_URL": db_url}, responders_path=ROOT / "responders")
    args = argparse.Namespace(responders=ROOT / "responders", dry_run=True)
    dry = await prune(settings, args, clock)
    assert dry.startswith("retention 180d: would delete 4 events without an incident last seen before ")
    assert dry.endswith(" and 3 of their posts")
    assert await pool.fetchval("SELECT count(*) FROM events") == 6
    args.dry_run = False
    done = await asyncio.wait_for(prune(settings, args, clock), 60)
    assert done.startswith("retention 180d: deleted 4 events") and done.endswith(" and 3 of their posts")
    assert await pool.fetchval("SELECT count(*) FROM events") == 2


def test_yuqing_prune_refuses_where_there_is_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("YUQING_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["prune", "--dry-run", "--responders", str(ROOT / "responders")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("yuqing prune: no database: DATABASE_URL is not set")
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_yuqing_prune_on_the_command_line(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["prune", "--responders", str(ROOT / "responders")]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("retention 180d: deleted 0 events without an incident last seen before ")
