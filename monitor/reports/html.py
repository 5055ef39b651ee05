"""Self-contained, printable HTML for the 日报/周报 and the 专报 (inline CSS and SVG, no scripts)."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from monitor.incidents.grades import GRADE_CSS
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
from monitor.reports.svg import PALETTE, bar_chart, line_chart, stacked_bars

# Served with this policy by the console: styles inline, no script, nothing fetched.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
)
CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#222;margin:24px auto;
max-width:960px;padding:0 16px;line-height:1.5}
h1{font-size:24px;border-bottom:3px solid #c0392b;padding-bottom:6px;margin-bottom:4px}
h2{font-size:18px;border-left:4px solid #c0392b;padding-left:8px;margin-top:28px}
.meta{color:#666;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.grade-red{color:#c0392b;font-weight:bold}.grade-orange{color:#d35400;font-weight:bold}
.grade-yellow{color:#b7950b;font-weight:bold}.grade-blue{color:#2471a3;font-weight:bold}
.met{color:#1e8449}.late,.breached{color:#c0392b;font-weight:bold}.running,.closed{color:#666}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;
min-width:110px}.card b{display:block;font-size:26px}
.empty{color:#888}svg.chart{max-width:100%;height:auto}
@page{size:A4;margin:15mm}
@media print{body{margin:0;max-width:none}section{break-inside:avoid}h2{break-after:avoid}}
"""
SEGMENTS = (("按时", "#27ae60"), ("超时办结", "#e67e22"), ("超时未办", "#c0392b"), ("进行中", "#95a5a6"))


FULL = "%Y-%m-%d %H:%M"


def _head(*names: str) -> str:
    return "<tr>" + "".join(f"<th>{n}</th>" for n in names) + "</tr>"


def _doc(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def _grade(grade: int | None) -> str:
    css = GRADE_CSS.get(grade or 0, "")
    return f'<span class="grade-{css}">{escape(grade_label(grade))}</span>'


def render_period_html(r: PeriodReport, tz: ZoneInfo) -> str:
    """The 日报/周报 page."""
    n = r.names
    title = f"舆情{r.period.name}（{r.period.label}）"
    cards = "".join(
        f'<div class="card" data-grade="{g}">{escape(grade_label(g))}<b>{c}</b></div>'
        for g, c in r.by_grade.items()
    )
    out = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">统计区间：{local(r.period.start, tz, FULL)} 至 {local(r.period.end, tz, FULL)}'
        f"（北京时间）；生成时间：{local(r.generated_at, tz, FULL)}；数据来源：舆情哨数据库。</p>",
        "<section><h2>一、事件概况</h2>",
        f'<p>本期新开事件 <b data-total="incidents">{len(r.incidents)}</b> 起。</p>'
        f'<div class="cards">{cards}</div>',
        bar_chart("按牵头部门", [(n.department(d), c) for d, c in r.by_department]),
        bar_chart("按属地", [(n.region(g), c) for g, c in r.by_region], colour=PALETTE[1]),
        "</section>",
        "<section><h2>二、各部门处置时效</h2>",
        '<p class="meta">按本期起算的法定时限统计；按时率 = 按时 ÷（按时 + 超时办结 + 超时未办）。</p>',
        _timeliness_table(r),
        stacked_bars(
            "各部门时限完成情况",
            [
                (
                    f"{n.department(t.department)} · {clock_name(t.kind)}",
                    (t.met, t.late, t.breached, t.running),
                )
                for t in r.timeliness
            ],
            SEGMENTS,
        ),
        "</section>",
        "<section><h2>三、热点事件</h2>",
        line_chart(
            "热点事件热度走势", [(f"{e.title} #{e.event_id}", e.series) for e in r.top_events], tz, height=240
        ),
        _top_events_table(r),
        "</section>",
        "<section><h2>四、事件清单</h2>",
        _incident_table(r, tz),
        "</section>",
    ]
    return _doc(title, "".join(out))


def _timeliness_table(r: PeriodReport) -> str:
    if not r.timeliness:
        return '<p class="empty">本期无起算的法定时限。</p>'
    head = _head("部门", "时限", "总数", "按时", "超时办结", "超时未办", "进行中", "按时率")
    rows = []
    for t in r.timeliness:
        cells = "".join(
            f'<td class="n" data-k="{k}">{v}</td>'
            for k, v in (
                ("total", t.total),
                ("met", t.met),
                ("late", t.late),
                ("breached", t.breached),
                ("running", t.running),
            )
        )
        rows.append(
            f'<tr data-department="{escape(t.department)}" data-kind="{escape(t.kind)}">'
            f"<td>{escape(r.names.department(t.department))}</td><td>{escape(clock_name(t.kind))}</td>{cells}"
            f'<td class="n" data-k="ratio">{ratio(t.on_time_ratio)}</td></tr>'
        )
    return f'<table class="timeliness">{head}{"".join(rows)}</table>'


def _top_events_table(r: PeriodReport) -> str:
    if not r.top_events:
        return '<p class="empty">本期无热点事件。</p>'
    head = _head("事件", "属地", "帖文数", "负面占比", "峰值热度", "等级")
    rows = "".join(
        f'<tr data-event="{e.event_id}"><td>{escape(e.title)}</td><td>{escape(r.names.region(e.region))}</td>'
        f'<td class="n">{e.posts}</td><td class="n">{ratio(e.negative_share)}</td>'
        f'<td class="n" data-k="peak">{e.peak_heat:.1f}</td><td>{_grade(e.grade)}</td></tr>'
        for e in r.top_events
    )
    return f"<table>{head}{rows}</table>"


