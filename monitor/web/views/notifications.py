"""The notifications page: what was sent to whom, through which channel, and whether it arrived."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from monitor.outbox.routes import mask
from monitor.web.html import Html, join, render
from monitor.web.timeline import CHANNEL_LABELS, Department, Person, target_name
from monitor.web.views.parts import local_time

Names = tuple[Person, Department]  # person id → name, department id → name

EVENT_LABELS: dict[str, str] = {
    "page": "呼叫",
    "reminder": "提醒",
    "warning": "时限预警",
    "breach": "超时",
    "rung": "超时升级",
    "ops": "运维告警",
}
# Why a page or reminder went out (the escalation decision's reason), shown instead of a bare 呼叫.
REASON_LABELS: dict[str, str] = {
    "opened": "新事件呼叫",
    "regraded": "事件升级",
    "unacknowledged": "逐级呼叫",
    "repeat": "重复呼叫",
    "loop": "再次通知",
    "forced": "立即升级",
    "ack_expired": "确认后提醒",
}
STATUS_LABELS: dict[str, str] = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已送达",
    "merged": "已合并为摘要",
    "failed": "失败",
}


def via_label(sent_via: str | None, names: Names) -> str:
    """`sms:+8613867050003` → `短信 +86138****0003`; `channel:shuiwu/group` → `水务局工作群`."""
    if not sent_via:
        return ""
    kind, _, ref = sent_via.partition(":")
    if kind == "channel":
        return target_name(sent_via, *names)
    if kind in CHANNEL_LABELS and ref:
        return f"{CHANNEL_LABELS[kind]} {mask(ref)}"
    return sent_via


def event_label(event: str, reason: str | None) -> str:
    """`新事件呼叫`, `事件升级`, `时限预警`…: the kind of message, with why for a page or reminder (pure)."""
    if event in ("page", "reminder") and reason in REASON_LABELS:
        return REASON_LABELS[reason]
    return EVENT_LABELS.get(event, event)


def _row(item: dict[str, Any], names: Names, zone: tzinfo) -> Html:
    incident = Html("")
    if item["incident_id"] is not None:
        incident = render(
            '<a href="/incidents/{id}">#{id} {title}</a>',
            id=item["incident_id"],
            title=item["incident_title"] or "",
        )
    detail = item["captured_body"] or item["last_error"] or ""
    return render(
        '<tr class="notice-{status}"><td data-label="时间">{at}</td><td data-label="类型">{event}</td>'
        '<td data-label="事件">{incident}</td><td data-label="接收方">{target}</td>'
        '<td data-label="渠道">{via}</td><td data-label="状态">{status_label}</td>'
        '<td data-label="内容"><details><summary>查看</summary><pre class="notice-body">{detail}</pre>'
        "</details></td></tr>",
        status=item["status"],
        at=local_time(item["sent_at"] or item["created_at"], zone, "%m-%d %H:%M:%S"),
        event=event_label(item["event"], item.get("reason")),
        incident=incident,
        target=target_name(item["target"], *names),
        via=via_label(item["sent_via"], names),
        status_label=STATUS_LABELS.get(item["status"], item["status"]),
        detail=detail,
    )


def notifications_page(items: list[dict[str, Any]], names: Names, zone: tzinfo) -> Html:
    if not items:
        return Html(
            '<section class="card"><h1>通知记录</h1><p class="muted">还没有发出任何通知。</p></section>'
        )
    return render(
        '<section class="card notifications"><h1>通知记录</h1><table class="sources-table"><thead><tr>'
        '<th scope="col">时间</th><th scope="col">类型</th><th scope="col">事件</th>'
        '<th scope="col">接收方</th>'
        '<th scope="col">渠道</th><th scope="col">状态</th><th scope="col">内容</th></tr></thead>'
        "<tbody>{rows}</tbody></table></section>",
        rows=join(_row(i, names, zone) for i in items),
    )
