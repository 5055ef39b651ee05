"""The department view: its incidents and its on-time record for the statutory clocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from monitor.web.countdown import ClockView, format_span
from monitor.web.html import Html, join, render
from monitor.web.views.board import incident_card


def on_time_ratio(met: int, late: int, breached: int) -> float | None:
    """Share of decided clocks met on time (None when nothing is decided yet)."""
    decided = met + late + breached
    return met / decided if decided else None


def _record_row(row: dict[str, Any]) -> Html:
    ratio = on_time_ratio(row["met"], row["late"], row["breached"])
    mean = row["mean_s"]
    return render(
        '<tr><th scope="row">{label}</th><td>{total}</td><td>{met}</td><td>{late}</td><td>{breached}</td>'
        "<td>{running}</td><td>{ratio}</td><td>{mean}</td></tr>",
        label=row["label"],
        total=row["total"],
        met=row["met"],
        late=row["late"],
        breached=row["breached"],
        running=row["running"],
        ratio="—" if ratio is None else f"{ratio:.0%}",
        mean="—" if mean is None else format_span(float(mean)),
    )


def department_page(
    name: str,
    days: int,
    record: list[dict[str, Any]],
    items: Sequence[tuple[dict[str, Any], list[ClockView]]],
    now: datetime,
    zone: tzinfo,
) -> Html:
    table = (
        render(
            '<table class="record"><thead><tr><th scope="col">时限</th><th scope="col">总数</th>'
            '<th scope="col">按时</th><th scope="col">逾期完成</th><th scope="col">超时未完成</th>'
            '<th scope="col">计时中</th><th scope="col">按时率</th><th scope="col">平均用时</th></tr></thead>'
            "<tbody>{rows}</tbody></table>",
            rows=join(_record_row(r) for r in record),
        )
        if record
        else Html('<p class="muted">统计期内没有法定时限。</p>')
    )
    cards = (
        Html('<div class="cards">') + join(incident_card(i, c, now, zone) for i, c in items) + Html("</div>")
        if items
        else Html('<p class="empty">本部门当前没有事件。</p>')
    )
    return render(
        '<section class="department"><h1>{name}</h1>'
        '<section class="card"><h2>近 {days} 天按时情况（本部门主办）</h2>{table}</section>'
        '<section class="card"><h2>本部门事件</h2>{cards}</section></section>',
        name=name,
        days=days,
        table=table,
        cards=cards,
    )