def _incident_table(r: PeriodReport, tz: ZoneInfo) -> str:
    if not r.incidents:
        return '<p class="empty">本期无新开事件。</p>'
    head = _head("编号", "标题", "等级", "牵头部门", "属地", "开启时间", "状态")
    rows = "".join(
        f'<tr data-incident="{i.incident_id}"><td>{i.incident_id}</td><td>{escape(i.title)}</td>'
        f"<td>{_grade(i.grade)}</td><td>{escape(r.names.department(i.department))}</td>"
        f"<td>{escape(r.names.region(i.region))}</td><td>{local(i.opened_at, tz)}</td>"
        f"<td>{escape(STATE_NAMES.get(i.state, i.state))}</td></tr>"
        for i in r.incidents
    )
    return f"<table>{head}{rows}</table>"


def render_incident_html(r: IncidentReport, tz: ZoneInfo) -> str:
    """The 专报 page for one incident."""
    i, n = r.incident, r.names
    title = f"舆情专报：{i['title']}"
    depts = "、".join(f"{n.department(d)}（{ROLE_NAMES.get(role, role)}）" for d, role in r.departments)
    facts = [
        ("事件编号", str(i["incident_id"])),
        ("等级", grade_label(i["grade"])),
        ("当前状态", STATE_NAMES.get(i["state"], i["state"])),
        ("属地", n.region(i["region"])),
        ("责任部门", depts or n.department(i["department"])),
        ("首次发现", local(i["first_seen_at"], tz, "%Y-%m-%d %H:%M")),
        ("开启时间", local(i["opened_at"], tz, FULL)),
        ("签收用时", hours(i["seconds_to_ack"])),
    ]
    fact_rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    clock_rows = "".join(
        f'<tr data-clock="{escape(c.kind)}"><td>{escape(clock_name(c.kind, c.label))}</td>'
        f"<td>{local(c.started_at, tz)}</td><td>{local(c.due_at, tz)}</td><td>{local(c.met_at, tz)}</td>"
        f"<td>{hours(c.seconds_to_evidence)}</td>"
        f'<td class="{c.outcome}" data-k="outcome">{escape(OUTCOME_NAMES.get(c.outcome, c.outcome))}</td>'
        "</tr>"
        for c in r.clocks
    )
    timeline_rows = "".join(
        f"<tr><td>{local(t.at, tz)}</td><td>{escape(t.label)}</td>"
        f"<td>{escape(n.person(t.actor))}</td><td>{escape(entry_note(t, tz))}</td></tr>"
        for t in r.timeline
    )
    action_rows = "".join(
        f"<li>{local(t.at, tz)} {escape(n.person(t.actor))}：{escape(t.label)}"
        f"{'（' + escape(entry_note(t, tz)) + '）' if entry_note(t, tz) else ''}</li>"
        for t in r.actions
    )
    pol = r.polarity
    out = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">生成时间：{local(r.generated_at, tz, FULL)}（北京时间）；',
        "数据来源：舆情哨数据库。</p>",
        f"<section><h2>一、事件概况</h2><table>{fact_rows}</table>",
        f"<p>{escape(i.get('summary') or '')}</p></section>",
        "<section><h2>二、热度与声量</h2>",
        line_chart("热度", [("热度", [(h.at, h.heat) for h in r.heat])], tz),
        bar_chart("每 15 分钟帖文数", [(local(h.at, tz), h.posts) for h in r.heat], colour=PALETTE[1]),
        "</section>",
        "<section><h2>三、信源与关键账号</h2>",
        f'<p>相关帖文共 <b data-total="posts">{r.posts_total}</b> 条。</p>',
        bar_chart("按信源", [(name, c) for name, _, c in r.sources]),
        f"<table>{_head('账号', '粉丝数', '认证', '帖文', '互动量')}",
        "".join(
            f"<tr><td>{escape(a.author)}</td><td class='n'>{a.followers}</td>"
            f"<td>{'政务/媒体' if a.verified_type in (1, 3) else '—'}</td><td class='n'>{a.posts}</td>"
            f"<td class='n'>{a.engagement}</td></tr>"
            for a in r.accounts
        ),
        "</table></section>",
        "<section><h2>四、情感倾向</h2>",
        f'<p>平均负面概率 <b data-total="negative">{ratio(r.mean_negative)}</b>；',
        f"负面 {pol.get('negative', 0)} 条，中性 {pol.get('neutral', 0)} 条，",
        f"正面 {pol.get('positive', 0)} 条。</p>",
        line_chart("负面占比", [("负面占比", [(h.at, h.negative_share) for h in r.heat])], tz, height=180),
        "</section>",
        "<section><h2>五、法定时限</h2>",
        f"<table>{_head('时限', '起算', '截止', '完成', '用时', '结果')}{clock_rows}</table></section>"
        if r.clocks
        else '<p class="empty">无法定时限。</p></section>',
        f"<section><h2>六、处置情况</h2><ul>{action_rows or '<li>尚无处置记录</li>'}</ul>",
        f"<h3>时间线</h3><table>{_head('时间', '事项', '操作人', '说明')}{timeline_rows}</table>",
        "</section>",
    ]
    return _doc(title, "".join(out))
