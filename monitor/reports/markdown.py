"""Markdown variants of the reports, for pasting into DingTalk/WeCom/Feishu groups (text is escaped)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from monitor.reports.format import (
    OUTCOME_NAMES,
    ROLE_NAMES,
    STATE_NAMES,
    clock_name,
    entry_note,
    grade_label,
    hours,
    local,
    ratio,
)
from monitor.reports.incident_data import IncidentReport
from monitor.reports.period_data import PeriodReport

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def md(text: object) -> str:
    """Escape Markdown and link syntax in untrusted text, and keep it on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def render_period_md(r: PeriodReport, tz: ZoneInfo) -> str:
    """The 日报/周报 as Markdown."""
    n = r.names
    lines = [
        f"## 舆情{r.period.name}（{r.period.label}）",
        "",
        f"**本期新开事件 {len(r.incidents)} 起**："
        + "，".join(f"{grade_label(g)} {c} 起" for g, c in r.by_grade.items()),
        "",
        "**按牵头部门**：" + ("，".join(f"{md(n.department(d))} {c}" for d, c in r.by_department) or "无"),
        "",
        "**按属地**：" + ("，".join(f"{md(n.region(g))} {c}" for g, c in r.by_region) or "无"),
        "",
        "### 各部门处置时效",
        "",
    ]
    if r.timeliness:
        lines += [
            "| 部门 | 时限 | 总数 | 按时 | 超时办结 | 超时未办 | 进行中 | 按时率 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {md(n.department(t.department))} | {clock_name(t.kind)} | {t.total} | {t.met} | {t.late} | "
            f"{t.breached} | {t.running} | {ratio(t.on_time_ratio)} |"
            for t in r.timeliness
        ]
    else:
        lines.append("本期无起算的法定时限。")
    lines += ["", "### 热点事件", ""]
    lines += [
        f"{k}. {md(e.title)}（{md(n.region(e.region))}，帖文 {e.posts} 条，峰值热度 {e.peak_heat:.1f}，"
        f"负面 {ratio(e.negative_share)}）"
        for k, e in enumerate(r.top_events, start=1)
    ] or ["本期无热点事件。"]
    lines += ["", "### 事件清单", ""]
    lines += [
        f"- \\#{i.incident_id} {md(i.title)} · {grade_label(i.grade)} · {md(n.department(i.department))} · "
        f"{local(i.opened_at, tz)} · {STATE_NAMES.get(i.state, i.state)}"
        for i in r.incidents
    ] or ["本期无新开事件。"]
    lines += ["", f"生成时间：{local(r.generated_at, tz, '%Y-%m-%d %H:%M')}（北京时间）"]
    return "\n".join(lines) + "\n"


def render_incident_md(r: IncidentReport, tz: ZoneInfo) -> str:
    """The 专报 as Markdown."""
    i, n = r.incident, r.names
    depts = "、".join(f"{md(n.department(d))}（{ROLE_NAMES.get(role, role)}）" for d, role in r.departments)
    lines = [
        f"## 舆情专报：{md(i['title'])}",
        "",
        f"- 等级：{grade_label(i['grade'])}；状态：{STATE_NAMES.get(i['state'], i['state'])}",
        f"- 属地：{md(n.region(i['region']))}；责任部门：{depts or md(n.department(i['department']))}",
        f"- 开启：{local(i['opened_at'], tz, '%Y-%m-%d %H:%M')}；签收用时：{hours(i['seconds_to_ack'])}",
        f"- 相关帖文 {r.posts_total} 条；平均负面概率 {ratio(r.mean_negative)}；峰值热度 "
        f"{max((h.heat for h in r.heat), default=0):.1f}",
        "- 主要信源：" + ("，".join(f"{md(name)} {c}" for name, _, c in r.sources) or "无"),
        "- 关键账号：" + ("，".join(f"{md(a.author)}（粉丝 {a.followers}）" for a in r.accounts[:5]) or "无"),
        "",
        "### 法定时限",
        "",
    ]
    lines += [
        f"- {clock_name(c.kind, c.label)}：截止 {local(c.due_at, tz)}，完成 {local(c.met_at, tz)}，"
        f"**{OUTCOME_NAMES.get(c.outcome, c.outcome)}**"
        for c in r.clocks
    ] or ["无法定时限。"]
    lines += ["", "### 处置情况", ""]
    lines += [
        f"- {local(t.at, tz)} {md(n.person(t.actor))}：{t.label}"
        + (f"（{md(entry_note(t, tz))}）" if entry_note(t, tz) else "")
        for t in r.actions
    ] or ["尚无处置记录。"]
    lines += ["", f"生成时间：{local(r.generated_at, tz, '%Y-%m-%d %H:%M')}（北京时间）"]
    return "\n".join(lines) + "\n"
