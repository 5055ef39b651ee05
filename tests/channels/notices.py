"""Notices for channel tests, including hostile post text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.channels.base import ClockLine, Link, Notice

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
HOSTILE = (
    "速看[点我领取](http://evil.example/x) <@all> **加粗** # 标题 <font color=red>假</font> @13800000000"
)


def notice(
    summary: str = "网传某化工厂发生爆燃，现场浓烟。",
    title: str = HOSTILE,
    key: str = "esc:1:yingji:r0:l0:s0:a0:person:x",
) -> Notice:
    return Notice(
        key=key,
        event="page",
        headline="新舆情事件，请确认接报",
        title=title,
        severity="critical",
        incident_id=1,
        grade=2,
        grade_label="Ⅱ级 重大",
        colour="橙",
        department="应急管理局",
        summary=summary,
        lines=("升级链第1步（第1轮）",),
        clocks=(
            ClockLine("发布权威信息", NOW + timedelta(hours=3), "running", 3 * 3600 + 720),
            ClockLine("举行新闻发布会", NOW + timedelta(hours=22), "running", 22 * 3600),
        ),
        links=(
            Link("确认接报", "https://yq.example/l/eyJ2IjoxfQ.sig"),
            Link("查看详情", "https://yq.example/l/eyJ2IjoyfQ.sig"),
        ),
    )


def digest_of(n: int) -> Notice:
    items = tuple(notice(key=f"k{i}", title=f"事件{i}：{'长标题' * 20}") for i in range(n))
    return Notice(key="digest:x", event="digest", headline=f"汇总：{n}条待处理通知", title="", items=items)
