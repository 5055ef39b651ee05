"""The page shell shared by every console page: head, navigation, and the error page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.web.html import Html, escape, join, render

if TYPE_CHECKING:
    from monitor.web.access import Principal

ROLE_NAMES: dict[str, str] = {
    "admin": "系统管理员",
    "duty_officer": "值班员",
    "head": "部门负责人",
    "leader": "分管领导",
    "press_office": "新闻发布",
    "observer": "观察员",
}

# Who may open the 日报/周报 (monitor/web/reports.py decides; this only hides a link they could not use).
REPORT_READERS = frozenset({"admin", "duty_officer", "leader", "press_office"})

_SHELL = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} · 舆情哨</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body{body_attrs}>
<header class="top">
<a class="brand" href="/">舆情哨</a>
<nav>{nav}</nav>
</header>
<main>
{content}
</main>
</body>
</html>
"""

_NAV = """<a href="/">值班看板</a>
<a href="/department">本部门</a>
<a href="/sources">信源</a>
<a href="/notifications">通知</a>
{reports}<span class="who" data-person="{person}">{name} · {dept} · {role}</span>
<form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="{csrf}">\
<button type="submit" class="link">退出</button></form>"""


def page(
    title: str,
    content: Html,
    principal: Principal | None,
    *,
    csrf: str | None = None,
    body_attrs: Html | None = None,
) -> Html:
    """A complete HTML document around `content`."""
    nav = Html("")
    if principal is not None:
        nav = render(
            _NAV,
            person=principal.person_id,
            name=principal.name,
            dept=principal.department_name,
            role=ROLE_NAMES.get(principal.role, principal.role),
            csrf=csrf or "",
            reports=Html('<a href="/reports/daily">日报</a>\n<a href="/reports/weekly">周报</a>\n')
            if principal.role in REPORT_READERS
            else Html(""),
        )
    return render(_SHELL, title=title, nav=nav, content=content, body_attrs=body_attrs or Html(""))


def error_page(status: int, message: str, principal: Principal | None) -> Html:
    """A plain error page in Chinese, with a way back."""
    content = render(
        '<section class="card error"><h1>出错了（{status}）</h1><p>{message}</p>'
        '<p><a href="/">返回值班看板</a></p></section>',
        status=status,
        message=message,
    )
    return page(f"错误 {status}", content, principal)


def flash(kind: str, message: str | None) -> Html:
    """A one-line notice after a form post (`ok` or `error`)."""
    if not message:
        return Html("")
    return render('<p class="flash {kind}" role="status">{message}</p>', kind=kind, message=message)


def options(choices: list[tuple[str, str]], selected: str | None) -> Html:
    """`<option>` elements for a select, with the current value selected."""
    return join(
        render(
            '<option value="{v}"{sel}>{label}</option>',
            v=value,
            label=label,
            sel=Html(" selected") if value == selected else Html(""),
        )
        for value, label in choices
    )


__all__ = ["ROLE_NAMES", "error_page", "escape", "flash", "options", "page"]
