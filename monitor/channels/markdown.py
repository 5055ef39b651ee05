"""The chat-markdown body shared by DingTalk, WeCom and Feishu: grade, department, clocks, links."""

from __future__ import annotations

from collections.abc import Callable

from monitor.channels.base import Notice, responsibility
from monitor.channels.text import clock_text, escape

Colour = Callable[[str, int | None], str]
SUMMARY_CHARS = 300


def no_colour(text: str, grade: int | None) -> str:
    """Renderers without colour markup."""
    return text


def heading(notice: Notice) -> str:
    """`【Ⅱ级 重大·橙】升级通知` (escaped)."""
    grade = f"【{notice.grade_label}·{notice.colour}】" if notice.grade_label else ""
    return escape(f"{grade}{notice.headline}")


def body_lines(notice: Notice, colour: Colour = no_colour, *, links: bool = True) -> list[str]:
    """The markdown lines; every string that could come from a post or config is escaped."""
    out = [f"### {colour(heading(notice), notice.grade)}"]
    if notice.title:
        out.append(f"**{escape(notice.title, 120)}**")
    if notice.department:
        out.append(f"> {escape(responsibility(notice))}")
    out.extend(f"> {escape(line, 200)}" for line in notice.lines)
    for clock in notice.clocks:
        text = escape(clock_text(clock))
        out.append(f"- {colour(text, 1) if clock.phase == 'overdue' else text}")
    if notice.summary:
        out.append(f"摘要：{escape(notice.summary, SUMMARY_CHARS)}")
    for item in notice.items:
        near = next((c for c in item.clocks if c.phase in ("running", "overdue")), None)
        tail = f"；{escape(clock_text(near))}" if near else ""
        link = next((lk.url for lk in item.links if lk.label.startswith("查看")), None)
        name = escape(f"【{item.grade_label}】{item.title}", 80)
        shown = f"[{name}]({link})" if link and links else name
        out.append(f"- {shown}：{escape(item.headline)}{tail}")
    if links and notice.links:
        out.append("  ".join(f"[{escape(lk.label)}]({lk.url})" for lk in notice.links))
    return out


def markdown(notice: Notice, colour: Colour = no_colour, *, links: bool = True) -> str:
    """Lines joined for a markdown message."""
    return "\n\n".join(body_lines(notice, colour, links=links))


def plain_text(notice: Notice) -> str:
    """A plain rendering (SMS, e-mail text part, capture)."""
    from monitor.channels.text import plain

    grade = f"【{notice.grade_label}·{notice.colour}】" if notice.grade_label else ""
    out = [f"{grade}{notice.headline}"]
    if notice.title:
        out.append(plain(notice.title, 120))
    if notice.department:
        out.append(plain(responsibility(notice)))
    out.extend(plain(line, 200) for line in notice.lines)
    out.extend(clock_text(c) for c in notice.clocks)
    if notice.summary:
        out.append(f"摘要：{plain(notice.summary, SUMMARY_CHARS)}")
    for item in notice.items:
        out.append(f"- 【{item.grade_label}】{plain(item.title, 60)}：{item.headline}")
    out.extend(f"{lk.label}：{lk.url}" for lk in notice.links)
    return "\n".join(out)
