"""The duty board: open incidents as cards, soonest-breaching clock first, with live countdowns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from monitor.web.countdown import ClockView
from monitor.web.html import Html, join, render
from monitor.web.views.layout import options
from monitor.web.views.parts import countdowns, grade_badge, local_time

_CARD = """<article class="incident grade-{css}" data-incident-id="{id}">
<header>{badge} <a class="title" href="/incidents/{id}">{title}</a></header>
<p class="meta"><span>主办：{lead}</span>{support}<span>{region}</span>\
<span class="state state-{state}">{state_label}</span><span>立案 {opened}</span></p>
<div class="clocks">{clocks}</div>
</article>"""

_PAGE = """<section class="board" id="board" data-rows-url="{rows_url}" data-refresh-ms="{refresh_ms}">
<h1>值班看板</h1>
<form class="filters" method="get" action="/">
<label>部门 <select name="department"><option value="">全部</option>{dept_options}</select></label>
<label>地区 <select name="region"><option value="">全部</option>{region_options}</select></label>
<button type="submit">筛选</button>
</form>
<div id="board-rows" aria-live="polite">{rows}</div>
</section>"""


def incident_card(item: dict[str, Any], clocks: list[ClockView], now: datetime, zone: tzinfo) -> Html:
    # the others by their role: 协办, 统筹, 知会 (an informed former lead is not helping)
    others: dict[str, list[str]] = {}
    for d in item["departments"]:
        if d["role"] != "lead":
            others.setdefault(d["role_label"], []).append(d["name"])
    support = join(render("<span>{k}：{v}</span>", k=k, v="、".join(v)) for k, v in others.items())
    if item.get("suggested_leads"):  # the desk leads for want of a claim: whom routing named
        hint = "、".join(item["suggested_leads"])
        support = Html(support + render('<span class="suggested">可改派：{v}</span>', v=hint))
    return render(
        _CARD,
        css=item["grade_css"],
        id=item["id"],
        badge=grade_badge(item),
        title=item["title"],
        lead=item["lead_department"]["name"],
        support=support,
        region=item["region_name"] or "地区未知",
        state=item["state"],
        state_label=item["state_label"],
        opened=local_time(item["opened_at"], zone),
        clocks=countdowns(clocks, item["grade"], now, zone),
    )


def board_rows(
    items: Sequence[tuple[dict[str, Any], list[ClockView]]], total: int, now: datetime, zone: tzinfo
) -> Html:
    """The part of the board the page script refreshes."""
    summary = render(
        '<p class="summary" data-total="{total}" data-server-now="{now}">'
        "共 {total} 起未办结事件 · 更新于 {at}</p>",
        total=total,
        now=now.isoformat(),
        at=local_time(now, zone, "%H:%M:%S"),
    )
    if not items:
        return summary + Html('<p class="empty">当前没有未办结的事件。</p>')
    cards = join(incident_card(item, clocks, now, zone) for item, clocks in items)
    return Html(summary + Html('<div class="cards">') + cards + Html("</div>"))


def board_page(
    rows: Html,
    *,
    department: str | None,
    region: str | None,
    departments: list[tuple[str, str]],
    regions: list[tuple[str, str]],
    refresh_s: float,
) -> Html:
    query = urlencode({k: v for k, v in (("department", department), ("region", region)) if v})
    return render(
        _PAGE,
        rows_url="/board/rows" + (f"?{query}" if query else ""),
        refresh_ms=int(refresh_s * 1000),
        dept_options=options(departments, department),
        region_options=options(regions, region),
        rows=rows,
    )
