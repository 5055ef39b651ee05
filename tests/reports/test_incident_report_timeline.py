"""The 专报's 处置情况 lists what people did, in the console's words; its timeline folds repeated pages."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from monitor.config.responders import Responders
from monitor.reports.build import incident_report
from tests.reports.seed import NOW, seed


async def _engine_steps(conn: asyncpg.Connection, incident_id: int) -> None:
    start = await conn.fetchval("SELECT opened_at FROM incidents WHERE id = $1", incident_id)
    rows = [(start, "system", "clocks_started", {"clocks": [{"kind": "statement", "label": "发布权威信息"}]})]
    for hour in range(3):  # a chain repeating while nobody acknowledges: the same page three times
        at = start + timedelta(hours=hour, minutes=1)
        rows.append((at, "system", "escalation", {"targets": ["person:yingji.duty"], "step": 0}))
        rows.append(
            (
                at + timedelta(seconds=1),
                "system",
                "notification",
                {
                    "channel": "dingtalk",
                    "dest": "yingji/group",
                    "outcome": "sent",
                    "target": "channel:yingji/group",
                },
            )
        )
    await conn.executemany(
        "INSERT INTO timeline (incident_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5)",
        [(incident_id, at, actor, kind, detail) for at, actor, kind, detail in rows],
    )


async def test_actions_are_peoples_and_the_timeline_reads_as_on_the_console(
    pool: asyncpg.Pool, responders: Responders
) -> None:
    async with pool.acquire() as conn:
        incident_id = (await seed(conn))["ids"]["云江化工厂爆炸"]
        await _engine_steps(conn, incident_id)
    md = await incident_report(pool, incident_id, NOW, responders, "md")
    html = await incident_report(pool, incident_id, NOW, responders, "html")
    assert md is not None and html is not None
    actions = md.split("### 处置情况", 1)[1].split("生成时间", 1)[0].strip().splitlines()
    assert actions and all("系统" not in line and "system" not in line for line in actions), actions
    assert any("确认接报" in line for line in actions), actions
    for code in ("clocks_started", "escalation", "notification", "system："):
        assert code not in md and f">{code}<" not in html, code
    assert "法定时限开始计时" in html and "呼叫责任人" in html
    rows = [r for r in html.split("<tr>") if "呼叫责任人" in r]
    assert len(rows) == 1 and "共 3 次" in rows[0], rows  # three identical pages, one line
