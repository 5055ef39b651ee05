"""`yuqing demo` end to end: the scripted scenario plays out through every source kind in accelerated time."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from monitor.db.embedded import start_embedded
from monitor.demo.corpus import build_corpus
from monitor.demo.runner import DemoOptions, run_demo
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_corpus_has_every_channel_and_the_scenario() -> None:
    items, actions = build_corpus(datetime(2026, 6, 1, tzinfo=UTC))
    assert {it.channel for it in items} == {"weibo", "news", "wechat", "hotline"}
    assert any("化工园区" in it.text for it in items)
    assert sum(it.channel == "hotline" for it in items) >= 5
    assert {a.kind for a in actions} == {"ack_link", "statement"}
    assert items == sorted(items, key=lambda it: it.at)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """One accelerated demo run (300×: the 5 h clock takes 60 s), its terminal output and data dir."""
    data_dir = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    opts = DemoOptions(
        speed=300.0,
        listen=("127.0.0.1", free_port()),
        responders=ROOT / "responders",
        data_dir=data_dir / "d",
        minutes=2.0,
        out=lines.append,
        start=datetime(2026, 6, 2, 1, 0, tzinfo=UTC),  # 09:00 in Shanghai, a Tuesday
    )
    asyncio.run(run_demo(opts))
    return lines, opts.data_dir


def test_demo_prints_tokens_and_console_address(demo_run: tuple[list[str], Path]) -> None:
    lines, _ = demo_run
    text = "\n".join(lines)
    assert re.search(r"zhengfuban\.duty\s+yq_\S{20,}", text)
    assert re.search(r"shuiwu\.head\s+yq_\S{20,}", text)
    assert "控制台：http://127.0.0.1:" in text


def test_demo_story_unfolds(demo_run: tuple[list[str], Path]) -> None:
    lines, _ = demo_run
    text = "\n".join(lines)
    # The explosion becomes a Ⅱ-grade incident led by 应急管理局; the water wave goes to 水务局.
    assert re.search(r"Ⅱ级 重大橙，应急管理局", text), text[-3000:]
    assert "水务局" in text
    assert "时限预警" in text
    assert "超时逐级上报" in text
    assert "一键确认链接" in text
    assert "确认接报" in text
    assert any(line.startswith("12345 工单") for line in lines)


def test_demo_database_holds_the_outcome(demo_run: tuple[list[str], Path]) -> None:
    _, data_dir = demo_run

    async def check() -> None:
        server = start_embedded(data_dir / "pgdata")
        try:
            conn = await asyncpg.connect(server.uri)
            try:
                kinds = {r["source_kind"] for r in await conn.fetch("SELECT DISTINCT source_kind FROM posts")}
                assert kinds == {"weibo", "feed", "hotline"} or kinds >= {"weibo", "hotline"}
                feeds = await conn.fetchval(
                    "SELECT count(DISTINCT source_id) FROM posts WHERE source_kind = 'feed'"
                )
                assert feeds == 2  # news RSS and the WeChat bridge
                major = await conn.fetchrow(
                    "SELECT id, grade, lead_department FROM incidents WHERE lead_department = 'yingji'"
                )
                assert major is not None and major["grade"] == 2
                water = await conn.fetch("SELECT id FROM incidents WHERE lead_department = 'shuiwu'")
                assert len(water) == 1, "12345 orders and Weibo posts about the water should be one incident"
                water_kinds = {
                    r["source_kind"]
                    for r in await conn.fetch(
                        """SELECT DISTINCT p.source_kind FROM incidents i
                           JOIN event_posts ep ON ep.event_id = i.event_id JOIN posts p ON p.id = ep.post_id
                           WHERE i.id = $1""",
                        water[0]["id"],
                    )
                }
                assert water_kinds >= {"hotline", "weibo"}, water_kinds
                acked = await conn.fetchval(
                    "SELECT count(*) FROM timeline"
                    " WHERE kind = 'ack' AND detail->'evidence'->>'via' = 'one_click_link'"
                )
                assert acked >= 1
                breached = await conn.fetchval(
                    "SELECT count(*) FROM timeline WHERE incident_id = $1 AND kind = 'clock_breach'",
                    major["id"],
                )
                assert breached >= 1
                dupes = await conn.fetchval(
                    "SELECT count(*) FROM captured_notifications WHERE deliveries > 1"
                )
                assert dupes == 0
            finally:
                await conn.close()
        finally:
            server.stop()

    asyncio.run(check())


def test_demo_says_which_responders_it_uses(demo_run: tuple[list[str], Path]) -> None:
    lines, _ = demo_run
    assert f"部门配置：{(ROOT / 'responders').resolve()}" in lines
