"""The incident page: grade and why, departments, clocks, actions, heat, posts (always escaped), timeline."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from monitor.events.summary import event_summary
from monitor.web.countdown import ClockView
from monitor.web.html import Html, join, link, render
from monitor.web.timeline import folded_timeline
from monitor.web.views.chart import heat_chart
from monitor.web.views.parts import countdowns, grade_badge, local_time, number

_PAGE = """<article class="incident-page grade-{css}" data-incident-id="{id}">
{flash}
<header class="incident-head">{badge}<h1>{title}</h1>
<p class="meta"><span class="state state-{state}">{state_label}</span><span>{region}</span>\
<span>首发 {first_seen}</span><span>立案 {opened}</span>{order}</p>
{summary}
</header>
<section class="card"><h2>定级依据</h2>{grade_reasons}</section>
<section class="card"><h2>责任部门</h2><ul class="departments">{departments}</ul>{route_reasons}</section>
<section class="card" id="clocks"><h2>法定时限</h2><div class="clocks">{clocks}</div>{evidence}</section>
<section class="card" id="actions"><h2>处置操作</h2>{actions}</section>
<section class="card"><h2>热度</h2>{chart}</section>
<section class="card" id="posts"><h2>相关帖文（{post_count}）</h2>{posts}</section>
<section class="card" id="timeline"><h2>时间线</h2>{timeline}</section>
</article>"""

_POST = """<li class="post">
<p class="post-meta"><span class="source">{source}</span><span class="author">{author}</span>\
<span>粉丝 {followers}</span><span>{published}</span></p>
{title}<p class="post-text">{text}</p>
<p class="engagement"><span>转发 {reposts}</span><span>评论 {comments}</span>\
<span>点赞 {likes}</span>{origin}</p>
</li>"""


def _list(items: list[str], empty: str) -> Html:
    if not items:
        return render('<p class="muted">{e}</p>', e=empty)
    return Html("<ul>") + join(render("<li>{i}</li>", i=i) for i in items) + Html("</ul>")


def post_item(post: dict[str, Any], zone: tzinfo) -> Html:
    """One post; its title, text and author are hostile input and are only ever escaped."""
    return render(
        _POST,
        source=post["source"]["name"],
        author=post["author"] or "匿名",
        followers=number(post["author_followers"]),
        published=local_time(post["published_at"], zone),
        title=render('<p class="post-title">{t}</p>', t=post["title"]) if post["title"] else Html(""),
        text=post["text"],
        reposts=number(post["reposts"]),
        comments=number(post["comments"]),
        likes=number(post["likes"]),
        origin=link(post["url"], "查看原文"),
    )


def _summary(item: dict[str, Any]) -> Html:
    """The event as it stands, then the snapshot stored when the incident opened (which may be hours old)."""
    event, opened = item.get("event"), item["summary"]
    if not event:
        return render('<p class="summary">{s}</p>', s=opened) if opened else Html("")
    now = event_summary(event["posts"], event["channels"], event["heat"], event["negative_share"])
    return render(
        '<p class="summary"><span class="now">现 {now}</span>{opened}</p>',
        now=now,
        opened=render('<span class="muted">（立案时 {s}）</span>', s=opened) if opened else Html(""),
    )


def _timeline(items: list[dict[str, Any]], zone: tzinfo) -> Html:
    if not items:
        return Html('<p class="muted">暂无记录。</p>')
    rows = [
        render(
            '<li class="tl tl-{kind}"><time>{at}</time><span class="actor">{actor}</span>'
            '<span class="what">{label}</span>{note}{repeats}{url}</li>',
            kind=entry["kind"],
            at=local_time(entry["at"], zone, "%m-%d %H:%M:%S"),
            actor=entry["actor_name"] or entry["actor"],
            label=entry["kind_label"],
            note=render('<span class="note">{n}</span>', n=entry["note"]) if entry["note"] else Html(""),
            repeats=render(
                '<span class="repeats">共 {n} 次，最近一次 {last}</span>',
                n=str(entry["repeats"]),
                last=local_time(entry["last_at"], zone, "%m-%d %H:%M:%S"),
            )
            if entry.get("repeats", 1) > 1
            else Html(""),
            url=link(entry["url"], entry["url"]) if entry["url"] else Html(""),
        )
        for entry in folded_timeline(items)
    ]
    return Html('<ol class="timeline">') + join(rows) + Html("</ol>")


def _evidence(item: dict[str, Any], zone: tzinfo) -> Html:
    parts = []
    if item.get("statement_url"):
        parts.append(render("<li>权威信息：{u}</li>", u=link(item["statement_url"], item["statement_url"])))
    if item.get("press_conference_at"):
        parts.append(render("<li>新闻发布会：{t}</li>", t=local_time(item["press_conference_at"], zone)))
    if item.get("responded_at"):
        parts.append(render("<li>已回应：{t}</li>", t=local_time(item["responded_at"], zone)))
    if item.get("resolved_at"):
        parts.append(
            render(
                "<li>办结：{t}（{r}）</li>",
                t=local_time(item["resolved_at"], zone),
                r=item["resolved_reason"],
            )
        )
    return Html('<ul class="evidence">') + join(parts) + Html("</ul>") if parts else Html("")


def incident_page(
    item: dict[str, Any],
    clocks: list[ClockView],
    timeline: list[dict[str, Any]],
    actions: Html,
    flash: Html,
    now: datetime,
    zone: tzinfo,
) -> Html:
    departments = join(
        render(
            '<li><span class="role role-{r}">{rl}</span> {name}</li>',
            r=d["role"],
            rl=d["role_label"],
            name=d["name"],
        )
        for d in item["departments"]
    )
    heat = [(datetime.fromisoformat(p["at"]), float(p["heat"])) for p in item["heat"]]
    posts = item["posts"]
    return render(
        _PAGE,
        css=item["grade_css"],
        id=item["id"],
        flash=flash,
        badge=grade_badge(item),
        title=item["title"],
        state=item["state"],
        state_label=item["state_label"],
        region=item["region_name"] or "地区未知",
        first_seen=local_time(item["first_seen_at"], zone),
        opened=local_time(item["opened_at"], zone),
        order=render("<span>工单 {o}</span>", o=item["hotline_order_no"])
        if item["hotline_order_no"]
        else Html(""),
        summary=_summary(item),
        grade_reasons=_list(item["grade_reasons"], "未记录定级依据"),
        departments=departments,
        route_reasons=_list(item["route_reasons"], ""),
        clocks=countdowns(clocks, item["grade"], now, zone),
        evidence=_evidence(item, zone),
        actions=actions,
        chart=heat_chart(heat, zone),
        post_count=len(posts),
        posts=Html('<ol class="posts">') + join(post_item(p, zone) for p in posts) + Html("</ol>")
        if posts
        else Html('<p class="muted">暂无帖文。</p>'),
        timeline=_timeline(timeline, zone),
    )
