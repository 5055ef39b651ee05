"""Builds the channel-neutral Notice for an outbox row at send time: fresh clocks, names and signed links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.channels.base import ClockLine, Destination, Link, Notice, Severity
from monitor.events.summary import event_summary
from monitor.incidents.grades import GRADE_COLOURS, GRADE_LABELS
from monitor.incidents.routing import ROLE_LABELS, UNCLAIMED
from monitor.links import LinkSigner

MAX_ACK_BUTTONS = 3
_PAGE_HEADLINES = {
    "opened": "新舆情事件，请确认接报",
    "regraded": "事件升级，请确认接报",
    "unacknowledged": "升级通知：上一级未按时确认",
    "repeat": "重复提醒：尚未确认接报",
    "loop": "再次通知：仍未确认，升级链重新开始",
    "forced": "立即升级",
    "ack_expired": "提醒：已确认接报，但法定时限仍在运行",
}
# The same pages to a department that did acknowledge (its hold ran out with the clocks still running):
# what is missing is the action, not the acknowledgement.
_AFTER_ACK_HEADLINES = {
    "repeat": "重复提醒：已确认接报，法定时限仍未完成",
    "unacknowledged": "升级通知：已确认接报，但未按时履职",
    "loop": "再次通知：已确认接报仍未履职，升级链重新开始",
}


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs besides the row: people's names, department names, the link signer."""

    people: Mapping[str, str]
    departments: Mapping[str, str]
    links: LinkSigner | None


def clock_lines(clocks: Sequence[Mapping[str, Any]], now: datetime) -> tuple[ClockLine, ...]:
    """Legal clocks as shown in a message, nearest deadline first."""
    out = []
    for c in sorted((c for c in clocks if c["legal"]), key=lambda c: c["due_at"]):
        if c["satisfied_at"] is not None:
            phase = "met"
        elif c["closed_at"] is not None:
            phase = "closed"
        elif c["due_at"] <= now:
            phase = "overdue"
        else:
            phase = "running"
        out.append(ClockLine(c["label"], c["due_at"], phase, (c["due_at"] - now).total_seconds()))  # type: ignore[arg-type]
    return tuple(out)


def _grade_change(payload: Mapping[str, Any]) -> str | None:
    """`Ⅲ级 较大 → Ⅱ级 重大` from an upgrade's page, or None when its grades are not both known."""
    old, new = payload.get("old_grade"), payload.get("new_grade")
    if isinstance(old, int) and isinstance(new, int) and old in GRADE_LABELS and new in GRADE_LABELS:
        return f"{GRADE_LABELS[old]} → {GRADE_LABELS[new]}"
    return None


def headline(payload: Mapping[str, Any], acknowledged: bool = False) -> tuple[str, list[str], Severity]:
    """The headline, extra lines and severity for the event that caused the row (`acknowledged`: the
    department the row is for acknowledged the incident before)."""
    event = str(payload.get("event", ""))
    label = str(payload.get("clock_label") or payload.get("clock_kind") or "")
    if event == "warning":
        pct = round(float(payload.get("fraction") or 0) * 100)
        return f"时限预警：{label}已用时{pct}%", [], "warning"
    if event == "breach":
        return f"已超时：{label}", ["法定时限已到，尚无履职证据"], "critical"
    if event == "rung":
        return f"超时升级：{label}", [f"超时升级第{int(payload.get('rung', 0)) + 1}级"], "critical"
    if event == "ops":
        return f"系统告警：{payload.get('subject', '')}", [str(payload.get("message", ""))], "critical"
    reason = str(payload.get("reason", ""))
    after_ack = _AFTER_ACK_HEADLINES.get(reason) if acknowledged else None
    text = after_ack or _PAGE_HEADLINES.get(reason, "请确认接报")
    if reason == "regraded" and (change := _grade_change(payload)):
        text = f"事件升级：{change}，请确认接报"
    lines = []
    if payload.get("step") is not None:
        lines.append(f"升级链第{int(payload['step']) + 1}步（第{int(payload.get('loop') or 0) + 1}轮）")
    return text, lines, "warning"


def summary_now(incident: Mapping[str, Any]) -> str:
    """The event's figures as the message goes out (a page hours after opening must not say 1条); the
    summary stored at opening for an incident without an event (a lone 12345 order)."""
    if incident.get("event_posts") is None:
        return str(incident.get("summary") or "")
    return event_summary(
        int(incident["event_posts"]),
        incident["event_channels"] or (),
        float(incident["event_heat"]),
        float(incident["event_negative"]),
    )


def _links(
    ctx: RenderContext, incident_id: int | None, dest: Destination, now: datetime, ack: bool
) -> tuple[Link, ...]:
    if ctx.links is None or incident_id is None:
        return ()
    people = [dest.person_id] if dest.person_id else list(dest.members[:MAX_ACK_BUTTONS])
    if not people:
        return ()
    out: list[Link] = []
    if ack:
        for person in people:
            label = "确认接报" if len(people) == 1 else f"确认接报（{ctx.people.get(person, person)}）"
            out.append(Link(label, ctx.links.link(person, incident_id, "ack", now)))
    out.append(Link("查看详情", ctx.links.link(people[0], incident_id, "open", now)))
    return tuple(out)


def build_notice(
    row: Mapping[str, Any],
    incident: Mapping[str, Any] | None,
    clocks: Sequence[Mapping[str, Any]],
    dest: Destination,
    now: datetime,
    ctx: RenderContext,
) -> Notice:
    """One row's message. Incident text is passed raw; every channel escapes it for its own syntax."""
    payload: Mapping[str, Any] = row["payload"] or {}
    dept = str(payload.get("department") or (incident["lead_department"] if incident else ""))
    acknowledged = incident is not None and dept in incident.get("acked_departments", ())
    text, lines, severity = headline(payload, acknowledged)
    if incident is None:
        return Notice(
            key=row["idem_key"],
            event=str(row["event"]),
            headline=text,
            title="",
            severity=severity,
            lines=tuple(lines),
        )
    grade = int(incident["grade"])
    lead = str(incident["lead_department"])
    role = incident.get("department_roles", {}).get(dept)
    if dept == lead:  # the duty desk leads for want of an owner: say so, and whom the posts suggest
        lines += [r for r in incident.get("route_reasons") or () if r.startswith(UNCLAIMED)][:1]
    if grade <= 2 and severity == "warning" and row["event"] in ("page", "reminder"):
        severity = "critical"
    return Notice(
        key=row["idem_key"],
        event=str(row["event"]),
        headline=text,
        title=str(incident["title"]),
        severity=severity,
        incident_id=int(incident["id"]),
        grade=grade,
        grade_label=GRADE_LABELS.get(grade, ""),
        colour=GRADE_COLOURS.get(grade, ""),
        department=ctx.departments.get(dept, dept),
        role="" if dept == lead else ROLE_LABELS.get(role or "", "相关"),
        lead="" if dept == lead else ctx.departments.get(lead, lead),
        summary=summary_now(incident),
        lines=tuple(lines),
        clocks=clock_lines(clocks, now),
        links=_links(
            ctx, int(incident["id"]), dest, now, ack=incident["state"] not in ("resolved", "reviewed")
        ),
    )


def digest(notices: Sequence[Notice], dest: Destination, key: str) -> Notice:
    """Several pending messages to one destination merged into one (storms, rate limits)."""
    worst: Severity = "critical" if any(n.severity == "critical" for n in notices) else "warning"
    return Notice(
        key=key,
        event="digest",
        headline=f"汇总：{len(notices)}条待处理通知",
        title="",
        severity=worst,
        lines=("发送频率受限，以下通知合并发送",),
        items=tuple(notices),
    )
